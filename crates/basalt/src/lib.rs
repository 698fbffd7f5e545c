//! Basalt (being written).
