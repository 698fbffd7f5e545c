//! The catalog: schemas, tables, columns, constraints, indexes, sequences and views, persisted
//! in the database itself so that DDL is transactional like PostgreSQL's.
//!
//! # Storage
//!
//! The whole catalog is one serialized record under the key `c` and a version number under
//! `cv`, both written in the DDL statement's own key-value transaction: a DDL that rolls back
//! leaves no trace, and a reader sees the catalog of its snapshot. DDL statements lock `cv`
//! exclusively and re-read the newest catalog (`get_latest`), so concurrent DDL is serialized
//! and each committed catalog has a distinct version (the version is the newest + 1).
//!
//! # Caching
//!
//! [`CatalogCache`] (shared by the sessions of a database) keeps the last catalog decoded, keyed
//! by its version: a statement reads `cv` (8 bytes) at its snapshot and decodes `c` only when
//! the version changed. Only catalogs read from committed state are cached; a transaction that
//! changed the catalog works on its private copy until it ends.
//!
//! Expressions (column defaults, CHECK constraints, index expressions) and view queries are
//! stored as SQL text and bound when used, as PostgreSQL's `pg_get_expr` shows them.
//!
//! # Identifiers
//!
//! Objects get OIDs from 16384 upwards, as user objects in PostgreSQL; `pg_catalog` (11) and
//! `public` (2200) keep PostgreSQL's OIDs.
//!
//! Every table has a composite type of its name (its row type). Its OID and its array type's
//! are not stored but derived from the table's ([`ROW_TYPE_OID_BASE`] and
//! [`ROW_ARRAY_OID_BASE`] plus the table OID), far above any OID the catalog hands out, so
//! the type of a row value maps back to its table without a lookup table.

use std::collections::BTreeMap;
use std::sync::Arc;

use basalt_common::types::DataType;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::error::SqlError;

/// A table's row type OID is this plus the table's OID.
pub const ROW_TYPE_OID_BASE: u32 = 0x4000_0000;
/// The OID of the array of a table's row type is this plus the table's OID.
pub const ROW_ARRAY_OID_BASE: u32 = 0x6000_0000;

/// OID of the `pg_catalog` schema.
pub const PG_CATALOG_OID: u32 = 11;
/// OID of the `public` schema.
pub const PUBLIC_OID: u32 = 2200;
/// OID of `information_schema` (fixed here; PostgreSQL assigns it at initdb).
pub const INFORMATION_SCHEMA_OID: u32 = 13_000;
/// First OID given to user objects.
pub const FIRST_USER_OID: u32 = 16_384;

/// The catalog key.
pub const CATALOG_KEY: &[u8] = b"c";
/// The catalog version key.
pub const VERSION_KEY: &[u8] = b"cv";

/// Serializes a [`DataType`] as its `format_type` text.
pub(crate) mod datatype_text {
    use basalt_common::types::DataType;
    use serde::{Deserialize, Deserializer, Serializer};

    /// A composite type is stored as `composite <oid>` (`[]` for its array); its fields are
    /// filled in from the catalog when it is decoded ([`super::Catalog::decode`]).
    const COMPOSITE: &str = "composite ";
    /// An enum type is stored as `enum <oid>` (`[]` for its array), its labels filled in
    /// from the catalog the same way.
    const ENUM: &str = "enum ";

    pub fn serialize<S: Serializer>(t: &DataType, s: S) -> Result<S::Ok, S::Error> {
        match t {
            DataType::Record(r) => s.serialize_str(&format!("{COMPOSITE}{}", r.oid)),
            DataType::Array(e) if matches!(**e, DataType::Record(_)) => {
                let oid = e.record().map_or(0, |r| r.oid);
                s.serialize_str(&format!("{COMPOSITE}{oid}[]"))
            }
            DataType::Enum(e) => s.serialize_str(&format!("{ENUM}{}", e.oid)),
            DataType::Array(e) if matches!(**e, DataType::Enum(_)) => {
                s.serialize_str(&format!("{ENUM}{}[]", e.oid()))
            }
            t => s.serialize_str(&t.format_type()),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DataType, D::Error> {
        let text = String::deserialize(d)?;
        if let Some(rest) = text.strip_prefix(COMPOSITE) {
            let (num, array) = match rest.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (rest, false),
            };
            let oid: u32 = num.parse().map_err(serde::de::Error::custom)?;
            let mut r = basalt_common::types::RecordType::anonymous(Vec::new());
            r.oid = oid;
            let t = DataType::Record(Box::new(r));
            return Ok(if array {
                DataType::Array(Box::new(t))
            } else {
                t
            });
        }
        if let Some(rest) = text.strip_prefix(ENUM) {
            let (num, array) = match rest.strip_suffix("[]") {
                Some(n) => (n, true),
                None => (rest, false),
            };
            let oid: u32 = num.parse().map_err(serde::de::Error::custom)?;
            let t = DataType::Enum(std::sync::Arc::new(basalt_common::types::EnumType::by_oid(
                oid,
            )));
            return Ok(if array {
                DataType::Array(Box::new(t))
            } else {
                t
            });
        }
        if let Some(p) = basalt_common::types::Pseudo::from_name(&text) {
            return Ok(DataType::Pseudo(p));
        }
        DataType::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Serializes the comment map as a list (JSON object keys must be strings).
mod comment_list {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    type Map = BTreeMap<(u32, u32), String>;

    pub fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<(&(u32, u32), &String)> = m.iter().collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        let v: Vec<((u32, u32), String)> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

/// A schema (namespace).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schema {
    /// OID.
    pub oid: u32,
    /// Name.
    pub name: String,
}

/// A table column.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type with modifiers.
    #[serde(with = "datatype_text")]
    pub ty: DataType,
    /// NOT NULL.
    pub not_null: bool,
    /// The DEFAULT expression as SQL text.
    pub default: Option<String>,
    /// GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY: (always, sequence OID).
    pub identity: Option<(bool, u32)>,
    /// GENERATED ALWAYS AS (expression) STORED: the expression as SQL text, over the other
    /// (non-generated) columns of the row; computed on every INSERT and UPDATE.
    #[serde(default)]
    pub generated: Option<String>,
    /// The domain the column was declared with (its `ty` is the domain's base type); the
    /// domain's constraints are checked on every value written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<u32>,
}

/// What a constraint enforces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ConstraintKind {
    /// PRIMARY KEY, enforced by the index.
    PrimaryKey {
        /// The index OID.
        index: u32,
    },
    /// UNIQUE, enforced by the index.
    Unique {
        /// The index OID.
        index: u32,
    },
    /// CHECK (expression as SQL text).
    Check {
        /// The expression.
        expr: String,
    },
    /// FOREIGN KEY.
    ForeignKey(ForeignKey),
}

/// Referential actions of a foreign key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    /// NO ACTION (checked at the end of the statement).
    NoAction,
    /// RESTRICT.
    Restrict,
    /// CASCADE.
    Cascade,
    /// SET NULL.
    SetNull,
    /// SET DEFAULT.
    SetDefault,
}

/// A FOREIGN KEY constraint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForeignKey {
    /// Referencing columns (positions in this table).
    pub columns: Vec<usize>,
    /// Referenced table.
    pub ref_table: u32,
    /// Referenced columns (positions in the referenced table).
    pub ref_columns: Vec<usize>,
    /// ON DELETE.
    pub on_delete: FkAction,
    /// ON UPDATE.
    pub on_update: FkAction,
    /// MATCH FULL: a key is either all null (not checked) or all non-null; MATCH SIMPLE
    /// (false) skips the check when any key column is null.
    #[serde(default)]
    pub match_full: bool,
}

/// A table constraint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Constraint {
    /// OID.
    pub oid: u32,
    /// Name (unique per table).
    pub name: String,
    /// What it enforces.
    pub kind: ConstraintKind,
    /// DEFERRABLE: a foreign key's or unique constraint's check may wait for the end of the
    /// statement or of the transaction (see `crate::deferred`).
    #[serde(default)]
    pub deferrable: bool,
    /// INITIALLY DEFERRED.
    #[serde(default)]
    pub initially_deferred: bool,
    /// Added NOT VALID and not validated since (rows from before it are unchecked).
    #[serde(default)]
    pub not_valid: bool,
}

/// A table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// OID; rows live under `t` + OID.
    pub oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<Column>,
    /// The primary key's columns (positions), if any; rows are keyed by them. Without one, rows
    /// are keyed by a hidden row id drawn from the table's row-id sequence. A DEFERRABLE
    /// primary key keys nothing (this is `None`; [`Catalog::primary_key_columns`] names its
    /// columns): two rows may hold its key until the check.
    pub primary_key: Option<Vec<usize>>,
    /// Constraints.
    pub constraints: Vec<Constraint>,
    /// Statistics gathered by ANALYZE.
    #[serde(default)]
    pub stats: Option<TableStats>,
    /// A materialized view: its rows are its query's, as of the last refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matview: Option<MatView>,
    /// CREATE UNLOGGED TABLE (`pg_class.relpersistence` `u`; stored like any other here).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
}

/// What makes a table a materialized view (PostgreSQL's relkind `m`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatView {
    /// The query as SQL text, run again by REFRESH.
    pub query: String,
    /// The search path its names resolve through (the one it was created with).
    pub search_path: Vec<u32>,
    /// Whether it holds data (`pg_class.relispopulated`): false after WITH NO DATA, until a
    /// REFRESH; reading it then is an error.
    pub populated: bool,
}

/// Statistics of a table, gathered by ANALYZE, for the optimizer's estimates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableStats {
    /// Number of rows.
    pub rows: u64,
    /// Distinct non-NULL values per column.
    pub distinct: Vec<u64>,
}

impl Table {
    /// The table's row type (PostgreSQL's composite type of the same name).
    pub fn row_type(&self) -> basalt_common::types::RecordType {
        basalt_common::types::RecordType {
            oid: ROW_TYPE_OID_BASE + self.oid,
            array_oid: ROW_ARRAY_OID_BASE + self.oid,
            name: Some(self.name.clone()),
            fields: self
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect(),
        }
    }

    /// The position of a column by name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// One key column of an index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum IndexKey {
    /// A table column (position).
    Column(usize),
    /// An expression over the table's columns, as SQL text.
    Expr(String),
}

/// An index.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    /// OID; entries live under `i` + OID.
    pub oid: u32,
    /// Schema OID (the table's).
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Table OID.
    pub table: u32,
    /// Key columns.
    pub keys: Vec<IndexKey>,
    /// Descending flags, one per key.
    pub desc: Vec<bool>,
    /// UNIQUE.
    pub unique: bool,
    /// Backs the primary key.
    pub primary: bool,
    /// UNIQUE NULLS NOT DISTINCT: NULLs are equal to each other in this index.
    #[serde(default)]
    pub nulls_not_distinct: bool,
    /// A partial index's WHERE predicate, as SQL text: only rows for which it is true have
    /// entries (and uniqueness holds only among them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// The access method the index was created with.
    #[serde(default, skip_serializing_if = "IndexMethod::is_btree")]
    pub method: IndexMethod,
    /// `INCLUDE (...)`: non-key columns (positions). They are not part of the key (nor of
    /// uniqueness); entries point at the row, which holds their values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<usize>,
    /// Backs a DEFERRABLE unique / primary key constraint: its entries always carry the row
    /// key's suffix, so duplicates can exist until the check (see `crate::dml`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
}

impl Index {
    /// Whether the index's entries are the table's rows themselves (a primary key that is
    /// not deferrable: rows are keyed by it and it has no entries of its own).
    pub fn is_row_key(&self) -> bool {
        self.primary && !self.deferrable
    }

    /// Key columns then included ones: the index's attributes in `pg_attribute` order.
    pub fn all_columns(&self) -> Vec<IndexKey> {
        self.keys
            .iter()
            .cloned()
            .chain(self.include.iter().map(|c| IndexKey::Column(*c)))
            .collect()
    }
}

/// An index's access method. A hash index is kept in the same ordered key space as a
/// B-tree (one key column, no uniqueness, no ordering options, as PostgreSQL's hash
/// indexes allow); the planner uses it for equality lookups only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexMethod {
    /// `USING btree` (the default).
    #[default]
    Btree,
    /// `USING hash`.
    Hash,
}

impl IndexMethod {
    fn is_btree(&self) -> bool {
        *self == IndexMethod::Btree
    }

    /// The name PostgreSQL's `pg_am` gives it.
    pub fn name(self) -> &'static str {
        match self {
            IndexMethod::Btree => "btree",
            IndexMethod::Hash => "hash",
        }
    }
}

/// A sequence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sequence {
    /// OID; the state lives under `q` + OID.
    pub oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Value type (smallint, integer or bigint).
    #[serde(with = "datatype_text")]
    pub ty: DataType,
    /// START WITH.
    pub start: i64,
    /// INCREMENT BY.
    pub increment: i64,
    /// MINVALUE.
    pub min: i64,
    /// MAXVALUE.
    pub max: i64,
    /// CYCLE.
    pub cycle: bool,
    /// CACHE: values a session takes from the sequence at a time.
    #[serde(default = "one")]
    pub cache: i64,
    /// OWNED BY (table OID, column position): dropped with the column.
    pub owned_by: Option<(u32, usize)>,
}

fn one() -> i64 {
    1
}

/// A view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct View {
    /// OID.
    pub oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// The query as SQL text.
    pub query: String,
    /// Column names.
    pub columns: Vec<String>,
    /// WITH [LOCAL | CASCADED] CHECK OPTION.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_option: Option<CheckOption>,
    /// The search path the view was created with: its query's names resolve through it
    /// when the view is read, whatever the reader's (PostgreSQL binds them at creation).
    /// `None` (views from before it was recorded): the reader's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_path: Option<Vec<u32>>,
    /// `WITH (name = value, ...)` options as PostgreSQL shows them in `reloptions`
    /// (`security_barrier=true`); recorded, not acted on (but `check_option`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// `ALTER VIEW ... ALTER COLUMN c SET DEFAULT e`: (column, expression as SQL text),
    /// used by INSERT through the view before the base table's defaults.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defaults: Vec<(String, String)>,
}

/// A view's WITH CHECK OPTION.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckOption {
    /// LOCAL: the view's own condition (and those of underlying views with their own).
    Local,
    /// CASCADED: the conditions of this view and every view below it.
    Cascaded,
}

/// The whole catalog of a database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    /// Version (bumped by every DDL).
    pub version: u64,
    /// The next OID to hand out.
    pub next_oid: u32,
    /// Schemas by OID.
    pub schemas: BTreeMap<u32, Schema>,
    /// Tables by OID.
    pub tables: BTreeMap<u32, Table>,
    /// Indexes by OID.
    pub indexes: BTreeMap<u32, Index>,
    /// Sequences by OID.
    pub sequences: BTreeMap<u32, Sequence>,
    /// Views by OID.
    pub views: BTreeMap<u32, View>,
    /// COMMENT ON: (object OID, column position + 1 or 0) → text.
    #[serde(with = "comment_list")]
    pub comments: BTreeMap<(u32, u32), String>,
    /// Composite types of CREATE TYPE, by OID.
    #[serde(default)]
    pub types: BTreeMap<u32, CompositeType>,
    /// SQL-language functions, by OID.
    #[serde(default)]
    pub functions: BTreeMap<u32, crate::sqlfunc::SqlFunction>,
    /// User-defined aggregates, by OID (`crate::useragg`).
    #[serde(default)]
    pub aggregates: BTreeMap<u32, crate::useragg::UserAggregate>,
    /// Enum types, by OID (`crate::usertypes`).
    #[serde(default)]
    pub enums: BTreeMap<u32, crate::usertypes::EnumDef>,
    /// Domains, by OID (`crate::usertypes`).
    #[serde(default)]
    pub domains: BTreeMap<u32, crate::usertypes::DomainDef>,
    /// Roles, memberships and per-role settings (`crate::roles`): shared by the databases,
    /// stored in the shared catalog ([`crate::cluster`]); read from this record only in a
    /// directory written before databases existed.
    #[serde(default, skip_serializing)]
    pub roles: crate::roles::Roles,
    /// The databases (shared, [`crate::cluster`]).
    #[serde(skip)]
    pub databases: Arc<Vec<crate::cluster::DatabaseEntry>>,
    /// The shared catalog's next OID (for roles and databases).
    #[serde(skip)]
    pub shared_next_oid: u32,
    /// The shared catalog's version (0: never stored).
    #[serde(skip)]
    pub shared_version: u64,
    /// The OID of the database this catalog belongs to.
    #[serde(skip)]
    pub database: u32,
}

/// A composite type made by `CREATE TYPE name AS (...)`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompositeType {
    /// OID.
    pub oid: u32,
    /// The OID of its array type.
    pub array_oid: u32,
    /// Schema OID.
    pub schema: u32,
    /// Name.
    pub name: String,
    /// Fields (name and type; `not_null`, `default` and `identity` unused).
    pub fields: Vec<Column>,
}

impl CompositeType {
    /// As a row type.
    pub fn row_type(&self) -> basalt_common::types::RecordType {
        basalt_common::types::RecordType {
            oid: self.oid,
            array_oid: self.array_oid,
            name: Some(self.name.clone()),
            fields: self
                .fields
                .iter()
                .map(|c| (c.name.clone(), c.ty.clone()))
                .collect(),
        }
    }
}

/// A name's kind in `pg_class` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A table.
    Table(u32),
    /// An index.
    Index(u32),
    /// A sequence.
    Sequence(u32),
    /// A view.
    View(u32),
}

impl Default for Catalog {
    fn default() -> Self {
        let mut schemas = BTreeMap::new();
        schemas.insert(
            PUBLIC_OID,
            Schema {
                oid: PUBLIC_OID,
                name: "public".into(),
            },
        );
        Catalog {
            types: BTreeMap::new(),
            enums: BTreeMap::new(),
            domains: BTreeMap::new(),
            version: 0,
            next_oid: FIRST_USER_OID,
            schemas,
            tables: BTreeMap::new(),
            indexes: BTreeMap::new(),
            sequences: BTreeMap::new(),
            views: BTreeMap::new(),
            comments: BTreeMap::new(),
            functions: BTreeMap::new(),
            aggregates: BTreeMap::new(),
            roles: Default::default(),
            databases: Arc::default(),
            shared_next_oid: 0,
            shared_version: 0,
            database: crate::cluster::POSTGRES_OID,
        }
    }
}

impl Catalog {
    /// Decodes a stored catalog.
    pub fn decode(bytes: &[u8]) -> Result<Catalog, SqlError> {
        let mut cat: Catalog = serde_json::from_slice(bytes)
            .map_err(|e| SqlError::new("XX001", format!("catalog record is damaged: {e}")))?;
        cat.resolve_composites();
        Ok(cat)
    }

    /// The row type with this OID (a CREATE TYPE type or a table's row type), fields
    /// resolved.
    pub fn composite(&self, oid: u32) -> Option<basalt_common::types::RecordType> {
        self.composite_at(oid, 0)
    }

    fn composite_at(&self, oid: u32, depth: u32) -> Option<basalt_common::types::RecordType> {
        let mut r = if let Some(t) = self.types.get(&oid) {
            t.row_type()
        } else {
            let table = oid.checked_sub(ROW_TYPE_OID_BASE)?;
            self.tables.get(&table)?.row_type()
        };
        if depth < 8 {
            for (_, t) in &mut r.fields {
                self.fill(t, depth + 1);
            }
        }
        Some(r)
    }

    fn fill(&self, t: &mut DataType, depth: u32) {
        match t {
            // Named composites are refilled too, so that a renamed type shows its new name.
            DataType::Record(r) if !r.is_anonymous() => {
                if let Some(full) = self.composite_at(r.oid, depth) {
                    **r = full;
                }
            }
            DataType::Enum(e) => {
                if let Some(full) = self.enum_type(e.oid) {
                    *e = full;
                }
            }
            DataType::Array(e) => self.fill(e, depth),
            _ => {}
        }
    }

    /// Fills in the fields of the composite types and the labels of the enum types that
    /// columns and fields name by OID (they are stored as `composite <oid>`, `enum <oid>`);
    /// DDL that changes an enum type calls it again.
    pub fn resolve_composites(&mut self) {
        let mut tables = std::mem::take(&mut self.tables);
        let mut types = std::mem::take(&mut self.types);
        self.tables = tables.clone();
        self.types = types.clone();
        for t in tables.values_mut() {
            for c in &mut t.columns {
                self.fill(&mut c.ty, 0);
            }
        }
        for t in types.values_mut() {
            for c in &mut t.fields {
                self.fill(&mut c.ty, 0);
            }
        }
        let mut domains = std::mem::take(&mut self.domains);
        for d in domains.values_mut() {
            self.fill(&mut d.base, 0);
        }
        self.domains = domains;
        self.tables = tables;
        self.types = types;
        let mut functions = std::mem::take(&mut self.functions);
        for f in functions.values_mut() {
            self.fill(&mut f.ret, 0);
            for a in f
                .args
                .iter_mut()
                .chain(f.table_cols.iter_mut())
                .chain(f.declared.iter_mut())
                .chain(f.out_params.iter_mut())
            {
                self.fill(&mut a.ty, 0);
            }
        }
        self.functions = functions;
    }

    /// Encodes for storage.
    pub fn encode(&self) -> Result<Vec<u8>, SqlError> {
        serde_json::to_vec(self)
            .map_err(|e| SqlError::new("XX000", format!("cannot encode the catalog: {e}")))
    }

    /// Takes the shared part (roles, databases) from the shared catalog record.
    pub fn set_shared(&mut self, record: crate::cluster::SharedCatalog, version: u64) {
        self.roles = record.roles;
        self.databases = Arc::new(record.databases);
        self.shared_next_oid = record.next_oid;
        self.shared_version = version;
    }

    /// The shared part, as stored.
    pub fn shared_record(&self) -> crate::cluster::SharedCatalog {
        crate::cluster::SharedCatalog {
            roles: self.roles.clone(),
            databases: self.databases.to_vec(),
            next_oid: self.shared_next_oid,
        }
    }

    /// A fresh OID for a role (roles are shared by the databases).
    pub fn new_shared_oid(&mut self) -> u32 {
        let oid = self.shared_next_oid;
        self.shared_next_oid += 1;
        oid
    }

    /// This catalog's database.
    pub fn current_database(&self) -> Option<&crate::cluster::DatabaseEntry> {
        self.databases.iter().find(|d| d.oid == self.database)
    }

    /// This catalog's database's name (`current_database()`).
    pub fn database_name(&self) -> &str {
        self.current_database()
            .map_or("postgres", |d| d.name.as_str())
    }

    /// A fresh OID.
    pub fn new_oid(&mut self) -> u32 {
        let oid = self.next_oid;
        self.next_oid += 1;
        oid
    }

    /// A schema by name as a statement names it: `pg_temp` is the session's temporary
    /// schema, the one on `search_path` (none before the session has one).
    pub fn schema_in_path(&self, search_path: &[u32], name: &str) -> Option<u32> {
        if name == "pg_temp" {
            return search_path
                .iter()
                .copied()
                .find(|o| self.schema_name(*o).starts_with("pg_temp_"));
        }
        self.schema_oid(name)
    }

    /// A schema's OID by name (`pg_catalog` and `information_schema` included).
    pub fn schema_oid(&self, name: &str) -> Option<u32> {
        match name {
            "pg_catalog" => Some(PG_CATALOG_OID),
            "information_schema" => Some(INFORMATION_SCHEMA_OID),
            _ => self
                .schemas
                .values()
                .find(|s| s.name == name)
                .map(|s| s.oid),
        }
    }

    /// A schema's name by OID.
    pub fn schema_name(&self, oid: u32) -> &str {
        match oid {
            PG_CATALOG_OID => "pg_catalog",
            INFORMATION_SCHEMA_OID => "information_schema",
            _ => self.schemas.get(&oid).map_or("?", |s| s.name.as_str()),
        }
    }

    /// The relation (table, index, sequence or view) named `name` in schema `schema`.
    pub fn relation_in(&self, schema: u32, name: &str) -> Option<Relation> {
        if let Some(t) = self
            .tables
            .values()
            .find(|t| t.schema == schema && t.name == name)
        {
            return Some(Relation::Table(t.oid));
        }
        if let Some(v) = self
            .views
            .values()
            .find(|v| v.schema == schema && v.name == name)
        {
            return Some(Relation::View(v.oid));
        }
        if let Some(i) = self
            .indexes
            .values()
            .find(|i| i.schema == schema && i.name == name)
        {
            return Some(Relation::Index(i.oid));
        }
        self.sequences
            .values()
            .find(|s| s.schema == schema && s.name == name)
            .map(|s| Relation::Sequence(s.oid))
    }

    /// The index of the table's PRIMARY KEY constraint (whether or not rows are keyed by
    /// it: a deferrable primary key keys nothing, see `crate::dml`).
    pub fn primary_index(&self, table: u32) -> Option<&Index> {
        self.indexes
            .values()
            .find(|i| i.table == table && i.primary)
    }

    /// The primary key's columns (`None` without one, or when it has expressions).
    pub fn primary_key_columns(&self, table: u32) -> Option<Vec<usize>> {
        let ix = self.primary_index(table)?;
        ix.keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => Some(*c),
                IndexKey::Expr(_) => None,
            })
            .collect()
    }

    /// Indexes of a table, primary key first.
    pub fn table_indexes(&self, table: u32) -> Vec<&Index> {
        let mut v: Vec<&Index> = self.indexes.values().filter(|i| i.table == table).collect();
        v.sort_by_key(|i| (!i.primary, i.oid));
        v
    }

    /// Foreign keys referencing `table`: (referencing table, constraint).
    pub fn referencing(&self, table: u32) -> Vec<(&Table, &Constraint)> {
        let mut out = Vec::new();
        for t in self.tables.values() {
            for c in &t.constraints {
                if let ConstraintKind::ForeignKey(fk) = &c.kind
                    && fk.ref_table == table
                {
                    out.push((t, c));
                }
            }
        }
        out
    }
}

/// The last decoded committed catalog, shared by the sessions of a database.
#[derive(Default)]
pub struct CatalogCache {
    current: Mutex<Option<Arc<Catalog>>>,
}

impl CatalogCache {
    /// The cached catalog if it has `version` and was read with the shared catalog's
    /// `shared_version`.
    pub fn get(&self, version: u64, shared_version: u64) -> Option<Arc<Catalog>> {
        let guard = self.current.lock();
        guard
            .as_ref()
            .filter(|c| c.version == version && c.shared_version == shared_version)
            .cloned()
    }

    /// Remembers a catalog read from committed state.
    pub fn put(&self, catalog: Arc<Catalog>) {
        let mut guard = self.current.lock();
        if guard.as_ref().is_none_or(|c| {
            (c.version, c.shared_version) <= (catalog.version, catalog.shared_version)
        }) {
            *guard = Some(catalog);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn column(name: &str, ty: DataType) -> Column {
        Column {
            name: name.into(),
            ty,
            not_null: false,
            default: None,
            identity: None,
            generated: None,
            domain: None,
        }
    }

    #[test]
    fn composite_column_types_survive_encoding() {
        let mut cat = Catalog::default();
        let oid = cat.new_oid();
        let array_oid = cat.new_oid();
        cat.types.insert(
            oid,
            CompositeType {
                oid,
                array_oid,
                schema: PUBLIC_OID,
                name: "pt".into(),
                fields: vec![column("x", DataType::Int4), column("y", DataType::Text)],
            },
        );
        let rt = cat.composite(oid).unwrap();
        let t = cat.new_oid();
        cat.tables.insert(
            t,
            Table {
                oid: t,
                schema: PUBLIC_OID,
                name: "u".into(),
                columns: vec![
                    column("p", DataType::Record(Box::new(rt.clone()))),
                    column(
                        "ps",
                        DataType::Array(Box::new(DataType::Record(Box::new(rt.clone())))),
                    ),
                ],
                primary_key: None,
                constraints: Vec::new(),
                stats: None,
                matview: None,
                unlogged: false,
            },
        );
        let back = Catalog::decode(&cat.encode().unwrap()).unwrap();
        let cols = &back.tables[&t].columns;
        assert_eq!(cols[0].ty, DataType::Record(Box::new(rt.clone())));
        assert_eq!(cols[1].ty.element().and_then(DataType::record), Some(&rt));
        assert_eq!(cols[0].ty.format_type(), "pt");
        // A table's row type is found by its derived OID.
        assert_eq!(
            back.composite(ROW_TYPE_OID_BASE + t)
                .map(|r| r.fields.len()),
            Some(2)
        );
    }
}
