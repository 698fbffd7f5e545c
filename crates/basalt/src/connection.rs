//! [`Connection`]: a SQL session with typed parameters and rows, prepared [`Statement`]s and
//! RAII [`TransactionGuard`]s.
//!
//! # Design
//!
//! A connection wraps one [`Session`] of the SQL engine. Its methods take `&self` (the session
//! sits in a `RefCell`, borrowed only for the duration of one call and never across user
//! code), so several [`Statement`]s of one connection can be alive at once. A connection is
//! meant for one thread at a time: it is not `Sync`; open one per thread with
//! [`crate::Database::connect`] — connections of one database share its parse and catalog
//! caches.
//!
//! Transactions follow PostgreSQL's rules, as the session implements them: a statement run
//! outside a transaction block commits on its own (autocommit); [`Connection::transaction`]
//! sends `BEGIN` and returns a guard that sends `ROLLBACK` when dropped unless
//! [`TransactionGuard::commit`] was called.
//!
//! Results are materialised: [`Rows`] holds every row of the statement when the call returns.
//! [`Connection::query_each`] instead passes each row of a query to a function as the executor
//! produces it (the session's [`Session::query_to`]), for results too large to hold.

use std::cell::RefCell;
use std::ops::Deref;

use basalt_common::types::Value;
use basalt_sql::{PreparedStatement, QueryResult, Session, TransactionStatus};
use basalt_txn::{IsolationLevel, LocalKv};

use crate::convert::Params;
use crate::error::Error;
use crate::rows::{Row, Rows};

/// A connection to a [`crate::Database`]: runs SQL with parameters and returns typed rows.
///
/// ```
/// use basalt::params;
/// let db = basalt::Database::memory();
/// let conn = db.connect();
/// conn.execute("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL)", ())?;
/// let n = conn.execute("INSERT INTO users VALUES ($1, $2), ($3, $4)", params![1, "ada", 2, "bob"])?;
/// assert_eq!(n, 2);
/// for row in &conn.query("SELECT id, name FROM users ORDER BY id", ())? {
///     let id: i32 = row.get("id")?;
///     let name: &str = row.get("name")?;
///     assert!(matches!((id, name), (1, "ada") | (2, "bob")));
/// }
/// # Ok::<(), basalt::Error>(())
/// ```
pub struct Connection {
    session: RefCell<Session<LocalKv>>,
    /// A prepared statement's parameter vector, kept from run to run (see
    /// [`Statement::execute`]).
    params: std::cell::Cell<Vec<Value>>,
}

/// The number of rows a command tag reports (`INSERT 0 5` → 5, `UPDATE 2` → 2), 0 for tags
/// without a count (`CREATE TABLE`).
fn rows_in_tag(tag: &str) -> u64 {
    // The count is the tag's last word (`INSERT 0 5`, `SELECT 3`); read from the end.
    let command = tag.split_once(' ').map_or(tag, |(c, _)| c);
    match command {
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "SELECT" | "COPY" | "FETCH" | "MOVE" => tag
            .rsplit_once(' ')
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

impl Connection {
    pub(crate) fn new(session: Session<LocalKv>) -> Connection {
        Connection {
            session: RefCell::new(session),
            params: std::cell::Cell::new(Vec::new()),
        }
    }

    /// Runs `sql`, or the prepared statement of that text when given.
    fn run(
        &self,
        prepared: Option<&PreparedStatement>,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<QueryResult, Error> {
        let mut session = self.session.borrow_mut();
        let no_params = params.is_empty();
        let mut result = match prepared {
            Some(p) => session.query_prepared(p, params)?,
            None => session.query_owned(sql, params)?,
        };
        if result.rows.is_empty()
            && !result.columns.is_empty()
            && no_params
            && matches!(result.tag.as_str(), "SHOW" | "EXPLAIN")
        {
            // `Session::query` returns no typed rows for these text-only statements (their
            // text rows are dropped); they have no side effects, so run again for the text.
            if let Some(last) = session.execute(sql)?.pop() {
                result.rows = last
                    .rows
                    .into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|v| v.map_or(Value::Null, Value::Text))
                            .collect()
                    })
                    .collect();
            }
        }
        Ok(result)
    }

    /// Runs one statement with parameters `$1`, `$2`, ... and returns the number of rows it
    /// inserted, updated, deleted or returned (0 for statements that report no count).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// assert_eq!(conn.execute("CREATE TABLE t (x int)", ())?, 0);
    /// assert_eq!(conn.execute("INSERT INTO t SELECT generate_series(1, 10)", ())?, 10);
    /// assert_eq!(conn.execute("DELETE FROM t WHERE x > $1", [7])?, 3);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn execute(&self, sql: &str, params: impl Params) -> Result<u64, Error> {
        let result = self.run(None, sql, params.into_values())?;
        Ok(rows_in_tag(&result.tag))
    }

    /// Runs a string of one or more statements without parameters (a script: schema
    /// creation, migrations). Several statements share one implicit transaction unless the
    /// text controls transactions itself.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// conn.execute_batch("CREATE TABLE a (x int); CREATE TABLE b (y int); INSERT INTO a VALUES (1)")?;
    /// assert_eq!(conn.query_row("SELECT count(*) FROM a", (), |r| r.get::<i64>(0))?, 1);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn execute_batch(&self, sql: &str) -> Result<(), Error> {
        self.session.borrow_mut().execute(sql)?;
        Ok(())
    }

    /// Runs one statement with parameters and returns all its rows.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let rows = conn.query("SELECT g FROM generate_series(1, $1) AS g", [4])?;
    /// assert_eq!(rows.len(), 4);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query(&self, sql: &str, params: impl Params) -> Result<Rows, Error> {
        self.query_in(None, sql, params.into_values())
    }

    fn query_in(
        &self,
        prepared: Option<&PreparedStatement>,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Rows, Error> {
        let r = self.run(prepared, sql, params)?;
        Ok(Rows::new(r.tag, r.columns, r.types, r.rows))
    }

    /// Runs one statement with parameters and passes each row to `f` as the executor
    /// produces it, without collecting the result: memory stays bounded whatever the number
    /// of rows (for a plain SELECT; the rows of other statements, such as `... RETURNING`,
    /// are computed first, then passed on). Returns the number of rows. An error from `f`
    /// stops the statement, which fails as on any error (alone, it is rolled back; in a
    /// transaction block, the block fails), and is returned. Takes `&mut self`: `f` cannot
    /// use the connection while the statement runs.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// let mut sum = 0i64;
    /// let n = conn.query_each("SELECT g FROM generate_series(1, $1) AS g", [100_000], |row| {
    ///     sum += i64::from(row.get::<i32>(0)?);
    ///     Ok(())
    /// })?;
    /// assert_eq!((n, sum), (100_000, 5_000_050_000));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_each(
        &mut self,
        sql: &str,
        params: impl Params,
        mut f: impl FnMut(&Row) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let mut sink = crate::rows::EachRow::new(&mut f);
        let r = self
            .session
            .get_mut()
            .query_to(sql, params.into_values(), &mut sink);
        let (streamed, failed) = sink.finish();
        if let Some(e) = failed {
            return Err(e);
        }
        let r = r?;
        if streamed {
            return Ok(rows_in_tag(&r.tag));
        }
        // Not streamed (computed by the statement first): passed on now.
        let rows = Rows::new(r.tag, r.columns, r.types, r.rows);
        let mut n = 0;
        for row in &rows {
            f(row)?;
            n += 1;
        }
        Ok(n)
    }

    /// Runs a query that must return exactly one row: [`Error::NoRows`] if it returns none,
    /// [`Error::TooManyRows`] if it returns more.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let row = conn.query_one("SELECT $1::text || '!'", ["hi"])?;
    /// assert_eq!(row.get::<String>(0)?, "hi!");
    /// assert!(matches!(conn.query_one("SELECT 1 WHERE false", ()), Err(basalt::Error::NoRows)));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_one(&self, sql: &str, params: impl Params) -> Result<Row, Error> {
        self.query_opt(sql, params)?.ok_or(Error::NoRows)
    }

    /// Runs a query that returns at most one row: `None` if it returns none,
    /// [`Error::TooManyRows`] if it returns more.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// assert!(conn.query_opt("SELECT 1 WHERE false", ())?.is_none());
    /// assert!(matches!(
    ///     conn.query_opt("SELECT generate_series(1, 2)", ()),
    ///     Err(basalt::Error::TooManyRows)
    /// ));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_opt(&self, sql: &str, params: impl Params) -> Result<Option<Row>, Error> {
        self.query_opt_in(None, sql, params.into_values())
    }

    fn query_opt_in(
        &self,
        prepared: Option<&PreparedStatement>,
        sql: &str,
        params: Vec<Value>,
    ) -> Result<Option<Row>, Error> {
        let mut rows = self.query_in(prepared, sql, params)?.into_iter();
        let first = rows.next();
        if rows.next().is_some() {
            return Err(Error::TooManyRows);
        }
        Ok(first)
    }

    /// Runs a query and passes its first row to `f` ([`Error::NoRows`] if there is none;
    /// later rows are ignored).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let (a, b) = conn.query_row("SELECT 1, 'one'", (), |r| Ok((r.get::<i32>(0)?, r.get::<String>(1)?)))?;
    /// assert_eq!((a, b.as_str()), (1, "one"));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_row<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let rows = self.query(sql, params)?;
        f(rows.get(0).ok_or(Error::NoRows)?)
    }

    /// Runs a `COPY ... FROM STDIN` statement with `data` as its input (PostgreSQL's text or
    /// CSV format, as the statement's options say) and returns the number of rows copied.
    /// The fastest way to load many rows: they are parsed and inserted in batches, with
    /// every constraint checked.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text)", ())?;
    /// let csv = "id,name\n1,ada\n2,\"bob, jr\"\n3,\n";
    /// assert_eq!(conn.copy_in("COPY t FROM STDIN (FORMAT csv, HEADER)", csv.as_bytes())?, 3);
    /// assert_eq!(conn.query_row("SELECT name FROM t WHERE id = 2", (), |r| r.get::<String>(0))?, "bob, jr");
    /// assert!(conn.query_row("SELECT name FROM t WHERE id = 3", (), |r| r.get::<Option<String>>(0))?.is_none());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn copy_in(&self, sql: &str, mut data: impl std::io::Read) -> Result<u64, Error> {
        Ok(self.session.borrow_mut().copy_in(sql, &mut data)?)
    }

    /// Runs a `COPY ... TO STDOUT` statement writing to `out` and returns the number of rows
    /// written.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE t AS SELECT g AS id, 'n' || g AS name FROM generate_series(1, 2) g", ())?;
    /// let mut out = Vec::new();
    /// assert_eq!(conn.copy_out("COPY (SELECT * FROM t ORDER BY id) TO STDOUT (FORMAT csv, HEADER)", &mut out)?, 2);
    /// assert_eq!(String::from_utf8(out).unwrap(), "id,name\n1,n1\n2,n2\n");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn copy_out(&self, sql: &str, mut out: impl std::io::Write) -> Result<u64, Error> {
        Ok(self.session.borrow_mut().copy_out(sql, &mut out)?)
    }

    /// Prepares a statement to run many times with different parameters. The text is parsed
    /// now, so syntax errors surface here.
    ///
    /// A [`Statement`] keeps the parsed statement and, after its first run, its bound plan:
    /// later runs skip parsing and binding until DDL or a changed setting (`search_path`,
    /// `TimeZone`, ...) makes the plan stale, when it is bound again.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v text)", ())?;
    /// let insert = conn.prepare("INSERT INTO kv VALUES ($1, $2)")?;
    /// for (k, v) in [(1, "a"), (2, "b"), (3, "c")] {
    ///     insert.execute((k, v))?;
    /// }
    /// let get = conn.prepare("SELECT v FROM kv WHERE k = $1")?;
    /// assert_eq!(get.query_one([2])?.get::<String>(0)?, "b");
    /// assert_eq!(conn.prepare("SELEC 1").err().map(|e| e.code()), Some("42601"));
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>, Error> {
        let prepared = self.session.borrow_mut().prepare(sql)?;
        Ok(Statement {
            conn: self,
            prepared,
        })
    }

    /// Begins a transaction (`BEGIN`, at the session's default isolation level, READ
    /// COMMITTED unless `default_transaction_isolation` says otherwise). The guard rolls back
    /// when dropped unless [`TransactionGuard::commit`] is called; statements run through it
    /// (it dereferences to the connection).
    ///
    /// Fails with [`Error::TransactionInProgress`] if a transaction block is already open
    /// (e.g. one begun with an explicit `BEGIN`).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// conn.execute("CREATE TABLE t (x int)", ())?;
    /// {
    ///     let tx = conn.transaction()?;
    ///     tx.execute("INSERT INTO t VALUES (1)", ())?;
    ///     // dropped without commit: rolled back
    /// }
    /// let tx = conn.transaction()?;
    /// tx.execute("INSERT INTO t VALUES (2)", ())?;
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT sum(x) FROM t", (), |r| r.get::<i64>(0))?, 2);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn transaction(&mut self) -> Result<TransactionGuard<'_>, Error> {
        self.begin_guard("BEGIN")
    }

    /// Begins a transaction at `isolation` (see [`Connection::transaction`]).
    ///
    /// ```
    /// use basalt::IsolationLevel;
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// let tx = conn.transaction_with(IsolationLevel::Serializable)?;
    /// let level: String = tx.query_row("SHOW transaction_isolation", (), |r| r.get(0))?;
    /// assert_eq!(level, "serializable");
    /// tx.commit()?;
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn transaction_with(
        &mut self,
        isolation: IsolationLevel,
    ) -> Result<TransactionGuard<'_>, Error> {
        self.begin_guard(match isolation {
            IsolationLevel::ReadCommitted => "BEGIN ISOLATION LEVEL READ COMMITTED",
            IsolationLevel::RepeatableRead => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            IsolationLevel::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        })
    }

    fn begin_guard(&mut self, begin: &str) -> Result<TransactionGuard<'_>, Error> {
        if self.transaction_status() != TransactionStatus::Idle {
            return Err(Error::TransactionInProgress);
        }
        self.session.get_mut().execute(begin)?;
        Ok(TransactionGuard {
            conn: self,
            finished: false,
        })
    }

    /// Whether a transaction block is open, failed, or not (PostgreSQL's ReadyForQuery
    /// status).
    ///
    /// ```
    /// use basalt::TransactionStatus;
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// assert_eq!(conn.transaction_status(), TransactionStatus::Idle);
    /// conn.execute("BEGIN", ())?;
    /// assert_eq!(conn.transaction_status(), TransactionStatus::InTransaction);
    /// assert!(conn.execute("SELECT 1/0", ()).is_err());
    /// assert_eq!(conn.transaction_status(), TransactionStatus::Failed);
    /// conn.execute("ROLLBACK", ())?;
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn transaction_status(&self) -> TransactionStatus {
        self.session.borrow().transaction_status()
    }

    /// The underlying SQL session, for what this API does not cover (text results, notices,
    /// [`Session::run`]).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// let results = conn.session_mut().execute("SHOW server_version")?;
    /// assert_eq!(results.len(), 1);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn session_mut(&mut self) -> &mut Session<LocalKv> {
        self.session.get_mut()
    }
}

/// A statement prepared by [`Connection::prepare`], to run many times with different
/// parameters.
///
/// ```
/// let db = basalt::Database::memory();
/// let conn = db.connect();
/// let square = conn.prepare("SELECT $1::int8 * $1")?;
/// for i in 1..=3i64 {
///     assert_eq!(square.query_row([i], |r| r.get::<i64>(0))?, i * i);
/// }
/// assert_eq!(square.sql(), "SELECT $1::int8 * $1");
/// # Ok::<(), basalt::Error>(())
/// ```
pub struct Statement<'c> {
    conn: &'c Connection,
    prepared: PreparedStatement,
}

impl Statement<'_> {
    /// The statement text.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// assert_eq!(conn.prepare("SELECT 1")?.sql(), "SELECT 1");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn sql(&self) -> &str {
        self.prepared.text()
    }

    /// Runs the statement; see [`Connection::execute`].
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// conn.execute("CREATE TABLE t (x int)", ())?;
    /// let insert = conn.prepare("INSERT INTO t VALUES ($1)")?;
    /// assert_eq!(insert.execute([5])?, 1);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn execute(&self, params: impl Params) -> Result<u64, Error> {
        // The values go into a vector the connection keeps, so that a statement run once
        // per row (a bulk load) allocates none.
        let mut values = self.conn.params.take();
        values.clear();
        params.append_values(&mut values);
        let r = self
            .conn
            .session
            .borrow_mut()
            .execute_prepared_in(&self.prepared, &mut values);
        values.clear();
        self.conn.params.set(values);
        Ok(match r? {
            basalt_sql::Executed::Inserted(n) => n,
            basalt_sql::Executed::Result(r) => rows_in_tag(&r.tag),
        })
    }

    /// Runs the statement and returns its rows; see [`Connection::query`].
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let s = conn.prepare("SELECT generate_series(1, $1)")?;
    /// assert_eq!(s.query([2])?.len(), 2);
    /// assert_eq!(s.query([5])?.len(), 5);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query(&self, params: impl Params) -> Result<Rows, Error> {
        self.conn
            .query_in(Some(&self.prepared), self.sql(), params.into_values())
    }

    /// Runs the statement, which must return exactly one row; see [`Connection::query_one`].
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let s = conn.prepare("SELECT $1::int + 1")?;
    /// assert_eq!(s.query_one([1])?.get::<i32>(0)?, 2);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_one(&self, params: impl Params) -> Result<Row, Error> {
        self.query_opt(params)?.ok_or(Error::NoRows)
    }

    /// Runs the statement, which returns at most one row; see [`Connection::query_opt`].
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let s = conn.prepare("SELECT 1 WHERE $1")?;
    /// assert!(s.query_opt([true])?.is_some());
    /// assert!(s.query_opt([false])?.is_none());
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_opt(&self, params: impl Params) -> Result<Option<Row>, Error> {
        self.conn
            .query_opt_in(Some(&self.prepared), self.sql(), params.into_values())
    }

    /// Runs the statement and passes its first row to `f`; see [`Connection::query_row`].
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let conn = db.connect();
    /// let s = conn.prepare("SELECT upper($1)")?;
    /// assert_eq!(s.query_row(["abc"], |r| r.get::<String>(0))?, "ABC");
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn query_row<T>(
        &self,
        params: impl Params,
        f: impl FnOnce(&Row) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let rows = self.query(params)?;
        f(rows.get(0).ok_or(Error::NoRows)?)
    }
}

/// An open transaction block of a [`Connection`]; rolls back when dropped unless
/// [`TransactionGuard::commit`] was called. Dereferences to the connection, so statements
/// (and prepared statements) run through it.
///
/// ```
/// let db = basalt::Database::memory();
/// let mut conn = db.connect();
/// conn.execute("CREATE TABLE t (x int)", ())?;
/// let tx = conn.transaction()?;
/// let insert = tx.prepare("INSERT INTO t VALUES ($1)")?;
/// for i in 0..100 {
///     insert.execute([i])?;
/// }
/// drop(insert);
/// tx.commit()?;
/// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))?, 100);
/// # Ok::<(), basalt::Error>(())
/// ```
pub struct TransactionGuard<'c> {
    conn: &'c mut Connection,
    finished: bool,
}

impl TransactionGuard<'_> {
    /// Commits (`COMMIT`). Fails with [`Error::TransactionAborted`] if a statement of the
    /// transaction failed (the block was rolled back instead), or with the commit's error (for
    /// example a serialization failure, 40001).
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// conn.execute("CREATE TABLE t (x int PRIMARY KEY)", ())?;
    /// let tx = conn.transaction()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// assert!(tx.execute("INSERT INTO t VALUES (1)", ()).is_err());
    /// assert!(matches!(tx.commit(), Err(basalt::Error::TransactionAborted)));
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))?, 0);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn commit(mut self) -> Result<(), Error> {
        self.finished = true;
        let results = self.conn.session.get_mut().execute("COMMIT")?;
        if results.last().is_some_and(|r| r.tag == "ROLLBACK") {
            return Err(Error::TransactionAborted);
        }
        Ok(())
    }

    /// Rolls back (`ROLLBACK`), as dropping the guard does, but reports errors.
    ///
    /// ```
    /// let db = basalt::Database::memory();
    /// let mut conn = db.connect();
    /// conn.execute("CREATE TABLE t (x int)", ())?;
    /// let tx = conn.transaction()?;
    /// tx.execute("INSERT INTO t VALUES (1)", ())?;
    /// tx.rollback()?;
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))?, 0);
    /// # Ok::<(), basalt::Error>(())
    /// ```
    pub fn rollback(mut self) -> Result<(), Error> {
        self.finished = true;
        self.conn.session.get_mut().execute("ROLLBACK")?;
        Ok(())
    }
}

impl Deref for TransactionGuard<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for TransactionGuard<'_> {
    fn drop(&mut self) {
        if !self.finished && self.conn.transaction_status() != TransactionStatus::Idle {
            // Nothing to report to: an error here leaves the session as ROLLBACK leaves it.
            let _ = self.conn.session.get_mut().execute("ROLLBACK");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rows_in_tag;

    #[test]
    fn counts_from_tags() {
        assert_eq!(rows_in_tag("INSERT 0 12"), 12);
        assert_eq!(rows_in_tag("UPDATE 3"), 3);
        assert_eq!(rows_in_tag("DELETE 0"), 0);
        assert_eq!(rows_in_tag("SELECT 7"), 7);
        assert_eq!(rows_in_tag("CREATE TABLE"), 0);
        assert_eq!(rows_in_tag("SET"), 0);
        assert_eq!(rows_in_tag(""), 0);
    }
}
