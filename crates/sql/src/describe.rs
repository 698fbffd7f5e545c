//! Names of statement kinds as PostgreSQL's command tags spell them (`CREATE TABLE`,
//! `DROP INDEX`, ...), for "feature not supported" errors.

use pg_query::protobuf::{self, ObjectType, node::Node};

/// The command name of a statement, e.g. `SELECT` or `CREATE TABLE`.
pub fn statement_name(node: &Node) -> String {
    let name = match node {
        Node::SelectStmt(s) => {
            if s.into_clause.is_some() {
                "SELECT INTO"
            } else if !s.values_lists.is_empty() {
                "VALUES"
            } else {
                "SELECT"
            }
        }
        Node::InsertStmt(_) => "INSERT",
        Node::UpdateStmt(_) => "UPDATE",
        Node::DeleteStmt(_) => "DELETE",
        Node::MergeStmt(_) => "MERGE",
        Node::CreateStmt(_) => "CREATE TABLE",
        Node::CreateTableAsStmt(s) => match ObjectType::try_from(s.objtype) {
            Ok(ObjectType::ObjectMatview) => "CREATE MATERIALIZED VIEW",
            _ => "CREATE TABLE AS",
        },
        Node::CreateSchemaStmt(_) => "CREATE SCHEMA",
        Node::CreateSeqStmt(_) => "CREATE SEQUENCE",
        Node::AlterSeqStmt(_) => "ALTER SEQUENCE",
        Node::IndexStmt(_) => "CREATE INDEX",
        Node::ViewStmt(_) => "CREATE VIEW",
        Node::AlterTableStmt(s) => match ObjectType::try_from(s.objtype) {
            Ok(ObjectType::ObjectIndex) => "ALTER INDEX",
            Ok(ObjectType::ObjectSequence) => "ALTER SEQUENCE",
            Ok(ObjectType::ObjectView) => "ALTER VIEW",
            Ok(ObjectType::ObjectMatview) => "ALTER MATERIALIZED VIEW",
            _ => "ALTER TABLE",
        },
        Node::RenameStmt(s) => return format!("ALTER {}", object_name(s.rename_type)),
        Node::AlterObjectSchemaStmt(s) => return format!("ALTER {}", object_name(s.object_type)),
        Node::AlterOwnerStmt(s) => return format!("ALTER {}", object_name(s.object_type)),
        Node::DropStmt(s) => return format!("DROP {}", object_name(s.remove_type)),
        Node::TruncateStmt(_) => "TRUNCATE TABLE",
        Node::CommentStmt(_) => "COMMENT",
        Node::CopyStmt(_) => "COPY",
        Node::ExplainStmt(_) => "EXPLAIN",
        Node::PrepareStmt(_) => "PREPARE",
        Node::ExecuteStmt(_) => "EXECUTE",
        Node::DeallocateStmt(_) => "DEALLOCATE",
        Node::DeclareCursorStmt(_) => "DECLARE CURSOR",
        Node::ClosePortalStmt(_) => "CLOSE CURSOR",
        Node::FetchStmt(s) => {
            if s.ismove {
                "MOVE"
            } else {
                "FETCH"
            }
        }
        Node::VacuumStmt(s) => {
            if s.is_vacuumcmd {
                "VACUUM"
            } else {
                "ANALYZE"
            }
        }
        Node::LockStmt(_) => "LOCK TABLE",
        Node::ConstraintsSetStmt(_) => "SET CONSTRAINTS",
        Node::CreatedbStmt(_) => "CREATE DATABASE",
        Node::DropdbStmt(_) => "DROP DATABASE",
        Node::AlterDatabaseStmt(_) | Node::AlterDatabaseSetStmt(_) => "ALTER DATABASE",
        Node::CreateRoleStmt(_) => "CREATE ROLE",
        Node::AlterRoleStmt(_) | Node::AlterRoleSetStmt(_) => "ALTER ROLE",
        Node::DropRoleStmt(_) => "DROP ROLE",
        Node::GrantStmt(s) => {
            if s.is_grant {
                "GRANT"
            } else {
                "REVOKE"
            }
        }
        Node::GrantRoleStmt(s) => {
            if s.is_grant {
                "GRANT ROLE"
            } else {
                "REVOKE ROLE"
            }
        }
        Node::CreateFunctionStmt(s) => {
            if s.is_procedure {
                "CREATE PROCEDURE"
            } else {
                "CREATE FUNCTION"
            }
        }
        Node::AlterFunctionStmt(_) => "ALTER FUNCTION",
        Node::DoStmt(_) => "DO",
        Node::CallStmt(_) => "CALL",
        Node::CreateTrigStmt(_) => "CREATE TRIGGER",
        Node::CreateEventTrigStmt(_) => "CREATE EVENT TRIGGER",
        Node::CreateExtensionStmt(_) => "CREATE EXTENSION",
        Node::AlterExtensionStmt(_) | Node::AlterExtensionContentsStmt(_) => "ALTER EXTENSION",
        Node::CreateDomainStmt(_) => "CREATE DOMAIN",
        Node::AlterDomainStmt(_) => "ALTER DOMAIN",
        Node::CompositeTypeStmt(_) | Node::CreateEnumStmt(_) | Node::CreateRangeStmt(_) => {
            "CREATE TYPE"
        }
        Node::AlterEnumStmt(_) | Node::AlterTypeStmt(_) => "ALTER TYPE",
        Node::DefineStmt(s) => return format!("CREATE {}", object_name(s.kind)),
        Node::RuleStmt(_) => "CREATE RULE",
        Node::CreatePolicyStmt(_) => "CREATE POLICY",
        Node::AlterPolicyStmt(_) => "ALTER POLICY",
        Node::CreateTableSpaceStmt(_) => "CREATE TABLESPACE",
        Node::DropTableSpaceStmt(_) => "DROP TABLESPACE",
        Node::CreateForeignTableStmt(_) => "CREATE FOREIGN TABLE",
        Node::CreateStatsStmt(_) => "CREATE STATISTICS",
        Node::CreatePublicationStmt(_) => "CREATE PUBLICATION",
        Node::CreateSubscriptionStmt(_) => "CREATE SUBSCRIPTION",
        Node::NotifyStmt(_) => "NOTIFY",
        Node::ListenStmt(_) => "LISTEN",
        Node::UnlistenStmt(_) => "UNLISTEN",
        Node::LoadStmt(_) => "LOAD",
        Node::ClusterStmt(_) => "CLUSTER",
        Node::ReindexStmt(_) => "REINDEX",
        Node::CheckPointStmt(_) => "CHECKPOINT",
        Node::RefreshMatViewStmt(_) => "REFRESH MATERIALIZED VIEW",
        Node::AlterSystemStmt(_) => "ALTER SYSTEM",
        Node::DiscardStmt(_) => "DISCARD",
        Node::DropOwnedStmt(_) => "DROP OWNED",
        Node::ReassignOwnedStmt(_) => "REASSIGN OWNED",
        Node::SecLabelStmt(_) => "SECURITY LABEL",
        Node::ImportForeignSchemaStmt(_) => "IMPORT FOREIGN SCHEMA",
        Node::CreateCastStmt(_) => "CREATE CAST",
        Node::CreateConversionStmt(_) => "CREATE CONVERSION",
        Node::CreateOpClassStmt(_) => "CREATE OPERATOR CLASS",
        Node::CreateOpFamilyStmt(_) => "CREATE OPERATOR FAMILY",
        Node::CreatePlangStmt(_) => "CREATE LANGUAGE",
        Node::TransactionStmt(_) => "transaction control",
        Node::VariableSetStmt(_) => "SET",
        Node::VariableShowStmt(_) => "SHOW",
        _ => "this statement",
    };
    name.to_string()
}

/// The object kind as command tags spell it (`TABLE`, `MATERIALIZED VIEW`, ...).
fn object_name(object_type: i32) -> &'static str {
    use ObjectType as O;
    match O::try_from(object_type) {
        Ok(O::ObjectTable) => "TABLE",
        Ok(O::ObjectIndex) => "INDEX",
        Ok(O::ObjectSequence) => "SEQUENCE",
        Ok(O::ObjectView) => "VIEW",
        Ok(O::ObjectMatview) => "MATERIALIZED VIEW",
        Ok(O::ObjectSchema) => "SCHEMA",
        Ok(O::ObjectColumn) => "TABLE",
        Ok(O::ObjectTabconstraint) => "TABLE",
        Ok(O::ObjectFunction) => "FUNCTION",
        Ok(O::ObjectProcedure) => "PROCEDURE",
        Ok(O::ObjectType) => "TYPE",
        Ok(O::ObjectDomain) => "DOMAIN",
        Ok(O::ObjectDatabase) => "DATABASE",
        Ok(O::ObjectRole) => "ROLE",
        Ok(O::ObjectTrigger) => "TRIGGER",
        Ok(O::ObjectExtension) => "EXTENSION",
        Ok(O::ObjectForeignTable) => "FOREIGN TABLE",
        Ok(O::ObjectTablespace) => "TABLESPACE",
        Ok(O::ObjectPolicy) => "POLICY",
        Ok(O::ObjectRule) => "RULE",
        Ok(O::ObjectCollation) => "COLLATION",
        Ok(O::ObjectAggregate) => "AGGREGATE",
        Ok(O::ObjectOperator) => "OPERATOR",
        _ => "OBJECT",
    }
}

/// Whether `stmt` is one of the statements a failed transaction still accepts: COMMIT,
/// ROLLBACK, ROLLBACK TO SAVEPOINT and PREPARE TRANSACTION (PostgreSQL's
/// `IsTransactionExitStmt`).
pub fn is_transaction_exit(node: &Node) -> bool {
    use protobuf::TransactionStmtKind as K;
    match node {
        Node::TransactionStmt(t) => matches!(
            K::try_from(t.kind),
            Ok(K::TransStmtCommit
                | K::TransStmtRollback
                | K::TransStmtRollbackTo
                | K::TransStmtPrepare)
        ),
        _ => false,
    }
}

/// Whether a statement of this form returns rows (PostgreSQL's `PlannedStmt` has a
/// result description): queries, DML with RETURNING, SHOW, EXPLAIN, FETCH (not MOVE),
/// EXECUTE (taken as returning rows: the prepared statement decides), CALL.
pub fn returns_rows(node: &Node) -> bool {
    match node {
        Node::SelectStmt(s) => crate::engine::select_into(s).is_none(),
        Node::InsertStmt(s) => s
            .returning_clause
            .as_ref()
            .is_some_and(|r| !r.exprs.is_empty()),
        Node::UpdateStmt(s) => s
            .returning_clause
            .as_ref()
            .is_some_and(|r| !r.exprs.is_empty()),
        Node::DeleteStmt(s) => s
            .returning_clause
            .as_ref()
            .is_some_and(|r| !r.exprs.is_empty()),
        // A CALL returns a row when the procedure has output parameters.
        Node::VariableShowStmt(_)
        | Node::ExplainStmt(_)
        | Node::ExecuteStmt(_)
        | Node::CallStmt(_) => true,
        Node::FetchStmt(f) => !f.ismove,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{ParseOptions, parse};

    fn name(sql: &str) -> String {
        let parsed = parse(sql, ParseOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        let stmt = parsed
            .statements()
            .next()
            .unwrap_or_else(|| panic!("empty"));
        statement_name(stmt.node().unwrap_or_else(|| panic!("no node")))
    }

    #[test]
    fn names_follow_command_tags() {
        assert_eq!(name("SELECT 1"), "SELECT");
        assert_eq!(name("VALUES (1)"), "VALUES");
        assert_eq!(name("CREATE TABLE t (a int)"), "CREATE TABLE");
        assert_eq!(name("DROP INDEX i"), "DROP INDEX");
        assert_eq!(name("ALTER TABLE t RENAME TO u"), "ALTER TABLE");
        assert_eq!(
            name("CREATE MATERIALIZED VIEW v AS SELECT 1"),
            "CREATE MATERIALIZED VIEW"
        );
        assert_eq!(name("VACUUM"), "VACUUM");
        assert_eq!(name("INSERT INTO t VALUES (1)"), "INSERT");
    }
}
