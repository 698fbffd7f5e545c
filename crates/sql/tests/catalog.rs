//! The virtual `pg_catalog` / `information_schema` relations and the system information
//! functions, through the public API, including the catalog queries psql sends for `\dt`,
//! `\d table`, `\di`, `\dn` and `\l`. Expected values were checked against PostgreSQL 15
//! except where a comment says Basalt differs (OIDs, owners).

use basalt_sql::Session;
use basalt_txn::LocalKv;

fn session() -> Session<LocalKv> {
    let mut s = Session::new(LocalKv::memory());
    s.execute(
        "CREATE TABLE t1 (id serial PRIMARY KEY, a varchar(10) NOT NULL DEFAULT 'x', \
         b numeric(10,2), c text UNIQUE, d int CHECK (d > 0));
         CREATE TABLE t2 (x int REFERENCES t1 (id) ON DELETE CASCADE, y int, UNIQUE (x, y));
         CREATE INDEX t2_y ON t2 (y DESC);
         CREATE VIEW v1 AS SELECT id, a FROM t1 WHERE d > 1;
         CREATE SEQUENCE s1;
         COMMENT ON TABLE t1 IS 'first table';
         COMMENT ON COLUMN t1.a IS 'the a column';",
    )
    .unwrap_or_else(|e| panic!("setup: {e}"));
    s
}

/// The rows of the last statement of `sql`, NULL as `NULL`.
fn rows(s: &mut Session<LocalKv>, sql: &str) -> Vec<Vec<String>> {
    let r = s.execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let last = r.last().unwrap_or_else(|| panic!("{sql}: no result"));
    last.rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|v| v.clone().unwrap_or_else(|| "NULL".to_string()))
                .collect()
        })
        .collect()
}

fn one(s: &mut Session<LocalKv>, sql: &str) -> String {
    let r = rows(s, sql);
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0].join("|")
}

fn flat(r: Vec<Vec<String>>) -> Vec<String> {
    r.into_iter().map(|row| row.join("|")).collect()
}

#[test]
fn pg_class_lists_user_relations_with_kinds() {
    let mut s = session();
    let got = flat(rows(
        &mut s,
        "SELECT relname, relkind, relnatts, relchecks, relhasindex, relhastriggers \
         FROM pg_class WHERE relnamespace = 2200 ORDER BY relname",
    ));
    assert_eq!(
        got,
        [
            "s1|S|3|0|f|f",
            "t1|r|5|1|t|t",
            "t1_c_key|i|1|0|f|f",
            "t1_id_seq|S|3|0|f|f",
            "t1_pkey|i|1|0|f|f",
            "t2|r|2|0|t|t",
            "t2_x_y_key|i|2|0|f|f",
            "t2_y|i|1|0|f|f",
            "v1|v|2|0|f|f",
        ]
    );
}

#[test]
fn pg_catalog_is_searched_first_and_qualified_names_work() {
    let mut s = session();
    s.execute("CREATE TABLE pg_class (z int)")
        .unwrap_or_else(|e| panic!("{e}"));
    // Unqualified: pg_catalog's.
    assert_eq!(
        one(&mut s, "SELECT count(*) FROM pg_class WHERE relname = 't1'"),
        "1"
    );
    // Qualified: the user's table.
    assert_eq!(one(&mut s, "SELECT count(*) FROM public.pg_class"), "0");
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = 'public'"
        ),
        "1"
    );
    // information_schema needs qualification.
    let e = s.execute("SELECT * FROM tables").map(|_| ()).err();
    assert_eq!(e.map(|e| e.code().code()), Some("42P01"));
}

#[test]
fn pg_attribute_and_format_type() {
    let mut s = session();
    let got = flat(rows(
        &mut s,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef \
         FROM pg_attribute a WHERE a.attrelid = to_regclass('t1') AND a.attnum > 0 \
         ORDER BY a.attnum",
    ));
    assert_eq!(
        got,
        [
            "id|integer|t|t",
            "a|character varying(10)|t|t",
            "b|numeric(10,2)|f|f",
            "c|text|f|f",
            "d|integer|f|f",
        ]
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT format_type(1043, 14), format_type(1042, NULL), format_type(23, -1)"
        ),
        "character varying(10)|character|integer"
    );
}

#[test]
fn constraint_and_index_definitions() {
    let mut s = session();
    let got = flat(rows(
        &mut s,
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint \
         ORDER BY conname",
    ));
    assert_eq!(
        got,
        [
            "t1_c_key|u|UNIQUE (c)",
            "t1_d_check|c|CHECK ((d > 0))",
            "t1_pkey|p|PRIMARY KEY (id)",
            "t2_x_fkey|f|FOREIGN KEY (x) REFERENCES t1(id) ON DELETE CASCADE",
            "t2_x_y_key|u|UNIQUE (x, y)",
        ]
    );
    let got = flat(rows(
        &mut s,
        "SELECT c.relname, i.indisprimary, i.indisunique, pg_get_indexdef(i.indexrelid) \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ORDER BY c.relname",
    ));
    assert_eq!(
        got,
        [
            "t1_c_key|f|t|CREATE UNIQUE INDEX t1_c_key ON public.t1 USING btree (c)",
            "t1_pkey|t|t|CREATE UNIQUE INDEX t1_pkey ON public.t1 USING btree (id)",
            "t2_x_y_key|f|t|CREATE UNIQUE INDEX t2_x_y_key ON public.t2 USING btree (x, y)",
            "t2_y|f|f|CREATE INDEX t2_y ON public.t2 USING btree (y DESC)",
        ]
    );
}

#[test]
fn visibility_comments_and_misc_functions() {
    let mut s = session();
    s.execute("CREATE SCHEMA other; CREATE TABLE other.hidden (q int)")
        .unwrap_or_else(|e| panic!("{e}"));
    let got = flat(rows(
        &mut s,
        "SELECT c.relname, pg_table_is_visible(c.oid) FROM pg_class c \
         WHERE c.relname IN ('t1', 'hidden', 'pg_class') ORDER BY 1",
    ));
    assert_eq!(got, ["hidden|f", "pg_class|t", "t1|t"]);
    assert_eq!(
        one(
            &mut s,
            "SELECT obj_description('t1'::regclass, 'pg_class'), col_description('t1'::regclass, 2), \
             col_description('t1'::regclass, 1)"
        ),
        "first table|the a column|NULL"
    );
    assert_eq!(
        one(
            &mut s,
            "SELECT pg_get_serial_sequence('t1', 'id'), pg_get_serial_sequence('t1', 'a'), \
             pg_encoding_to_char(6), to_regclass('nope') IS NULL, to_regclass('t1') IS NOT NULL"
        ),
        "public.t1_id_seq|NULL|UTF8|t|t"
    );
    // Non-constant arguments go through the catalog too.
    let got = flat(rows(
        &mut s,
        "SELECT c.relname, obj_description(c.oid, 'pg_class'), pg_get_userbyid(c.relowner) \
         FROM pg_class c WHERE c.relname IN ('t1', 't2') ORDER BY 1",
    ));
    assert_eq!(got, ["t1|first table|basalt", "t2|NULL|basalt"]);
}

#[test]
fn information_schema_views() {
    let mut s = session();
    let got = flat(rows(
        &mut s,
        "SELECT column_name, ordinal_position, is_nullable, data_type, \
         character_maximum_length, numeric_precision, numeric_scale, column_default \
         FROM information_schema.columns WHERE table_name = 't1' ORDER BY ordinal_position",
    ));
    assert_eq!(
        got,
        [
            "id|1|NO|integer|NULL|32|0|nextval('t1_id_seq'::regclass)",
            "a|2|NO|character varying|10|NULL|NULL|'x'::character varying",
            "b|3|YES|numeric|NULL|10|2|NULL",
            "c|4|YES|text|NULL|NULL|NULL|NULL",
            "d|5|YES|integer|NULL|32|0|NULL",
        ]
    );
    let got = flat(rows(
        &mut s,
        "SELECT table_name, table_type FROM information_schema.tables \
         WHERE table_schema = 'public' ORDER BY 1",
    ));
    assert_eq!(got, ["t1|BASE TABLE", "t2|BASE TABLE", "v1|VIEW"]);
    let got = flat(rows(
        &mut s,
        "SELECT k.constraint_name, k.column_name, k.ordinal_position, \
         k.position_in_unique_constraint \
         FROM information_schema.key_column_usage k ORDER BY 1, 3",
    ));
    assert_eq!(
        got,
        [
            "t1_c_key|c|1|NULL",
            "t1_pkey|id|1|NULL",
            "t2_x_fkey|x|1|1",
            "t2_x_y_key|x|1|NULL",
            "t2_x_y_key|y|2|NULL",
        ]
    );
}

#[test]
fn catalog_follows_the_transaction() {
    let mut s = session();
    s.execute("BEGIN; CREATE TABLE t3 (z int)")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_tables WHERE tablename = 't3'"
        ),
        "1"
    );
    s.execute("ROLLBACK").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        one(
            &mut s,
            "SELECT count(*) FROM pg_tables WHERE tablename = 't3'"
        ),
        "0"
    );
}

#[test]
fn psql_list_tables_runs() {
    let mut s = session();
    let got = flat(rows(
        &mut s,
        "SELECT n.nspname as \"Schema\",
  c.relname as \"Name\",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as \"Type\",
  pg_catalog.pg_get_userbyid(c.relowner) as \"Owner\"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;",
    ));
    assert_eq!(got, ["public|t1|table|basalt", "public|t2|table|basalt"]);
}

#[test]
fn every_virtual_relation_has_rows_as_wide_as_its_columns() {
    let mut s = session();
    let rels = rows(
        &mut s,
        "SELECT n.nspname, c.relname, c.relnatts FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    );
    assert!(rels.len() > 30, "{rels:?}");
    for r in rels {
        let sql = format!("SELECT * FROM {}.{}", r[0], r[1]);
        let res = s.execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        let last = res.last().unwrap_or_else(|| panic!("{sql}: no result"));
        let width: usize = r[2].parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(last.columns.len(), width, "{sql}");
        assert!(last.rows.iter().all(|row| row.len() == width), "{sql}");
    }
}

#[test]
fn view_columns_have_their_query_types() {
    let mut s = session();
    // A view over pg_attribute must not recurse when pg_attribute types its columns.
    s.execute("CREATE VIEW va AS SELECT attname, attnum FROM pg_attribute")
        .unwrap_or_else(|e| panic!("{e}"));
    let got = flat(rows(
        &mut s,
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE c.relname IN ('v1', 'va') ORDER BY 1, a.attnum",
    ));
    assert_eq!(
        got,
        [
            "v1|id|integer",
            "v1|a|character varying(10)",
            "va|attname|name",
            "va|attnum|smallint",
        ]
    );
}

#[test]
fn catalog_columns_have_postgres_types_and_parameters_follow_them() {
    use basalt_common::types::{DataType, RegKind, Value};
    let mut s = session();
    let r = s
        .query(
            "SELECT c.relname, c.relkind, i.indkey, i.indclass FROM pg_class c \
             JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1",
            &[Value::Text("t2_x_y_key".into())],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    // The types a RowDescription would carry: name (19), "char" (18), int2vector (22),
    // oidvector (30).
    let oids: Vec<u32> = r.types.iter().map(DataType::oid).collect();
    assert_eq!(oids, [19, 18, 22, 30]);
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0][1], Value::Char(b'i'));
    let text: Vec<String> = r.rows[0]
        .iter()
        .filter_map(|v| basalt_common::types::format_text(v, &Default::default()))
        .collect();
    assert_eq!(text[..3], ["t2_x_y_key", "i", "1 2"]);

    // An OID alias parameter is given as a name or as an OID.
    let oid = s
        .query("SELECT 't1'::regclass::oid", &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .rows[0][0]
        .clone();
    for p in [
        Value::Text("t1".into()),
        oid,
        Value::Text("public.t1".into()),
    ] {
        let r = s
            .query(
                "SELECT relname, $1::regclass FROM pg_class WHERE oid = $1::regclass",
                std::slice::from_ref(&p),
            )
            .unwrap_or_else(|e| panic!("{p:?}: {e}"));
        assert_eq!(r.types[1], DataType::Reg(RegKind::Class));
        assert_eq!(r.rows.len(), 1, "{p:?}");
        assert_eq!(r.rows[0][0], Value::Text("t1".into()));
    }
    let e = s
        .query("SELECT $1::regclass", &[Value::Text("nosuch".into())])
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.code().code(), "42P01");
}
