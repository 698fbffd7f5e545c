//! SQL keywords for highlighting and completion (PostgreSQL's reserved and common
//! non-reserved words; type names such as `int`/`text` are left to look like identifiers).

/// The keywords, upper case, sorted.
pub const KEYWORDS: &[&str] = &[
    "ABORT", "ADD", "ALL", "ALTER", "ANALYZE", "AND", "ANY", "ARRAY", "AS", "ASC", "BEGIN",
    "BETWEEN", "BIGINT", "BOOLEAN", "BOTH", "BY", "CASCADE", "CASE", "CAST", "CHECK",
    "CHECKPOINT", "COLLATE", "COLUMN", "COMMENT", "COMMIT", "CONCURRENTLY", "CONFLICT",
    "CONSTRAINT", "COPY", "CREATE", "CROSS", "CURRENT_DATE", "CURRENT_TIMESTAMP",
    "CURRENT_USER", "CURSOR", "DATABASE", "DEALLOCATE", "DECLARE", "DEFAULT", "DEFERRABLE",
    "DELETE", "DESC", "DISCARD", "DISTINCT", "DO", "DOMAIN", "DROP", "ELSE", "END", "ENUM",
    "EXCEPT", "EXCLUDE", "EXECUTE", "EXISTS", "EXPLAIN", "EXTENSION", "FALSE", "FETCH",
    "FILTER", "FIRST", "FOLLOWING", "FOR", "FOREIGN", "FROM", "FULL", "FUNCTION", "GRANT",
    "GROUP", "GROUPING", "HAVING", "IF", "ILIKE", "IN", "INDEX", "INNER", "INSERT", "INTERSECT",
    "INTERVAL", "INTO", "IS", "ISNULL", "ISOLATION", "JOIN", "KEY", "LANGUAGE", "LAST",
    "LATERAL", "LEFT", "LEVEL", "LIKE", "LIMIT", "LISTEN", "LOCAL", "LOCK", "MATERIALIZED",
    "NATURAL", "NOT", "NOTHING", "NOTIFY", "NOTNULL", "NULL", "NULLS", "OFFSET", "ON", "ONLY",
    "OR", "ORDER", "OUTER", "OVER", "OVERLAPS", "OWNER", "PARTITION", "PRECEDING", "PREPARE",
    "PRIMARY", "PROCEDURE", "RANGE", "READ", "RECURSIVE", "REFERENCES", "REINDEX", "RELEASE",
    "RENAME", "REPEATABLE", "REPLACE", "RESET", "RESTRICT", "RETURNING", "RETURNS", "REVOKE",
    "RIGHT", "ROLE", "ROLLBACK", "ROW", "ROWS", "SAVEPOINT", "SCHEMA", "SELECT", "SEQUENCE",
    "SERIALIZABLE", "SESSION", "SET", "SHOW", "SIMILAR", "SOME", "START", "SYMMETRIC", "TABLE",
    "TABLESAMPLE", "TEMP", "TEMPORARY", "THEN", "TO", "TRANSACTION", "TRIGGER", "TRUE",
    "TRUNCATE", "TYPE", "UNBOUNDED", "UNION", "UNIQUE", "UNLISTEN", "UPDATE", "USER", "USING",
    "VACUUM", "VALUES", "VARIADIC", "VIEW", "WHEN", "WHERE", "WINDOW", "WITH", "WITHIN",
    "WITHOUT", "WORK",
];

/// Whether `word` is a keyword (any case).
pub fn is_keyword(word: &str) -> bool {
    word.len() <= 20 && {
        let up = word.to_ascii_uppercase();
        KEYWORDS.binary_search(&up.as_str()).is_ok()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorted_for_binary_search() {
        assert!(super::KEYWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(super::is_keyword("select") && !super::is_keyword("items"));
    }
}
