//! A server reached over the PostgreSQL wire protocol (placeholder until the protocol client
//! lands: every connection attempt fails with 08001).

use super::{Canceller, Client, Message, Output, TxStatus};

/// Whether `target` names a server rather than a database directory.
pub fn is_remote(target: &str) -> bool {
    target.starts_with("postgres://")
        || target.starts_with("postgresql://")
        || target.contains("host=")
}

/// A connection to a server.
pub struct Remote {
    _private: (),
}

impl Remote {
    /// Connects to the server `target` names.
    pub fn connect(target: &str) -> Result<Remote, Message> {
        Err(Message::client(
            "08001",
            format!("could not connect to {target}: the protocol client is not built yet"),
        ))
    }
}

impl Client for Remote {
    fn run(&mut self, _sql: &str, _out: &mut dyn Output) -> Result<(), Message> {
        Err(Message::client("08003", "no connection"))
    }
    fn status(&self) -> TxStatus {
        TxStatus::Idle
    }
    fn canceller(&self) -> Canceller {
        std::sync::Arc::new(|| {})
    }
    fn database(&self) -> String {
        String::new()
    }
    fn user(&self) -> String {
        String::new()
    }
    fn connect_to(&self, _database: &str) -> Result<Box<dyn Client>, Message> {
        Err(Message::client("08003", "no connection"))
    }
    fn describe(&self) -> String {
        String::new()
    }
}
