//! Enum types (`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`) and their values.
//!
//! An [`EnumType`] lists its labels in sort order, each with PostgreSQL's `pg_enum` row data:
//! the label's OID and its `enumsortorder` (a `real`: 1, 2, 3... at creation, `max + 1` for
//! a value added at the end, the midpoint of its neighbours for one added BEFORE / AFTER).
//!
//! An [`EnumValue`] carries its type's OID, its sort order and its label, so that it
//! compares, hashes, prints and becomes an index key without the catalog (rows hold it the
//! same way). Values of one type order by their sort order, which is PostgreSQL's order.
//! The two catalog changes that would make a stored value stale (`RENAME VALUE`, and the
//! renumbering when no `real` lies between two neighbours) rewrite the rows and index
//! entries of the tables that use the type (`crates/sql/src/ddl_types.rs`).
//!
//! Equality and hashing of an [`EnumType`] look at its OID only: the type of a column and
//! that of a value read back (which knows no labels) are the same type.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use super::error::{TypeError, TypeResult, codes};

/// One label of an enum type (a `pg_enum` row).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumLabel {
    /// `pg_enum.oid`.
    pub oid: u32,
    /// `pg_enum.enumsortorder`.
    pub sort: f32,
    /// `pg_enum.enumlabel`.
    pub label: String,
}

/// An enum type.
#[derive(Debug, Clone)]
pub struct EnumType {
    /// The type's OID.
    pub oid: u32,
    /// Its array type's OID.
    pub array_oid: u32,
    /// The name `format_type` prints (schema-qualified outside `public`).
    pub name: String,
    /// The labels, in sort order (empty in a type read back from a stored value).
    pub labels: Vec<EnumLabel>,
}

impl PartialEq for EnumType {
    fn eq(&self, other: &Self) -> bool {
        self.oid == other.oid
    }
}

impl Eq for EnumType {}

impl Hash for EnumType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.oid.hash(state);
    }
}

impl EnumType {
    /// A type known by its OID only (the element type of an array read from a row).
    pub fn by_oid(oid: u32) -> EnumType {
        EnumType {
            oid,
            array_oid: 0,
            name: format!("enum {oid}"),
            labels: Vec::new(),
        }
    }

    /// The value with this label (the input function), or PostgreSQL's 22P02.
    pub fn parse(&self, input: &str) -> TypeResult<EnumValue> {
        self.labels
            .iter()
            .find(|l| l.label == input)
            .map(|l| self.value(l))
            .ok_or_else(|| {
                TypeError::new(
                    codes::INVALID_TEXT_REPRESENTATION,
                    format!("invalid input value for enum {}: \"{input}\"", self.name),
                )
            })
    }

    /// The value of one of the type's labels.
    pub fn value(&self, l: &EnumLabel) -> EnumValue {
        EnumValue {
            type_oid: self.oid,
            sort: l.sort,
            label: Arc::from(l.label.as_str()),
        }
    }
}

/// A value of an enum type.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The enum type's OID.
    pub type_oid: u32,
    /// The label's sort order.
    pub sort: f32,
    /// The label.
    pub label: Arc<str>,
}

/// Values of one type order by sort order (other types by OID, to keep the order total).
impl Ord for EnumValue {
    fn cmp(&self, other: &EnumValue) -> Ordering {
        self.type_oid
            .cmp(&other.type_oid)
            .then_with(|| self.sort.total_cmp(&other.sort))
    }
}

impl PartialOrd for EnumValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for EnumValue {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for EnumValue {}

impl Hash for EnumValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.type_oid.hash(state);
        self.sort.to_bits().hash(state);
    }
}

/// PostgreSQL's sort order for a label added between `before` and `after` (either may be
/// missing: at the start, at the end), or `None` when no `real` lies strictly between them
/// and the type's labels must first be renumbered 1, 2, 3, ... (`RenumberEnumType`).
pub fn sort_between(before: Option<f32>, after: Option<f32>) -> Option<f32> {
    let v = match (before, after) {
        (None, None) => 1.0,
        (Some(b), None) => b + 1.0,
        (None, Some(a)) => a - 1.0,
        (Some(b), Some(a)) => (b + a) / 2.0,
    };
    let fits = before.is_none_or(|b| v > b) && after.is_none_or(|a| v < a);
    fits.then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_orders_as_postgres() {
        assert_eq!(sort_between(Some(3.0), None), Some(4.0));
        assert_eq!(sort_between(Some(1.0), Some(2.0)), Some(1.5));
        assert_eq!(sort_between(None, Some(1.0)), Some(0.0));
        let mut hi = 2.0f32;
        let mut n = 0;
        while let Some(v) = sort_between(Some(1.0), Some(hi)) {
            hi = v;
            n += 1;
        }
        assert!(n > 10 && n < 30, "{n}");
    }
}
