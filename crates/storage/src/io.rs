//! File IO behind a trait, with fault injection for tests (being written).
