//! Basalt's shared vocabulary, used by every layer above it.
//!
//! - [`sqlstate`]: PostgreSQL's SQLSTATE codes. Each crate keeps its own typed error enum and maps
//!   it to a [`SqlState`] at the edge, so the wire protocol and the embedded API report the codes
//!   that PostgreSQL clients expect.
//! - [`types`]: PostgreSQL's data types and values: names, OIDs, text input and output,
//!   casts, comparison and arithmetic.
//! - [`interrupt`]: the flag that cancels a running statement (query cancel, statement
//!   timeout), polled by long-running loops.
//! - [`keycode`]: the order-preserving key codec. Typed values (integers, floats, text, bytes,
//!   booleans, NULL, composite keys, ascending or descending) are encoded into byte strings whose
//!   lexicographic order equals the order of the values, so a range scan over keys is a range scan
//!   over values.

#![forbid(unsafe_code)]

pub mod interrupt;
pub mod keycode;
pub mod sqlstate;
pub mod types;

pub use interrupt::{Interrupt, InterruptReason};
pub use sqlstate::SqlState;
