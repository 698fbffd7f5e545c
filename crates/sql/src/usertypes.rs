//! Enum types and domains in the catalog: their stored definitions and name lookups.
//!
//! - An enum type ([`EnumDef`]) keeps its labels with PostgreSQL's `pg_enum` data (label OID,
//!   `real` sort order); columns name it by OID and get the labels filled in when the catalog
//!   is decoded ([`Catalog::resolve_composites`]), so a column's `DataType::Enum` always lists
//!   the labels of the catalog it came from. Values carry their label and sort order (see
//!   `basalt_common::types::enums`).
//! - A domain ([`DomainDef`]) is a base type with NOT NULL, a default and CHECK constraints
//!   over `VALUE`, stored as SQL text. A column declared with a domain has the base type as
//!   its `ty` and the domain's OID in `Column::domain`; the table writer checks the domain's
//!   constraints on every value written ([`DomainChecks`]) and a cast to the domain checks
//!   them in the expression (`Expr::DomainCheck`). Expressions over a domain column see the
//!   base type (PostgreSQL's `pg_typeof` would name the domain).
//!
//! The DDL statements are in `ddl_types.rs`.

use std::sync::Arc;

use basalt_common::types::{DataType, EnumLabel, EnumType, Value};
use serde::{Deserialize, Serialize};

use crate::binder::{Binder, Scope};
use crate::catalog::{Catalog, Column, PUBLIC_OID, Table};
use crate::error::SqlError;
use crate::expr::Expr;

/// One label of an enum type (a `pg_enum` row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnumLabelDef {
    /// `pg_enum.oid`.
    pub oid: u32,
    /// `pg_enum.enumsortorder`.
    pub sort: f32,
    /// `pg_enum.enumlabel`.
    pub label: String,
}

/// An enum type made by `CREATE TYPE name AS ENUM (...)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnumDef {
    /// OID.
    pub oid: u32,
    /// The OID of its array type.
    pub array_oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Labels in sort order.
    pub labels: Vec<EnumLabelDef>,
}

/// A CHECK constraint of a domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainCheck {
    /// `pg_constraint.oid`.
    pub oid: u32,
    /// Name (`<domain>_check` unless given).
    pub name: String,
    /// The condition over `VALUE`, as SQL text.
    pub expr: String,
}

/// A domain made by `CREATE DOMAIN`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainDef {
    /// OID.
    pub oid: u32,
    /// The OID of its array type.
    pub array_oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// The base type, with its modifier.
    #[serde(with = "crate::catalog::datatype_text")]
    pub base: DataType,
    /// NOT NULL.
    pub not_null: bool,
    /// DEFAULT as SQL text.
    pub default: Option<String>,
    /// CHECK constraints, in the order they were added.
    pub checks: Vec<DomainCheck>,
    /// The domain this one is over (`base` is then that domain's base type): its NOT
    /// NULL, CHECKs and DEFAULT apply too, checked first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
}

/// What a user-defined type name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    /// A composite type of CREATE TYPE.
    Composite(u32),
    /// An enum type.
    Enum(u32),
    /// A domain.
    Domain(u32),
}

impl Catalog {
    /// The enum type with this OID, labels filled in.
    pub fn enum_type(&self, oid: u32) -> Option<Arc<EnumType>> {
        let e = self.enums.get(&oid)?;
        Some(Arc::new(EnumType {
            oid: e.oid,
            array_oid: e.array_oid,
            name: self.qualified_type_name(e.schema, &e.name),
            labels: e
                .labels
                .iter()
                .map(|l| EnumLabel {
                    oid: l.oid,
                    sort: l.sort,
                    label: l.label.clone(),
                })
                .collect(),
        }))
    }

    /// A type's name as `format_type` prints it here: qualified outside `public` and when a
    /// built-in type has the name.
    pub fn qualified_type_name(&self, schema: u32, name: &str) -> String {
        let quoted = crate::parse::quote_identifier(name);
        if schema == PUBLIC_OID && DataType::from_name(name, &[]).is_err() {
            quoted
        } else {
            format!(
                "{}.{quoted}",
                crate::parse::quote_identifier(self.schema_name(schema))
            )
        }
    }

    /// The user-defined type (composite, enum or domain) `name` of schema `schema`.
    pub fn user_type_in(&self, schema: u32, name: &str) -> Option<UserType> {
        if let Some(t) = self
            .types
            .values()
            .find(|t| t.schema == schema && t.name == name)
        {
            return Some(UserType::Composite(t.oid));
        }
        if let Some(e) = self
            .enums
            .values()
            .find(|e| e.schema == schema && e.name == name)
        {
            return Some(UserType::Enum(e.oid));
        }
        self.domains
            .values()
            .find(|d| d.schema == schema && d.name == name)
            .map(|d| UserType::Domain(d.oid))
    }

    /// The DEFAULT a column gets: its own, or its domain's.
    pub fn column_default_text<'c>(&'c self, c: &'c Column) -> Option<&'c String> {
        c.default
            .as_ref()
            .or_else(|| c.domain.and_then(|d| self.domain_default(d)))
    }

    /// Whether domain `d` is `oid` or a domain over it (transitively).
    pub fn domain_is_over(&self, d: u32, oid: u32) -> bool {
        // An array of a domain (its array type's OID) is checked element by element.
        let d = self.domain_of_array(d).map_or(d, |e| e.oid);
        let mut cur = Some(d);
        for _ in 0..64 {
            match cur {
                Some(x) if x == oid => return true,
                Some(x) => cur = self.domains.get(&x).and_then(|d| d.parent),
                None => return false,
            }
        }
        false
    }

    /// The domain whose array type is `array_oid`.
    pub fn domain_of_array(&self, array_oid: u32) -> Option<&DomainDef> {
        self.domains.values().find(|d| d.array_oid == array_oid)
    }

    /// A domain's DEFAULT: its own, else that of the domain it is over.
    pub fn domain_default(&self, oid: u32) -> Option<&String> {
        let mut d = self.domains.get(&oid)?;
        for _ in 0..64 {
            if let Some(t) = &d.default {
                return Some(t);
            }
            d = self.domains.get(&d.parent?)?;
        }
        None
    }

    /// (OID, schema, name, array OID) of every enum type and domain.
    pub fn enum_and_domain_types(&self) -> Vec<(u32, u32, String, u32)> {
        self.enums
            .values()
            .map(|e| (e.oid, e.schema, e.name.clone(), e.array_oid))
            .chain(
                self.domains
                    .values()
                    .map(|d| (d.oid, d.schema, d.name.clone(), d.array_oid)),
            )
            .collect()
    }

    /// Whether a type name (any kind, a table's row type included) is taken in a schema.
    pub fn type_name_taken(&self, schema: u32, name: &str) -> bool {
        self.user_type_in(schema, name).is_some()
            || self
                .tables
                .values()
                .any(|t| t.schema == schema && t.name == name)
    }

    /// The columns (table name, column name) whose type uses type `oid`: directly, as an
    /// array element, or through a domain or composite type.
    pub fn columns_using_type(&self, oid: u32) -> Vec<(u32, String, String)> {
        let mut out = Vec::new();
        for t in self.tables.values() {
            for c in &t.columns {
                if c.domain == Some(oid) || type_uses(&c.ty, oid) {
                    out.push((t.oid, t.name.clone(), c.name.clone()));
                }
            }
        }
        out
    }
}

/// Whether `ty` is or contains type `oid` (as an array element or a field).
pub fn type_uses(ty: &DataType, oid: u32) -> bool {
    match ty {
        DataType::Enum(e) => e.oid == oid,
        DataType::Array(e) => type_uses(e, oid),
        DataType::Record(r) => r.oid == oid || r.fields.iter().any(|(_, t)| type_uses(t, oid)),
        _ => false,
    }
}

/// A domain's constraints bound for checking values: the CHECK expressions read the value
/// as column 0 of a one-column row.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainChecks {
    /// The domain's OID.
    pub oid: u32,
    /// The domain's name (for messages).
    pub name: String,
    /// The name of the domain's schema (the error field PostgreSQL's `errdatatype` sets).
    pub schema: String,
    /// NOT NULL.
    pub not_null: bool,
    /// (constraint name, condition).
    pub checks: Vec<(String, Expr)>,
    /// The constraints of the domain this one is over, checked first.
    pub parent: Option<Arc<DomainChecks>>,
    /// For an array of a domain (bound by the array type's OID): the domain's constraints,
    /// checked on every element.
    pub elements: Option<Arc<DomainChecks>>,
}

impl DomainChecks {
    /// Binds the constraints of domain `oid`.
    pub fn bind(
        cat: &Catalog,
        oid: u32,
        types: &basalt_common::types::TypeContext,
    ) -> Result<Arc<DomainChecks>, SqlError> {
        if let Some(e) = cat.domain_of_array(oid) {
            return Ok(Arc::new(DomainChecks {
                oid,
                name: e.name.clone(),
                schema: cat.schema_name(e.schema).to_string(),
                not_null: false,
                checks: Vec::new(),
                parent: None,
                elements: Some(DomainChecks::bind(cat, e.oid, types)?),
            }));
        }
        let d = cat
            .domains
            .get(&oid)
            .ok_or_else(|| SqlError::new("XX000", "domain vanished from the catalog"))?;
        let scope = value_scope(&d.base);
        let mut b = Binder::new(cat, vec![PUBLIC_OID], *types);
        let mut checks = Vec::new();
        for c in &d.checks {
            let (e, _) = crate::dml::bind_text_expr(&mut b, &c.expr, &scope)?;
            checks.push((c.name.clone(), e));
        }
        let parent = match d.parent {
            Some(p) => Some(DomainChecks::bind(cat, p, types)?),
            None => None,
        };
        Ok(Arc::new(DomainChecks {
            oid,
            name: d.name.clone(),
            schema: cat.schema_name(d.schema).to_string(),
            not_null: d.not_null,
            checks,
            parent,
            elements: None,
        }))
    }

    /// Checks one value (23502 for a NULL in a NOT NULL domain, 23514 for a failed CHECK).
    pub fn check(&self, v: &Value, cx: &mut crate::exec::Cx<'_>) -> Result<(), SqlError> {
        self.check_as(v, cx, self)
    }

    /// [`Self::check`], naming domain `shown` in messages and in the error's schema and data
    /// type fields: as in PostgreSQL, a failed constraint of the domain underneath names the
    /// domain the value was converted to (the constraint field names the one that failed).
    /// No table or column is named, even for a value bound for one.
    fn check_as(
        &self,
        v: &Value,
        cx: &mut crate::exec::Cx<'_>,
        shown: &DomainChecks,
    ) -> Result<(), SqlError> {
        if let Some(e) = &self.elements {
            if let Value::Array(a) = v {
                for x in &a.elements {
                    e.check(x, cx)?;
                }
            }
            return Ok(());
        }
        if let Some(p) = &self.parent {
            p.check_as(v, cx, shown)?;
        }
        if v.is_null() && self.not_null {
            return Err(SqlError::new(
                "23502",
                format!("domain {} does not allow null values", shown.name),
            )
            .with_datatype(&shown.schema, &shown.name));
        }
        let row = [v.clone()];
        for (name, e) in &self.checks {
            if let Value::Bool(false) = crate::expr::eval(e, &row, cx)? {
                return Err(SqlError::new(
                    "23514",
                    format!(
                        "value for domain {} violates check constraint \"{name}\"",
                        shown.name
                    ),
                )
                .with_datatype(&shown.schema, &shown.name)
                .with_constraint(name));
            }
        }
        Ok(())
    }
}

/// The scope a domain's CHECK is bound in: one column `value` of the base type.
pub fn value_scope(base: &DataType) -> Scope {
    let t = Table {
        oid: 0,
        schema: PUBLIC_OID,
        name: String::new(),
        columns: vec![Column {
            name: "value".into(),
            ty: base.clone(),
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            domain: None,
        }],
        primary_key: None,
        constraints: Vec::new(),
        stats: None,
        matview: None,
        unlogged: false,
    };
    crate::binder::table_scope(&t, "")
}
