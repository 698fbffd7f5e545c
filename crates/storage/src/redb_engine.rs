//! The on-disk engine (being written).
