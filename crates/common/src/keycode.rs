//! The order-preserving key codec (being written).
