//! ALTER TABLE and RENAME.

use basalt_txn::TxnKv;
use pg_query::protobuf;

use crate::error::{Notice, SqlError};
use crate::session::{Session, StatementResult};

impl<K: TxnKv> Session<K> {
    /// ALTER TABLE.
    pub(crate) fn alter_table(
        &mut self,
        _s: &protobuf::AlterTableStmt,
        _notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        Err(SqlError::Unsupported("ALTER TABLE".into()))
    }

    /// ALTER ... RENAME.
    pub(crate) fn rename(
        &mut self,
        _s: &protobuf::RenameStmt,
        _notices: &mut Vec<Notice>,
    ) -> Result<StatementResult, SqlError> {
        Err(SqlError::Unsupported("ALTER ... RENAME".into()))
    }
}
