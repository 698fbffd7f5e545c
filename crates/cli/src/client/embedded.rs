//! A database opened in this process: a directory (created if missing) or `:memory:`.
//!
//! Query strings go through the SQL engine's protocol entry point
//! ([`basalt_sql::Session::run_for_client`]) exactly as the wire server's simple query does,
//! so results, notices, errors and COPY behave as they do over a connection, without one.

use std::io::{Read, Write};

use basalt::{Database, Session, SqlError, TransactionStatus};
use basalt_txn::LocalKv;

use super::{Canceller, Client, Column, Message, Outcome, Output, TxStatus};

/// An embedded database and one session on it.
pub struct Embedded {
    db: Database,
    session: Session<LocalKv>,
    /// What was opened (a path or `:memory:`), for [`Client::describe`].
    target: String,
    database: String,
    user: String,
}

impl Embedded {
    /// Opens `target` (a directory, or `:memory:`) and connects to its default database.
    pub fn open(target: &str) -> Result<Embedded, Message> {
        let db = if target == ":memory:" {
            Database::memory()
        } else {
            Database::open(target).map_err(|e| from_error(&e))?
        };
        let session = db.session();
        Embedded::with(db, session, target)
    }

    /// A client on an already open database (`basalt` subcommands and tests).
    pub fn with(
        db: Database,
        session: Session<LocalKv>,
        target: &str,
    ) -> Result<Embedded, Message> {
        let mut e = Embedded {
            db,
            session,
            target: target.to_string(),
            database: String::new(),
            user: String::new(),
        };
        let r = super::rows(&mut e, "SELECT current_database(), current_user")?;
        if let Some([Some(d), Some(u)]) = r.first().map(Vec::as_slice) {
            e.database = d.clone();
            e.user = u.clone();
        }
        Ok(e)
    }

    /// The database this client runs on.
    pub fn database_handle(&self) -> &Database {
        &self.db
    }
}

/// A [`basalt_sql::Client`] that hands results to an [`Output`].
struct Adapter<'o> {
    out: &'o mut dyn Output,
}

impl basalt_sql::Client for Adapter<'_> {
    fn result(&mut self, result: basalt::StatementResult) {
        for n in result.notices {
            self.out.notice(notice(&n));
        }
        self.out.result(Outcome {
            tag: result.tag,
            columns: result
                .columns
                .into_iter()
                .zip(&result.types)
                .map(|(name, t)| Column {
                    name,
                    type_oid: t.oid(),
                })
                .collect(),
            rows: result.rows,
        });
    }

    fn copy_in(&mut self, _columns: usize) -> Result<&mut dyn Read, SqlError> {
        self.out.copy_in().map_err(io_error)
    }

    fn copy_out(&mut self, _columns: usize) -> Result<&mut dyn Write, SqlError> {
        self.out.copy_out().map_err(io_error)
    }
}

fn io_error(e: std::io::Error) -> SqlError {
    SqlError::new("58030", format!("could not open the COPY stream: {e}"))
}

/// PostgreSQL's fields of an engine error.
pub fn error(e: &SqlError) -> Message {
    Message {
        severity: "ERROR".into(),
        code: e.code().code().to_string(),
        message: e.message(),
        detail: e.detail().map(str::to_string),
        hint: e.hint().map(str::to_string),
        position: e.position(),
        context: e.context().map(str::to_string),
    }
}

/// PostgreSQL's fields of an error of the embedded API (opening a database...).
fn from_error(e: &basalt::Error) -> Message {
    match e {
        basalt::Error::Sql(e) => error(e),
        e => Message {
            severity: "ERROR".into(),
            code: e.code().to_string(),
            message: e.message(),
            detail: e.detail().map(str::to_string),
            hint: e.hint().map(str::to_string),
            position: e.position(),
            context: None,
        },
    }
}

fn notice(n: &basalt_sql::error::Notice) -> Message {
    Message {
        severity: n.severity.as_str().to_string(),
        code: n.code.code().to_string(),
        message: n.message.clone(),
        detail: n.detail.clone(),
        hint: n.hint.clone(),
        position: None,
        context: None,
    }
}

impl Client for Embedded {
    fn run(&mut self, sql: &str, out: &mut dyn Output) -> Result<(), Message> {
        let mut adapter = Adapter { out };
        match self.session.run_for_client(sql, &mut adapter) {
            None => Ok(()),
            Some((e, notices)) => {
                for n in &notices {
                    adapter.out.notice(notice(n));
                }
                Err(error(&e))
            }
        }
    }

    fn status(&self) -> TxStatus {
        match self.session.transaction_status() {
            TransactionStatus::Idle => TxStatus::Idle,
            TransactionStatus::InTransaction => TxStatus::InTransaction,
            TransactionStatus::Failed => TxStatus::Failed,
        }
    }

    fn canceller(&self) -> Canceller {
        let h = self.session.interrupt_handle();
        std::sync::Arc::new(move || h.cancel())
    }

    fn database(&self) -> String {
        self.database.clone()
    }

    fn user(&self) -> String {
        self.user.clone()
    }

    fn connect_to(&self, database: &str) -> Result<Box<dyn Client>, Message> {
        let session = self.db.session_in(database).map_err(|e| from_error(&e))?;
        Ok(Box::new(Embedded::with(
            self.db.clone(),
            session,
            &self.target,
        )?))
    }

    fn describe(&self) -> String {
        format!("embedded database {}", self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Collect;

    struct Copying {
        collect: Collect,
        input: std::io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Output for Copying {
        fn result(&mut self, o: Outcome) {
            self.collect.result(o)
        }
        fn notice(&mut self, n: Message) {
            self.collect.notice(n)
        }
        fn copy_in(&mut self) -> std::io::Result<&mut dyn Read> {
            Ok(&mut self.input)
        }
        fn copy_out(&mut self) -> std::io::Result<&mut dyn Write> {
            Ok(&mut self.output)
        }
    }

    #[test]
    fn runs_statements_copy_and_reports_errors() -> Result<(), Message> {
        let mut c = Embedded::open(":memory:")?;
        assert_eq!(
            (c.database().as_str(), c.user().as_str()),
            ("postgres", "basalt")
        );
        let mut out = Copying {
            collect: Collect::default(),
            input: std::io::Cursor::new(b"1\ta\n2\t\\N\n".to_vec()),
            output: Vec::new(),
        };
        c.run(
            "CREATE TABLE t (id int, v text); COPY t FROM STDIN; \
             COPY t TO STDOUT (FORMAT csv); SELECT id, v FROM t ORDER BY id; DROP TABLE IF EXISTS nope",
            &mut out,
        )?;
        let tags: Vec<&str> = out.collect.results.iter().map(|o| o.tag.as_str()).collect();
        assert_eq!(
            tags,
            ["CREATE TABLE", "COPY 2", "COPY 2", "SELECT 2", "DROP TABLE"]
        );
        assert_eq!(out.output, b"1,a\n2,\n");
        let select = &out.collect.results[3];
        assert_eq!(select.columns[0].type_oid, 23);
        assert_eq!(select.rows[1], [Some("2".to_string()), None]);
        assert_eq!(out.collect.notices.len(), 1, "{:?}", out.collect.notices);
        assert_eq!(out.collect.notices[0].severity, "NOTICE");

        c.run("BEGIN", &mut Collect::default())?;
        assert_eq!(c.status(), TxStatus::InTransaction);
        let e = c
            .run("SELECT 1; SELECT nope FROM t", &mut Collect::default())
            .err();
        let e = e.as_ref().map(|e| (e.code.as_str(), e.position));
        assert_eq!(e, Some(("42703", Some(18))));
        assert_eq!(c.status(), TxStatus::Failed);
        Ok(())
    }
}
