//! The session side of a connection: one blocking thread per connection owns the
//! [`Session`] and runs the protocol's query cycle over it.
//!
//! The connection's reader task decodes frontend messages and queues them here; this thread
//! answers each one into an output buffer ([`crate::wire::Out`]) that goes to the writer task
//! at flush points. Statements run synchronously on this thread (the engine blocks on row locks
//! and commit fsyncs), so the async runtime's threads never wait on the engine.
//!
//! # Extended query protocol
//!
//! Statements (Parse) and portals (Bind) are kept by name; the unnamed ones are replaced by
//! the next Parse/Bind. A portal runs at its first Execute. Statements executed between two
//! Syncs outside a transaction block share one implicit transaction, committed at Sync
//! ([`Session::sync`]). An error at any step aborts the transaction (an explicit block fails,
//! the implicit one rolls back) and messages are skipped until Sync.
//!
//! # Streaming rows
//!
//! A query's rows are not collected: the session hands each row to the connection as the
//! executor produces it ([`RowSink`], implemented by [`ClientIo`]), which encodes a DataRow
//! into the output buffer; the buffer goes to the socket whenever it passes 64 KiB. Memory
//! stays bounded whatever the result's size, the first rows leave before the last are
//! computed, and a slow client slows the query down (the socket write blocks) instead of
//! letting rows pile up. As in PostgreSQL, an error in the middle (division by zero at row
//! 1,000,000, a cancel, `statement_timeout`) comes after the rows sent before it, and
//! CommandComplete's `SELECT n` counts the rows sent. A failed write (the client is gone)
//! stops the query with 08006. This is the path of every plain SELECT (VALUES, TABLE) of a
//! simple query and of an Execute without a row limit; `COPY ... TO STDOUT` streams the
//! same way, in CopyData messages of up to 64 KiB. Statements whose rows come from the
//! session itself or after writes (SHOW, EXPLAIN, FETCH, RETURNING, data-modifying WITH)
//! still hand over a finished result.
//!
//! An Execute *with* a row limit (partial fetch) runs the portal to its end and keeps its
//! rows, handing them out in pieces (PortalSuspended) at each Execute: the executor reads
//! through the transaction borrowed for one statement, so a suspended plan cannot outlive
//! the message that started it (SQL cursors, `DECLARE ... FETCH`, are the way to read a huge
//! result piecewise).
//!
//! A Describe of a portal does not run it. Its answer waits for the next message: when that
//! is the portal's Execute (what libpq sends every time), the RowDescription goes out as the
//! rows begin, from the plan the Execute runs, so the statement is bound once; any other
//! message first gets the description from the statement's binding
//! ([`Session::describe_prepared`]). Either way the client reads RowDescription before the
//! rows, and an error before the first row (a binding error) takes its place.

use std::collections::HashMap;
use std::io::Read;

use crate::io::{Inbound, Io};
use crate::wire;
use basalt_common::types::TypeContext;
use basalt_common::types::{DataType, Value};
use basalt_sql::{
    Client, Failure, Notice, PreparedStatement, QueryResult, RowSink, Session, SqlError,
    StatementResult, TransactionStatus,
};
use basalt_txn::LocalKv;
use bytes::Bytes;
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::PgWireFrontendMessage as F;
use pgwire::messages::copy::{CopyData, CopyDone, CopyInResponse, CopyOutResponse};
use pgwire::messages::data::{NoData, ParameterDescription};
use pgwire::messages::extendedquery::{
    BindComplete, CloseComplete, ParseComplete, PortalSuspended,
};
use pgwire::messages::response::{
    CommandComplete, EmptyQueryResponse, NotificationResponse, ReadyForQuery,
    TransactionStatus as Rfq,
};
use pgwire::messages::startup::ParameterStatus;

/// Parameters PostgreSQL reports with ParameterStatus at startup and whenever they change.
pub(crate) const REPORTED: &[&str] = &[
    "application_name",
    "client_encoding",
    "DateStyle",
    "default_transaction_read_only",
    "in_hot_standby",
    "integer_datetimes",
    "IntervalStyle",
    "is_superuser",
    "server_encoding",
    "server_version",
    "session_authorization",
    "standard_conforming_strings",
    "TimeZone",
];

struct Stmt {
    prepared: PreparedStatement,
    /// Parameter types the client declared in Parse (`None`: unspecified).
    declared: Vec<Option<DataType>>,
    /// Every parameter's type, declared or inferred, once described.
    described: Option<Vec<DataType>>,
}

struct Portal {
    prepared: PreparedStatement,
    params: Vec<Value>,
    formats: Vec<i16>,
    /// The result once run, and how many of its rows were sent.
    result: Option<(QueryResult, usize)>,
    /// The rows of a query run by an Execute with a row limit, kept for the next Executes
    /// (the result then holds its tag and columns only).
    spill: Option<crate::spill::Spill>,
}

/// The session thread of one connection.
pub(crate) struct Worker {
    pub(crate) session: Session<LocalKv>,
    pub(crate) io: Io,
    statements: HashMap<String, Stmt>,
    portals: HashMap<String, Portal>,
    /// After an error in the extended protocol: skip messages until Sync.
    skip_to_sync: bool,
    /// A portal whose Describe is answered at the next message (see the module doc).
    pending_describe: Option<String>,
    /// Values last reported with ParameterStatus.
    reported: Vec<String>,
    /// The settings epoch they were read at.
    reported_epoch: u64,
}

impl Worker {
    pub(crate) fn new(session: Session<LocalKv>, io: Io) -> Worker {
        Worker {
            session,
            io,
            statements: HashMap::new(),
            portals: HashMap::new(),
            skip_to_sync: false,
            pending_describe: None,
            reported: Vec::new(),
            reported_epoch: u64::MAX,
        }
    }

    /// The current value of a reported parameter.
    fn parameter(&self, name: &str) -> String {
        match name {
            "in_hot_standby" => "off".into(),
            "is_superuser" => if self.session.is_superuser().unwrap_or(false) {
                "on"
            } else {
                "off"
            }
            .into(),
            _ => self
                .session
                .settings()
                .show(name)
                .map(|(_, v)| v)
                .unwrap_or_default(),
        }
    }

    /// ParameterStatus for every reported parameter (startup) or for those changed since
    /// last reported.
    pub(crate) fn report_parameters(&mut self) {
        let epoch = self.session.settings().epoch();
        if epoch == self.reported_epoch {
            return;
        }
        self.reported_epoch = epoch;
        let first = self.reported.is_empty();
        for (i, name) in REPORTED.iter().enumerate() {
            let v = self.parameter(name);
            if first || self.reported.get(i) != Some(&v) {
                self.io
                    .push(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                        (*name).to_string(),
                        v.clone(),
                    )));
            }
            if first {
                self.reported.push(v);
            } else if let Some(slot) = self.reported.get_mut(i) {
                *slot = v;
            }
        }
    }

    fn ready(&mut self) {
        // Named statements SQL DEALLOCATE closed.
        for name in self.session.take_closed_protocol_statements() {
            self.statements.remove(&name);
        }
        self.report_parameters();
        self.notifications();
        let status = match self.session.transaction_status() {
            TransactionStatus::Idle => Rfq::Idle,
            TransactionStatus::InTransaction => Rfq::Transaction,
            TransactionStatus::Failed => Rfq::Error,
        };
        self.io.in_transaction = status != Rfq::Idle;
        self.io.idle_timeout = self
            .session
            .settings()
            .idle_in_transaction_session_timeout();
        self.io
            .push(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                status,
            )));
    }

    /// Runs the query cycle until the client leaves.
    pub(crate) fn run(mut self) {
        self.ready();
        loop {
            let msg = match self.io.next() {
                Inbound::Msg(m) => m,
                Inbound::Tick => {
                    self.notifications();
                    continue;
                }
                Inbound::Closed => break,
                Inbound::Fatal(code, message) => {
                    self.io.push(wire::error_of("FATAL", code, &message));
                    self.io.flush();
                    break;
                }
            };
            // A Describe of a portal not yet run is answered here: by the portal's Execute
            // when that comes next (the row description goes out as its rows begin),
            // otherwise now, from the statement's binding.
            let describe = match self.pending_describe.take() {
                Some(p) if matches!(&msg, F::Execute(e) if e.name.as_deref().unwrap_or("") == p) => {
                    true
                }
                Some(p) => {
                    if let Err(e) = self.describe_portal(&p) {
                        self.fail(&e, &[]);
                    }
                    false
                }
                None => false,
            };
            if self.skip_to_sync && msg.is_extended_query() && !matches!(msg, F::Sync(_)) {
                continue;
            }
            match msg {
                F::Query(q) => {
                    self.simple_query(&q.query);
                    self.ready();
                }
                F::Parse(p) => {
                    let r = self.parse(p.name.unwrap_or_default(), &p.query, &p.type_oids);
                    self.extended(
                        r.map(|()| PgWireBackendMessage::ParseComplete(ParseComplete::new())),
                    );
                }
                F::Bind(b) => {
                    let r = self.bind(b);
                    self.extended(
                        r.map(|()| PgWireBackendMessage::BindComplete(BindComplete::new())),
                    );
                }
                F::Describe(d) => {
                    if let Err(e) = self.describe(d.target_type, d.name.unwrap_or_default()) {
                        self.fail(&e, &[]);
                    }
                }
                F::Execute(e) => {
                    let r = self.execute(&e.name.unwrap_or_default(), e.max_rows, describe);
                    if let Err(f) = r {
                        self.fail(&f.error, &f.notices);
                    }
                }
                F::Close(c) => {
                    let name = c.name.unwrap_or_default();
                    if c.target_type == b'S' {
                        self.statements.remove(&name);
                        self.session.remove_protocol_statement(&name);
                    } else {
                        self.portals.remove(&name);
                    }
                    self.io
                        .push(PgWireBackendMessage::CloseComplete(CloseComplete::new()));
                }
                F::Sync(_) => {
                    self.skip_to_sync = false;
                    // The unnamed portal ends with its transaction.
                    if let Err(e) = self.session.sync() {
                        self.io.push(wire::error(&e));
                    }
                    if self.session.transaction_status() == TransactionStatus::Idle {
                        self.portals.clear();
                    }
                    self.ready();
                }
                F::Flush(_) => self.io.flush(),
                F::Terminate(_) => break,
                // Stray COPY messages (after a COPY failed) are dropped, as PostgreSQL does.
                F::CopyData(_) | F::CopyDone(_) | F::CopyFail(_) => {}
                other => {
                    tracing::debug!("unexpected message {other:?}");
                    self.io.push(wire::error_of(
                        "FATAL",
                        "08P01",
                        "invalid frontend message type",
                    ));
                    self.io.flush();
                    break;
                }
            }
            if self.io.is_closed() {
                break;
            }
        }
        // Dropping the session rolls back a transaction left open.
    }

    /// The outcome of an extended-protocol message: its reply, or an error that makes the
    /// rest until Sync be skipped.
    fn extended(&mut self, r: Result<PgWireBackendMessage, SqlError>) {
        match r {
            Ok(m) => self.io.push(m),
            Err(e) => self.fail(&e, &[]),
        }
    }

    /// An error in the extended protocol: it aborts the transaction wherever it was raised
    /// (a Parse, Bind or Describe error too: PostgreSQL fails an explicit block and rolls back
    /// the implicit one of the statements since the last Sync), and the rest until Sync is
    /// skipped.
    fn fail(&mut self, e: &SqlError, notices: &[Notice]) {
        for n in notices {
            self.io.push(wire::notice(n));
        }
        self.io.push(wire::error(e));
        self.session.abort_on_error();
        self.skip_to_sync = true;
    }

    fn simple_query(&mut self, sql: &str) {
        // A simple query closes the unnamed statement and portal.
        self.statements.remove("");
        self.portals.remove("");
        let mut client = ClientIo::new(&mut self.io);
        client.interrupt = Some(self.session.interrupt_handle());
        client.rows = Some(RowsOut::new(&[], true, false));
        let error = self.session.run_for_client(sql, &mut client);
        let delivered = client.delivered;
        let copy_failure = client.copy_failure.take();
        if let Some((e, notices)) = error {
            for n in &notices {
                self.io.push(wire::notice(n));
            }
            let e = copy_failure.unwrap_or(e);
            self.io.push(wire::error(&e));
        } else if delivered == 0 {
            self.io.push(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ));
        }
    }

    fn parse(&mut self, name: String, sql: &str, oids: &[u32]) -> Result<(), SqlError> {
        let declared = oids
            .iter()
            .map(|&o| {
                if o == 0 {
                    Ok(None)
                } else {
                    DataType::from_oid(o).map(Some).ok_or_else(|| {
                        SqlError::new("42704", format!("type with OID {o} does not exist"))
                    })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let prepared = self.session.prepare_typed(sql, &declared)?;
        if prepared.statement_count() > 1 {
            return Err(SqlError::new(
                "42601",
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        if !name.is_empty() {
            self.session.add_protocol_statement(&name)?;
        }
        self.statements.insert(
            name,
            Stmt {
                prepared,
                declared,
                described: None,
            },
        );
        Ok(())
    }

    fn bind(&mut self, b: pgwire::messages::extendedquery::Bind) -> Result<(), SqlError> {
        let sname = b.statement_name.unwrap_or_default();
        let pname = b.portal_name.unwrap_or_default();
        let binary_untyped = b.parameters.iter().enumerate().any(|(i, p)| {
            p.is_some()
                && wire::format_of(&b.parameter_format_codes, i) == 1
                && self.statements.get(&sname).is_some_and(|s| {
                    s.described.is_none() && s.declared.get(i).is_none_or(Option::is_none)
                })
        });
        if binary_untyped {
            // A parameter in binary needs its type: the one the statement infers.
            self.describe_params(&sname)?;
        }
        let Some(stmt) = self.statements.get(&sname) else {
            return Err(SqlError::new(
                "26000",
                format!("prepared statement \"{sname}\" does not exist"),
            ));
        };
        if !pname.is_empty() && self.portals.contains_key(&pname) {
            return Err(SqlError::new(
                "42P03",
                format!("cursor \"{pname}\" already exists"),
            ));
        }
        let n = b.parameters.len();
        let fcodes = &b.parameter_format_codes;
        if fcodes.len() > 1 && fcodes.len() != n {
            return Err(SqlError::new(
                "08P01",
                format!(
                    "bind message has {} parameter formats but {n} parameters",
                    fcodes.len()
                ),
            ));
        }
        let ctx = self.session.type_context();
        let mut params = Vec::with_capacity(n);
        for (i, p) in b.parameters.iter().enumerate() {
            let declared = stmt
                .declared
                .get(i)
                .cloned()
                .flatten()
                .or_else(|| stmt.described.as_ref().and_then(|d| d.get(i).cloned()));
            let Some(bytes) = p else {
                params.push(Value::Null);
                continue;
            };
            let v = if wire::format_of(fcodes, i) == 1 {
                let ty = declared.ok_or_else(|| {
                    SqlError::new(
                        "08P01",
                        format!(
                            "parameter ${} is sent in binary but its type is unknown",
                            i + 1
                        ),
                    )
                })?;
                basalt_common::types::binary::decode_param(bytes, &ty, i + 1)
                    .map_err(SqlError::from)?
            } else {
                let text = std::str::from_utf8(bytes).map_err(|_| {
                    SqlError::new("22021", "invalid byte sequence for encoding \"UTF8\"")
                })?;
                match &declared {
                    Some(ty) => {
                        basalt_common::types::parse_text(text, ty, &ctx).map_err(SqlError::from)?
                    }
                    None => Value::Text(text.to_string()),
                }
            };
            params.push(v);
        }
        let portal = Portal {
            prepared: stmt.prepared.clone(),
            params,
            formats: b.result_column_format_codes,
            result: None,
            spill: None,
        };
        self.portals.insert(pname, portal);
        Ok(())
    }

    fn describe(&mut self, target: u8, name: String) -> Result<(), SqlError> {
        if target == b'S' {
            let columns = self.describe_params(&name)?;
            let types: Vec<u32> = self
                .statements
                .get(&name)
                .and_then(|s| s.described.as_ref())
                .map(|d| d.iter().map(DataType::oid).collect())
                .unwrap_or_default();
            self.io.push(PgWireBackendMessage::ParameterDescription(
                ParameterDescription::new(types),
            ));
            self.io.push(column_description(columns, &[]));
            return Ok(());
        }
        match self.portals.get(&name) {
            None => Err(SqlError::new(
                "34000",
                format!("portal \"{name}\" does not exist"),
            )),
            // Deferred to the next message: an Execute of the portal describes it as its
            // rows begin, with the plan it runs (libpq sends Describe before every Execute).
            Some(p) if p.result.is_none() && p.prepared.returns_rows() => {
                self.pending_describe = Some(name);
                Ok(())
            }
            Some(_) => self.describe_portal(&name),
        }
    }

    /// Describes portal `name` without running it: NoData for a statement without rows,
    /// the columns of its result once it ran, else those of its statement's binding.
    fn describe_portal(&mut self, name: &str) -> Result<(), SqlError> {
        let Some(portal) = self.portals.get(name) else {
            return Err(SqlError::new(
                "34000",
                format!("portal \"{name}\" does not exist"),
            ));
        };
        let m = if !portal.prepared.returns_rows() {
            PgWireBackendMessage::NoData(NoData::new())
        } else if let Some((r, _)) = &portal.result {
            result_description(r, &portal.formats)
        } else {
            let columns = self
                .session
                .describe_prepared(&portal.prepared, &[])?
                .columns;
            column_description(columns, &portal.formats)
        };
        self.io.push(m);
        Ok(())
    }

    /// Describes statement `name`: keeps its parameters' types and returns its result
    /// columns (`None`: it returns no rows).
    fn describe_params(&mut self, name: &str) -> Result<Option<Vec<(String, DataType)>>, SqlError> {
        let Some(stmt) = self.statements.get(name) else {
            return Err(SqlError::new(
                "26000",
                format!("prepared statement \"{name}\" does not exist"),
            ));
        };
        let d = self
            .session
            .describe_prepared(&stmt.prepared, &stmt.declared)?;
        if let Some(stmt) = self.statements.get_mut(name) {
            stmt.described = Some(d.params);
        }
        Ok(d.columns)
    }

    /// Runs the portal's statement. With `stream`, the rows of a query go to the client as
    /// they are produced (the portal keeps only its tag and columns); else they are kept in
    /// the portal for Executes with a row limit. `describe`: the row description goes out
    /// when the rows begin (a deferred Describe). Returns whether they began so.
    fn run_portal(
        &mut self,
        name: &str,
        stream: bool,
        describe: bool,
    ) -> Result<bool, Box<Failure>> {
        let Some(portal) = self.portals.get_mut(name) else {
            return Err(Box::new(Failure {
                error: SqlError::new("34000", format!("portal \"{name}\" does not exist")),
                notices: Vec::new(),
            }));
        };
        let prepared = portal.prepared.clone();
        let params = std::mem::take(&mut portal.params);
        // Lent to the row sink for the run (no copy per Execute).
        let formats = std::mem::take(&mut portal.formats);
        let mut client = ClientIo::new(&mut self.io);
        client.interrupt = Some(self.session.interrupt_handle());
        if stream {
            client.rows = Some(RowsOut::new(&formats, false, describe));
        } else {
            client.spill = Some(crate::spill::Spill::default());
        }
        let r = self
            .session
            .query_prepared_for(&prepared, params, &mut client);
        if r.is_ok() {
            client.end_copy_out();
        }
        let began = client.rows.as_ref().is_some_and(|o| o.begun);
        let spill = client.spill.take().filter(|s| s.begun);
        let copy_failure = client.copy_failure.take();
        if let Some(portal) = self.portals.get_mut(name) {
            portal.formats = formats;
        }
        let r = r.map_err(|mut f| {
            if let Some(e) = copy_failure {
                f.error = e;
            }
            f
        })?;
        for n in &r.notices {
            self.io.push(wire::notice(n));
        }
        let spill = match spill {
            Some(mut s) => {
                s.finish().map_err(|error| {
                    Box::new(Failure {
                        error,
                        notices: Vec::new(),
                    })
                })?;
                Some(s)
            }
            None => None,
        };
        if let Some(portal) = self.portals.get_mut(name) {
            portal.result = Some((r, 0));
            portal.spill = spill;
        }
        Ok(began)
    }

    /// Execute: an unlimited one (`max_rows` 0) of a portal not yet run streams its rows as
    /// they are produced; one with a row limit runs the portal to its end and keeps the rows
    /// for the next Executes (PortalSuspended until they are all sent), as the executor's
    /// reads borrow the transaction for one statement at a time: a query's rows in a
    /// [`crate::spill::Spill`] (memory bounded), other statements' in their result.
    fn execute(&mut self, name: &str, max_rows: i32, describe: bool) -> Result<(), Box<Failure>> {
        if self
            .portals
            .get(name)
            .is_some_and(|p| p.prepared.statement_count() == 0)
        {
            self.io.push(PgWireBackendMessage::EmptyQueryResponse(
                EmptyQueryResponse::new(),
            ));
            return Ok(());
        }
        let limit = usize::try_from(max_rows).ok().filter(|n| *n > 0);
        let began = if self.portals.get(name).is_some_and(|p| p.result.is_some()) {
            false
        } else {
            self.run_portal(name, limit.is_none(), describe)?
        };
        let Some(Portal {
            result: Some((r, sent)),
            formats,
            spill,
            ..
        }) = self.portals.get_mut(name)
        else {
            return Ok(());
        };
        if describe && !began {
            self.io.push(result_description(r, formats));
        }
        let fail = |error| {
            Box::new(Failure {
                error,
                notices: Vec::new(),
            })
        };
        let more = if let Some(spill) = spill {
            // Rows kept by the first Execute: the next `limit` of them.
            let ctx = self.session.type_context();
            let mut scratch = Vec::new();
            let mut left = limit.unwrap_or(usize::MAX);
            while left > 0 {
                let Some(row) = spill.next_row().map_err(fail)? else {
                    break;
                };
                wire::value_row(self.io.raw(), &row, &r.types, formats, &ctx, &mut scratch)
                    .map_err(fail)?;
                self.io.maybe_flush();
                left -= 1;
            }
            spill.remaining() > 0
        } else {
            let end = limit.map_or(r.rows.len(), |n| (*sent + n).min(r.rows.len()));
            // (Streamed rows are gone already: nothing to encode here then.)
            let ctx = if *sent < end {
                self.session.type_context()
            } else {
                TypeContext::default()
            };
            let mut scratch = Vec::new();
            for row in &r.rows[*sent..end] {
                wire::value_row(self.io.raw(), row, &r.types, formats, &ctx, &mut scratch)
                    .map_err(fail)?;
                self.io.maybe_flush();
            }
            *sent = end;
            limit.is_some() && end < r.rows.len()
        };
        self.io.push(if more {
            PgWireBackendMessage::PortalSuspended(PortalSuspended::new())
        } else {
            PgWireBackendMessage::CommandComplete(CommandComplete::new(r.tag.clone()))
        });
        Ok(())
    }

    /// Sends the notifications delivered to the session (LISTEN/NOTIFY), when it is not in
    /// a transaction block, as PostgreSQL does.
    fn notifications(&mut self) {
        self.io.listening = self.session.is_listening();
        if self.session.transaction_status() != TransactionStatus::Idle {
            return;
        }
        for n in self.session.take_notifications() {
            self.io.push(PgWireBackendMessage::NotificationResponse(
                NotificationResponse::new(n.sender_pid, n.channel, n.payload),
            ));
        }
    }
}

/// The row description of a portal's result (NoData when it has no columns).
fn result_description(r: &QueryResult, formats: &[i16]) -> PgWireBackendMessage {
    row_description_or_nodata(&r.columns, &r.types, formats)
}

/// RowDescription of `columns`, or NoData when there are none (a statement without rows).
fn row_description_or_nodata(
    names: &[String],
    types: &[DataType],
    formats: &[i16],
) -> PgWireBackendMessage {
    if names.is_empty() {
        PgWireBackendMessage::NoData(NoData::new())
    } else {
        wire::row_description(names, types, formats)
    }
}

/// The description of a statement's result columns as Describe reports them (`None`: it
/// returns no rows).
fn column_description(
    columns: Option<Vec<(String, DataType)>>,
    formats: &[i16],
) -> PgWireBackendMessage {
    let (names, types): (Vec<String>, Vec<DataType>) =
        columns.unwrap_or_default().into_iter().unzip();
    row_description_or_nodata(&names, &types, formats)
}

/// Where a query's rows go as the session produces them: DataRows in the output buffer,
/// written to the socket each time it passes [`crate::io`]'s flush threshold (64 KiB), so
/// memory stays bounded and the first rows leave before the last are computed.
struct RowsOut<'a> {
    /// The result formats of the portal (none: all text).
    formats: &'a [i16],
    /// The simple query protocol: a RowDescription always precedes the rows (with no
    /// fields for `SELECT;`).
    simple: bool,
    /// Send the row description as the rows begin (a deferred Describe of the portal).
    describe: bool,
    /// The rows began (the statement's result then carries none).
    begun: bool,
    /// Buffer for binary values.
    scratch: Vec<u8>,
}

impl<'a> RowsOut<'a> {
    fn new(formats: &'a [i16], simple: bool, describe: bool) -> Self {
        RowsOut {
            formats,
            simple,
            describe,
            begun: false,
            scratch: Vec::new(),
        }
    }
}

/// The protocol client the session talks to while a query runs: results are encoded as they
/// arrive, and COPY exchanges data through the connection.
struct ClientIo<'a> {
    io: &'a mut Io,
    /// Where the rows of a query go as they are produced; `None`: they are collected.
    rows: Option<RowsOut<'a>>,
    /// Results delivered (an empty query string delivers none).
    delivered: usize,
    /// A COPY TO STDOUT is sending data (its result ends it with CopyDone).
    copying_out: bool,
    /// Why COPY FROM STDIN stopped reading, when the client made it stop (CopyFail, a
    /// disconnect, an unexpected message): reported instead of the read error.
    copy_failure: Option<SqlError>,
    copy_in: CopyIn,
    copy_out: CopyOut,
    /// The session's interrupt, looked at while COPY FROM STDIN waits for data.
    interrupt: Option<basalt_sql::InterruptHandle>,
    /// Where the rows of a query go when a portal is fetched piecewise (instead of `rows`).
    spill: Option<crate::spill::Spill>,
}

impl<'a> ClientIo<'a> {
    fn new(io: &'a mut Io) -> Self {
        ClientIo {
            io,
            rows: None,
            delivered: 0,
            copying_out: false,
            copy_failure: None,
            copy_in: CopyIn::default(),
            copy_out: CopyOut::default(),
            interrupt: None,
            spill: None,
        }
    }

    /// A COPY TO STDOUT that was sending data ends with CopyDone (before its
    /// CommandComplete).
    fn end_copy_out(&mut self) {
        if self.copying_out {
            self.flush_copy_out();
            self.io
                .push(PgWireBackendMessage::CopyDone(CopyDone::new()));
            self.copying_out = false;
        }
    }

    fn flush_copy_out(&mut self) {
        if !self.copy_out.buf.is_empty() {
            let data = Bytes::from(std::mem::take(&mut self.copy_out.buf));
            self.io
                .push(PgWireBackendMessage::CopyData(CopyData::new(data)));
        }
    }
}

impl Client for ClientIo<'_> {
    fn result(&mut self, r: StatementResult) {
        self.delivered += 1;
        self.end_copy_out();
        for n in &r.notices {
            self.io.push(wire::notice(n));
        }
        // Rows already streamed: their RowDescription went out with them.
        let streamed = self
            .rows
            .as_mut()
            .is_some_and(|o| std::mem::take(&mut o.begun));
        if !streamed && !r.columns.is_empty() {
            self.io
                .push(wire::row_description(&r.columns, &r.types, &[]));
            for row in &r.rows {
                wire::text_row(self.io.raw(), row);
                self.io.maybe_flush();
            }
        }
        self.io
            .push(PgWireBackendMessage::CommandComplete(CommandComplete::new(
                r.tag,
            )));
    }

    fn copy_in(&mut self, columns: usize) -> Result<&mut dyn Read, SqlError> {
        let n = i16::try_from(columns).unwrap_or(i16::MAX);
        self.io
            .push(PgWireBackendMessage::CopyInResponse(CopyInResponse::new(
                0,
                n,
                vec![0; usize::try_from(n).unwrap_or(0)],
            )));
        self.io.flush();
        self.copy_in = CopyIn::default();
        Ok(self)
    }

    fn copy_out(&mut self, columns: usize) -> Result<&mut dyn std::io::Write, SqlError> {
        let n = i16::try_from(columns).unwrap_or(i16::MAX);
        self.io
            .push(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
                0,
                n,
                vec![0; usize::try_from(n).unwrap_or(0)],
            )));
        self.copying_out = true;
        Ok(self)
    }

    fn rows(&mut self) -> Option<&mut dyn RowSink> {
        if self.rows.is_some() || self.spill.is_some() {
            Some(self)
        } else {
            None
        }
    }
}

impl RowSink for ClientIo<'_> {
    fn begin(
        &mut self,
        columns: &[String],
        types: &[DataType],
        notices: Vec<Notice>,
    ) -> Result<(), SqlError> {
        for n in &notices {
            self.io.push(wire::notice(n));
        }
        if let Some(spill) = self.spill.as_mut() {
            spill.begun = true;
        }
        let Some(out) = self.rows.as_mut() else {
            return Ok(());
        };
        out.begun = true;
        // A query describes its rows even without columns (`SELECT;`), as PostgreSQL does.
        if out.simple {
            self.io.push(wire::row_description(columns, types, &[]));
        } else if out.describe {
            self.io
                .push(row_description_or_nodata(columns, types, out.formats));
        }
        Ok(())
    }

    fn row(
        &mut self,
        row: &[Value],
        types: &[DataType],
        ctx: &TypeContext,
    ) -> Result<(), SqlError> {
        // A client gone (a write failed) stops the query.
        if self.io.is_closed() {
            return Err(SqlError::new("08006", "connection to client lost"));
        }
        if let Some(spill) = self.spill.as_mut() {
            return spill.push(row);
        }
        let Some(out) = self.rows.as_mut() else {
            return Ok(());
        };
        wire::value_row(
            self.io.raw(),
            row,
            types,
            out.formats,
            ctx,
            &mut out.scratch,
        )?;
        self.io.maybe_flush();
        Ok(())
    }
}

#[derive(Default)]
struct CopyIn {
    chunk: Bytes,
    done: bool,
}

#[derive(Default)]
struct CopyOut {
    buf: Vec<u8>,
}

impl Read for ClientIo<'_> {
    fn read(&mut self, dst: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if !self.copy_in.chunk.is_empty() {
                let n = dst.len().min(self.copy_in.chunk.len());
                let part = self.copy_in.chunk.split_to(n);
                dst[..n].copy_from_slice(&part);
                return Ok(n);
            }
            if self.copy_in.done {
                return Ok(0);
            }
            let failed = |me: &mut Self, e: SqlError| {
                let msg = e.message();
                me.copy_failure = Some(e);
                me.copy_in.done = true;
                Err(std::io::Error::other(msg))
            };
            self.io.copy_in = true;
            let next = self.io.next();
            self.io.copy_in = false;
            match next {
                Inbound::Msg(F::CopyData(d)) => self.copy_in.chunk = d.data,
                Inbound::Msg(F::CopyDone(_)) => {
                    self.copy_in.done = true;
                    return Ok(0);
                }
                Inbound::Msg(F::CopyFail(f)) => {
                    return failed(
                        self,
                        SqlError::new("57014", format!("COPY from stdin failed: {}", f.message)),
                    );
                }
                // A cancel or statement_timeout while waiting for data (PostgreSQL's
                // backend is interrupted in its read the same way).
                Inbound::Tick => {
                    if let Some(e) = self.interrupt.as_ref().and_then(|h| h.pending()) {
                        return failed(self, e);
                    }
                }
                // PostgreSQL ignores these during COPY FROM STDIN.
                Inbound::Msg(F::Flush(_) | F::Sync(_)) => {}
                Inbound::Msg(other) => {
                    tracing::debug!("unexpected message during COPY: {other:?}");
                    return failed(
                        self,
                        SqlError::new("08P01", "unexpected message type during COPY from stdin"),
                    );
                }
                Inbound::Fatal(code, message) => {
                    return failed(self, SqlError::new(code, message));
                }
                Inbound::Closed => {
                    return failed(
                        self,
                        SqlError::new(
                            "08P01",
                            "unexpected EOF on client connection with an open transaction",
                        ),
                    );
                }
            }
        }
    }
}

impl std::io::Write for ClientIo<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.io.is_closed() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "client connection lost",
            ));
        }
        self.copy_out.buf.extend_from_slice(data);
        if self.copy_out.buf.len() >= 1 << 16 {
            self.flush_copy_out();
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.flush_copy_out();
        Ok(())
    }
}
