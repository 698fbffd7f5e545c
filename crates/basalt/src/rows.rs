//! Query results: [`Rows`] (all rows of a statement, materialised) and [`Row`].
//!
//! A statement's rows are collected before the call returns, so a [`Rows`] holds no lock, no
//! transaction and no borrow of the connection: it can be kept, moved to another thread and
//! read while the connection runs other statements. Column names are shared between the rows
//! of one result.

use std::sync::Arc;

use basalt_common::types::{DataType, Value};

use crate::convert::FromSql;
use crate::error::Error;

/// The columns of a result: names and types.
#[derive(Debug, PartialEq)]
struct Columns {
    names: Vec<String>,
    types: Vec<DataType>,
}

/// The row sink of [`crate::Connection::query_each`]: each row streamed goes to the
/// caller's function; its error is kept (and the statement stopped).
pub(crate) struct EachRow<'f, F> {
    f: &'f mut F,
    /// The row handed to the function, its values replaced for each row (one allocation
    /// for the whole result); `None` until the rows begin.
    current: Option<Row>,
    failed: Option<Error>,
}

impl<'f, F: FnMut(&Row) -> Result<(), Error>> EachRow<'f, F> {
    pub(crate) fn new(f: &'f mut F) -> Self {
        EachRow {
            f,
            current: None,
            failed: None,
        }
    }

    /// Whether the rows were streamed (they began), and the function's error.
    pub(crate) fn finish(self) -> (bool, Option<Error>) {
        (self.current.is_some(), self.failed)
    }
}

impl<F: FnMut(&Row) -> Result<(), Error>> basalt_sql::RowSink for EachRow<'_, F> {
    fn begin(
        &mut self,
        columns: &[String],
        types: &[DataType],
        _notices: Vec<basalt_sql::Notice>,
    ) -> Result<(), basalt_sql::SqlError> {
        self.current = Some(Row {
            columns: Arc::new(Columns {
                names: columns.to_vec(),
                types: types.to_vec(),
            }),
            values: Vec::with_capacity(columns.len()),
        });
        Ok(())
    }

    fn row(
        &mut self,
        row: &[Value],
        _types: &[DataType],
        _ctx: &basalt_common::types::TypeContext,
    ) -> Result<(), basalt_sql::SqlError> {
        // `begin` comes first; rows without it would have no columns.
        let current = self.current.get_or_insert_with(|| Row {
            columns: Arc::new(Columns {
                names: Vec::new(),
                types: Vec::new(),
            }),
            values: Vec::new(),
        });
        current.values.clear();
        current.values.extend_from_slice(row);
        if let Err(e) = (self.f)(current) {
            self.failed = Some(e);
            return Err(basalt_sql::SqlError::new(
                "57014",
                "canceling statement: the row function failed",
            ));
        }
        Ok(())
    }
}

/// A column given by position (`usize`, 0-based) or by name (`&str`).
///
/// Names match exactly first, then ignoring ASCII case (unquoted SQL names are lower case).
///
/// ```
/// let db = basalt::Database::memory();
/// let row = db.connect().query_one("SELECT 1 AS a, 2 AS b", ())?;
/// let by_index: i32 = row.get(1)?;
/// let by_name: i32 = row.get("B")?;
/// assert_eq!(by_index, by_name);
/// # Ok::<(), basalt::Error>(())
/// ```
pub trait RowIndex {
    /// The 0-based index of this column among `names`, if there is one.
    fn index(&self, names: &[String]) -> Option<usize>;
    /// How the column is named in errors.
    fn describe(&self) -> String;
}

impl RowIndex for usize {
    fn index(&self, names: &[String]) -> Option<usize> {
        (*self < names.len()).then_some(*self)
    }

    fn describe(&self) -> String {
        format!("#{self}")
    }
}

impl RowIndex for &str {
    fn index(&self, names: &[String]) -> Option<usize> {
        names
            .iter()
            .position(|n| n == self)
            .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(self)))
    }

    fn describe(&self) -> String {
        format!("\"{self}\"")
    }
}

/// One result row.
///
/// ```
/// use basalt::Value;
/// let db = basalt::Database::memory();
/// let row = db.connect().query_one("SELECT 'x' AS s, NULL::int AS n", ())?;
/// assert_eq!(row.len(), 2);
/// assert_eq!(row.column_names(), ["s", "n"]);
/// assert_eq!(row.get::<Option<i32>>("n")?, None);
/// assert_eq!(row.values(), [Value::Text("x".into()), Value::Null]);
/// # Ok::<(), basalt::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<Columns>,
    values: Vec<Value>,
}

impl Row {
    /// The value of column `idx` converted to `T` (see [`FromSql`]).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT 42, 'hi', 2.5::float8", ())?;
    /// let (n, s, f): (i64, &str, f64) = (row.get(0)?, row.get(1)?, row.get(2)?);
    /// assert_eq!((n, s, f), (42, "hi", 2.5));
    /// assert_eq!(row.get::<bool>(0).unwrap_err().code(), "42804");
    /// assert_eq!(row.get::<i32>(7).unwrap_err().code(), "42703");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn get<'r, T: FromSql<'r>>(&'r self, idx: impl RowIndex) -> Result<T, Error> {
        let i = self.position(&idx)?;
        let value = self.values.get(i).unwrap_or(&Value::Null);
        T::from_sql(value).map_err(|source| Error::FromSql {
            column: i,
            name: self.columns.names.get(i).cloned().unwrap_or_default(),
            source,
        })
    }

    /// The raw value of column `idx`.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT 1::int2", ())?;
    /// assert_eq!(row.get_value(0)?, &basalt::Value::Int2(1));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn get_value(&self, idx: impl RowIndex) -> Result<&Value, Error> {
        let i = self.position(&idx)?;
        self.values
            .get(i)
            .ok_or_else(|| Error::NoSuchColumn(idx.describe()))
    }

    fn position(&self, idx: &impl RowIndex) -> Result<usize, Error> {
        idx.index(&self.columns.names)
            .filter(|&i| i < self.values.len())
            .ok_or_else(|| Error::NoSuchColumn(idx.describe()))
    }

    /// The number of columns.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// assert_eq!(db.connect().query_one("SELECT 1, 2, 3", ())?.len(), 3);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns (`SELECT FROM t`).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// assert!(!db.connect().query_one("SELECT 1", ())?.is_empty());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values, in column order.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT true", ())?;
    /// assert_eq!(row.values(), [basalt::Value::Bool(true)]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Takes the values out of the row.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT 1", ())?;
    /// assert_eq!(row.into_values(), [basalt::Value::Int4(1)]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values
    }

    /// The column names.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT 1 AS one", ())?;
    /// assert_eq!(row.column_names(), ["one"]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn column_names(&self) -> &[String] {
        &self.columns.names
    }

    /// The column types.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let row = db.connect().query_one("SELECT 1::int8", ())?;
    /// assert_eq!(row.column_types(), [basalt::DataType::Int8]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn column_types(&self) -> &[DataType] {
        &self.columns.types
    }
}

/// All rows a statement returned, with its command tag.
///
/// ```
/// let db = basalt::Database::memory();
/// let conn = db.connect();
/// let rows = conn.query("SELECT g, g * g FROM generate_series(1, 3) AS g", ())?;
/// assert_eq!(rows.len(), 3);
/// assert_eq!(rows.tag(), "SELECT 3");
/// let squares: Vec<i32> = rows.iter().map(|r| r.get(1)).collect::<Result<_, _>>()?;
/// assert_eq!(squares, [1, 4, 9]);
/// # Ok::<(), basalt::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    tag: String,
    columns: Arc<Columns>,
    rows: Vec<Row>,
}

impl Rows {
    pub(crate) fn new(
        tag: String,
        names: Vec<String>,
        types: Vec<DataType>,
        values: Vec<Vec<Value>>,
    ) -> Rows {
        let columns = Arc::new(Columns { names, types });
        let rows = values
            .into_iter()
            .map(|values| Row {
                columns: columns.clone(),
                values,
            })
            .collect();
        Rows { tag, columns, rows }
    }

    /// The command tag (`SELECT 2`, `INSERT 0 1`, ...).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// assert_eq!(db.connect().query("SELECT 1", ())?.tag(), "SELECT 1");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The number of rows.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// assert_eq!(db.connect().query("SELECT 1 WHERE false", ())?.len(), 0);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// assert!(db.connect().query("SELECT 1 WHERE false", ())?.is_empty());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row `i`, if there is one.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let rows = db.connect().query("SELECT 'a' UNION ALL SELECT 'b'", ())?;
    /// assert_eq!(rows.get(1).map(|r| r.get::<String>(0)).transpose()?, Some("b".into()));
    /// assert!(rows.get(2).is_none());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn get(&self, i: usize) -> Option<&Row> {
        self.rows.get(i)
    }

    /// The rows, in order.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let rows = db.connect().query("SELECT 1 UNION ALL SELECT 2", ())?;
    /// assert_eq!(rows.iter().count(), 2);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, Row> {
        self.rows.iter()
    }

    /// The column names (also known when there are no rows).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let rows = db.connect().query("SELECT 1 AS x WHERE false", ())?;
    /// assert_eq!(rows.column_names(), ["x"]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn column_names(&self) -> &[String] {
        &self.columns.names
    }

    /// The column types.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let rows = db.connect().query("SELECT 'a'::text", ())?;
    /// assert_eq!(rows.column_types(), [basalt::DataType::Text]);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn column_types(&self) -> &[DataType] {
        &self.columns.types
    }
}

impl IntoIterator for Rows {
    type Item = Row;
    type IntoIter = std::vec::IntoIter<Row>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}

impl<'a> IntoIterator for &'a Rows {
    type Item = &'a Row;
    type IntoIter = std::slice::Iter<'a, Row>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}
