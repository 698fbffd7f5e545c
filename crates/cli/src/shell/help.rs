//! `\h [COMMAND]`: the syntax of the common SQL commands, in PostgreSQL's synopsis notation
//! (shortened to what Basalt runs; docs/sql.md has the details).

/// (command, synopsis) pairs, sorted by command.
const TOPICS: &[(&str, &str)] = &[
    (
        "ALTER TABLE",
        "ALTER TABLE [ IF EXISTS ] name\n    ADD [ COLUMN ] column_name data_type [ column_constraint [ ... ] ]\n  | DROP [ COLUMN ] [ IF EXISTS ] column_name [ CASCADE ]\n  | ALTER [ COLUMN ] column_name [ SET DATA ] TYPE data_type\n  | ALTER [ COLUMN ] column_name { SET DEFAULT expression | DROP DEFAULT | SET NOT NULL | DROP NOT NULL }\n  | ADD table_constraint\n  | DROP CONSTRAINT [ IF EXISTS ] constraint_name\n  | RENAME [ COLUMN ] column_name TO new_column_name\n  | RENAME TO new_name",
    ),
    (
        "BEGIN",
        "BEGIN [ WORK | TRANSACTION ] [ ISOLATION LEVEL { SERIALIZABLE | REPEATABLE READ | READ COMMITTED } ] [ READ WRITE | READ ONLY ]",
    ),
    ("COMMIT", "COMMIT [ WORK | TRANSACTION ]"),
    (
        "COPY",
        "COPY table_name [ ( column_name [, ...] ) ] FROM { 'filename' | STDIN } [ [ WITH ] ( option [, ...] ) ]\nCOPY { table_name [ ( column_name [, ...] ) ] | ( query ) } TO { 'filename' | STDOUT } [ [ WITH ] ( option [, ...] ) ]\n\nwhere option is FORMAT { text | csv } | DELIMITER 'c' | NULL 'string' | HEADER [ boolean ] | QUOTE 'c' | ESCAPE 'c'",
    ),
    ("CREATE DATABASE", "CREATE DATABASE name"),
    (
        "CREATE FUNCTION",
        "CREATE [ OR REPLACE ] FUNCTION name ( [ [ argname ] argtype [ DEFAULT default_expr ] [, ...] ] )\n    RETURNS rettype | RETURNS TABLE ( column_name column_type [, ...] )\n    LANGUAGE sql [ IMMUTABLE | STABLE | VOLATILE ] AS 'definition' | BEGIN ATOMIC ... END",
    ),
    (
        "CREATE INDEX",
        "CREATE [ UNIQUE ] INDEX [ CONCURRENTLY ] [ [ IF NOT EXISTS ] name ] ON table_name [ USING btree ]\n    ( { column_name | ( expression ) } [ ASC | DESC ] [ NULLS { FIRST | LAST } ] [, ...] )\n    [ INCLUDE ( column_name [, ...] ) ] [ WHERE predicate ]",
    ),
    (
        "CREATE SCHEMA",
        "CREATE SCHEMA [ IF NOT EXISTS ] schema_name",
    ),
    (
        "CREATE SEQUENCE",
        "CREATE SEQUENCE [ IF NOT EXISTS ] name [ AS data_type ] [ INCREMENT [ BY ] increment ]\n    [ MINVALUE minvalue | NO MINVALUE ] [ MAXVALUE maxvalue | NO MAXVALUE ]\n    [ START [ WITH ] start ] [ CACHE cache ] [ [ NO ] CYCLE ] [ OWNED BY { table_name.column_name | NONE } ]",
    ),
    (
        "CREATE TABLE",
        "CREATE [ TEMP ] TABLE [ IF NOT EXISTS ] table_name ( [\n  { column_name data_type [ COLLATE collation ] [ column_constraint [ ... ] ]\n    | table_constraint }\n    [, ... ]\n] )\nCREATE TABLE table_name [ ( column_name [, ...] ) ] AS query [ WITH [ NO ] DATA ]\n\nwhere column_constraint is:\n  [ CONSTRAINT name ] { NOT NULL | NULL | CHECK ( expression ) | DEFAULT default_expr\n    | GENERATED ALWAYS AS ( expr ) STORED | GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY\n    | UNIQUE | PRIMARY KEY | REFERENCES reftable [ ( refcolumn ) ] [ ON DELETE action ] [ ON UPDATE action ] }\n\nand table_constraint is:\n  [ CONSTRAINT name ] { CHECK ( expression ) | UNIQUE ( column_name [, ...] )\n    | PRIMARY KEY ( column_name [, ...] )\n    | FOREIGN KEY ( column_name [, ...] ) REFERENCES reftable [ ( refcolumn [, ...] ) ] [ ON DELETE action ] [ ON UPDATE action ] }",
    ),
    (
        "CREATE TYPE",
        "CREATE TYPE name AS ( attribute_name data_type [, ...] )\nCREATE TYPE name AS ENUM ( [ 'label' [, ...] ] )",
    ),
    (
        "CREATE VIEW",
        "CREATE [ OR REPLACE ] [ TEMP ] VIEW name [ ( column_name [, ...] ) ] AS query",
    ),
    (
        "DELETE",
        "[ WITH with_query [, ...] ]\nDELETE FROM [ ONLY ] table_name [ [ AS ] alias ]\n    [ USING from_item [, ...] ]\n    [ WHERE condition ]\n    [ RETURNING * | output_expression [ [ AS ] output_name ] [, ...] ]",
    ),
    (
        "DROP TABLE",
        "DROP TABLE [ IF EXISTS ] name [, ...] [ CASCADE | RESTRICT ]",
    ),
    (
        "EXPLAIN",
        "EXPLAIN [ ( option [, ...] ) ] statement\nEXPLAIN [ ANALYZE ] [ VERBOSE ] statement",
    ),
    (
        "INSERT",
        "[ WITH with_query [, ...] ]\nINSERT INTO table_name [ AS alias ] [ ( column_name [, ...] ) ]\n    { DEFAULT VALUES | VALUES ( { expression | DEFAULT } [, ...] ) [, ...] | query }\n    [ ON CONFLICT [ conflict_target ] { DO NOTHING | DO UPDATE SET { column_name = { expression | DEFAULT } } [, ...] [ WHERE condition ] } ]\n    [ RETURNING * | output_expression [ [ AS ] output_name ] [, ...] ]",
    ),
    (
        "ROLLBACK",
        "ROLLBACK [ WORK | TRANSACTION ] [ AND [ NO ] CHAIN ]\nROLLBACK TO [ SAVEPOINT ] savepoint_name",
    ),
    ("SAVEPOINT", "SAVEPOINT savepoint_name"),
    (
        "SELECT",
        "[ WITH [ RECURSIVE ] with_query [, ...] ]\nSELECT [ ALL | DISTINCT [ ON ( expression [, ...] ) ] ]\n    [ * | expression [ [ AS ] output_name ] [, ...] ]\n    [ FROM from_item [, ...] ]\n    [ WHERE condition ]\n    [ GROUP BY grouping_element [, ...] ]\n    [ HAVING condition ]\n    [ WINDOW window_name AS ( window_definition ) [, ...] ]\n    [ { UNION | INTERSECT | EXCEPT } [ ALL | DISTINCT ] select ]\n    [ ORDER BY expression [ ASC | DESC ] [ NULLS { FIRST | LAST } ] [, ...] ]\n    [ LIMIT { count | ALL } ]\n    [ OFFSET start [ ROW | ROWS ] ]\n    [ FOR { UPDATE | NO KEY UPDATE | SHARE | KEY SHARE } [ OF table_name [, ...] ] [ NOWAIT | SKIP LOCKED ] ]",
    ),
    (
        "SET",
        "SET [ SESSION | LOCAL ] configuration_parameter { TO | = } { value | 'value' | DEFAULT }",
    ),
    ("SHOW", "SHOW name\nSHOW ALL"),
    (
        "TRUNCATE",
        "TRUNCATE [ TABLE ] [ ONLY ] name [, ...] [ RESTART IDENTITY | CONTINUE IDENTITY ] [ CASCADE | RESTRICT ]",
    ),
    (
        "UPDATE",
        "[ WITH with_query [, ...] ]\nUPDATE [ ONLY ] table_name [ [ AS ] alias ]\n    SET { column_name = { expression | DEFAULT } |\n          ( column_name [, ...] ) = ( { expression | DEFAULT } [, ...] ) } [, ...]\n    [ FROM from_item [, ...] ]\n    [ WHERE condition ]\n    [ RETURNING * | output_expression [ [ AS ] output_name ] [, ...] ]",
    ),
];

/// psql's `\h` text for `topic` (empty: the list of topics).
pub fn help(topic: &str) -> String {
    let topic = topic.split_whitespace().collect::<Vec<_>>().join(" ");
    let topic = topic.trim_end_matches(';').to_ascii_uppercase();
    if topic.is_empty() {
        let mut s = String::from("Available help:\n");
        for (name, _) in TOPICS {
            s.push_str("  ");
            s.push_str(name);
            s.push('\n');
        }
        s.push_str("\\? lists the meta-commands; docs/sql.md describes the SQL Basalt runs.\n");
        return s;
    }
    // psql matches the longest command the words start with (`\h create table foo`).
    let found: Vec<&(&str, &str)> = TOPICS
        .iter()
        .filter(|(name, _)| topic == *name || topic.starts_with(&format!("{name} ")))
        .collect();
    let found = if found.is_empty() {
        TOPICS
            .iter()
            .filter(|(name, _)| name.starts_with(&topic))
            .collect()
    } else {
        found
    };
    if found.is_empty() {
        return format!(
            "No help available for \"{topic}\".\nTry \\h with no arguments to see available help.\n"
        );
    }
    let mut s = String::new();
    for (i, (name, synopsis)) in found.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!("Command:     {name}\nSyntax:\n{synopsis}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_sorted_and_found() {
        assert!(TOPICS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(help("").contains("  CREATE TABLE\n"));
        assert!(help("select").starts_with("Command:     SELECT\nSyntax:\n[ WITH"));
        assert!(help("create table foo").starts_with("Command:     CREATE TABLE\n"));
        let c = help("create");
        assert!(
            c.contains("CREATE INDEX") && c.contains("CREATE VIEW"),
            "{c}"
        );
        assert!(help("frobnicate").starts_with("No help available for \"FROBNICATE\"."));
    }
}
