//! End-to-end with the tokio-postgres driver (extended protocol, binary formats, COPY,
//! portals, cancel), against a server started in this process.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_postgres::NoTls;
use tokio_postgres::types::Type;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepared_statements_with_typed_parameters_and_binary_results() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute(
        "CREATE TABLE t (id int PRIMARY KEY, name text, score float8, ok bool, big bigint, \
         small smallint, data bytea, tags text[])",
    )
    .await
    .unwrap();
    let insert = c
        .prepare("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .await
        .unwrap();
    assert_eq!(insert.params().len(), 8);
    for i in 0..5i32 {
        let n = c
            .execute(
                &insert,
                &[
                    &i,
                    &format!("n{i}"),
                    &(f64::from(i) / 2.0),
                    &(i % 2 == 0),
                    &(i64::from(i) << 40),
                    &(i16::try_from(i).unwrap()),
                    &vec![0u8, 1, 255, u8::try_from(i).unwrap()],
                    &vec![format!("a{i}"), "b".to_string()],
                ],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    let rows = c
        .query(
            "SELECT id, name, score, ok, big, small, data, tags FROM t WHERE id >= $1 ORDER BY id",
            &[&3i32],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let r3 = &rows[0];
    assert_eq!(r3.get::<_, i32>(0), 3);
    assert_eq!(r3.get::<_, String>(1), "n3");
    assert_eq!(r3.get::<_, f64>(2), 1.5);
    assert!(!r3.get::<_, bool>(3));
    assert_eq!(r3.get::<_, i64>(4), 3i64 << 40);
    assert_eq!(r3.get::<_, i16>(5), 3);
    assert_eq!(r3.get::<_, Vec<u8>>(6), vec![0u8, 1, 255, 3]);
    assert_eq!(
        r3.get::<_, Vec<String>>(7),
        vec!["a3".to_string(), "b".to_string()]
    );
    // NULLs both ways.
    let row = c
        .query_one("SELECT $1::text IS NULL, NULL::int", &[&None::<String>])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, Option<i32>>(1), None);
    // oid and oid[] (type OIDs 26 and 1028), parameters and results in binary.
    c.batch_execute("CREATE TABLE o (id oid PRIMARY KEY, refs oid[])")
        .await
        .unwrap();
    let insert = c.prepare("INSERT INTO o VALUES ($1, $2)").await.unwrap();
    assert_eq!(insert.params(), &[Type::OID, Type::OID_ARRAY]);
    c.execute(&insert, &[&4_294_967_295u32, &vec![1u32, 1259]])
        .await
        .unwrap();
    let row = c
        .query_one(
            "SELECT id, refs, $1::oid[] FROM o WHERE id = $2",
            &[&vec![7u32, 4_000_000_000], &4_294_967_295u32],
        )
        .await
        .unwrap();
    assert_eq!(row.columns()[0].type_(), &Type::OID);
    assert_eq!(row.columns()[2].type_(), &Type::OID_ARRAY);
    assert_eq!(row.get::<_, u32>(0), 4_294_967_295);
    assert_eq!(row.get::<_, Vec<u32>>(1), vec![1, 1259]);
    assert_eq!(row.get::<_, Vec<u32>>(2), vec![7, 4_000_000_000]);
    r.stop().await;
}

/// ParameterDescription counts every `$n` of a statement, wherever it appears (RETURNING,
/// VALUES rows, LIMIT, ON CONFLICT, WITH queries), with PostgreSQL 15's types.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameters_are_described_wherever_they_appear() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute("CREATE TABLE pt (id int PRIMARY KEY, v text)")
        .await
        .unwrap();
    let (int4, int8, text) = (Type::INT4, Type::INT8, Type::TEXT);
    let cases: Vec<(&str, Vec<Type>)> = vec![
        (
            "INSERT INTO pt VALUES ($1) RETURNING $2::int",
            vec![int4.clone(), int4.clone()],
        ),
        (
            "INSERT INTO pt VALUES ($1, $2), ($3, $4)",
            vec![int4.clone(), text.clone(), int4.clone(), text.clone()],
        ),
        (
            "UPDATE pt SET v = $1 WHERE id = $2 RETURNING $3::text",
            vec![text.clone(), int4.clone(), text.clone()],
        ),
        (
            "DELETE FROM pt WHERE id = $1 RETURNING $2::bigint",
            vec![int4.clone(), int8.clone()],
        ),
        (
            "SELECT * FROM (VALUES ($1::int), ($2::int)) v",
            vec![int4.clone(), int4.clone()],
        ),
        (
            "INSERT INTO pt VALUES ($1, 'a') ON CONFLICT (id) DO UPDATE SET v = $2 \
             RETURNING $3::numeric",
            vec![int4.clone(), text.clone(), Type::NUMERIC],
        ),
        (
            "WITH x AS (INSERT INTO pt VALUES ($1) RETURNING $2::int2) SELECT * FROM x",
            vec![int4.clone(), Type::INT2],
        ),
        (
            "VALUES ($1::int, $2::text)",
            vec![int4.clone(), text.clone()],
        ),
        (
            "SELECT $1::int LIMIT $2 OFFSET $3",
            vec![int4.clone(), int8.clone(), int8.clone()],
        ),
        (
            "INSERT INTO pt VALUES ($1) RETURNING $2",
            vec![int4.clone(), text.clone()],
        ),
        (
            "INSERT INTO pt SELECT $1, $2 RETURNING id + $3",
            vec![int4.clone(), text.clone(), int4.clone()],
        ),
    ];
    for (sql, types) in cases {
        let stmt = c.prepare(sql).await.unwrap();
        assert_eq!(stmt.params(), types.as_slice(), "{sql}");
    }
    // Run with every parameter given (one only in RETURNING too).
    let row = c
        .query_one(
            "INSERT INTO pt VALUES ($1) RETURNING $2::int",
            &[&7i32, &8i32],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 8);
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_transactions_portals_and_copy() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute("CREATE TABLE k (id int PRIMARY KEY, v text)")
        .await
        .unwrap();
    // An error carries SQLSTATE, message, detail and position.
    c.execute("INSERT INTO k VALUES (1, 'a')", &[])
        .await
        .unwrap();
    let e = c
        .execute("INSERT INTO k VALUES (1, 'b')", &[])
        .await
        .unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "23505");
    assert_eq!(db.detail(), Some("Key (id)=(1) already exists."));
    let e = c.query("SELECT nope FROM k", &[]).await.unwrap_err();
    let db = e.as_db_error().unwrap();
    assert_eq!(db.code().code(), "42703");
    assert!(matches!(
        db.position(),
        Some(tokio_postgres::error::ErrorPosition::Original(8))
    ));
    // A transaction rolled back leaves nothing.
    let mut c = c;
    {
        let tx = c.transaction().await.unwrap();
        tx.execute("INSERT INTO k VALUES (2, 'x')", &[])
            .await
            .unwrap();
        tx.rollback().await.unwrap();
    }
    let n: i64 = c
        .query_one("SELECT count(*) FROM k", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
    // COPY in and out.
    let sink = c.copy_in("COPY k FROM STDIN (FORMAT csv)").await.unwrap();
    futures_util::pin_mut!(sink);
    let mut data = String::new();
    for i in 10..1010 {
        data.push_str(&format!("{i},\"v {i}\"\n"));
    }
    sink.send(bytes::Bytes::from(data)).await.unwrap();
    assert_eq!(sink.finish().await.unwrap(), 1000);
    let out = c
        .copy_out("COPY (SELECT id FROM k WHERE id < 13 ORDER BY id) TO STDOUT")
        .await
        .unwrap();
    futures_util::pin_mut!(out);
    let mut text = String::new();
    while let Some(chunk) = out.next().await {
        text.push_str(std::str::from_utf8(&chunk.unwrap()).unwrap());
    }
    assert_eq!(text, "1\n10\n11\n12\n");
    // A portal fetched in pieces.
    let tx = c.transaction().await.unwrap();
    let stmt = tx
        .prepare("SELECT id FROM k WHERE id >= $1 ORDER BY id")
        .await
        .unwrap();
    let portal = tx.bind(&stmt, &[&10i32]).await.unwrap();
    let first = tx.query_portal(&portal, 3).await.unwrap();
    assert_eq!(
        first.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(),
        [10, 11, 12]
    );
    let next = tx.query_portal(&portal, 2).await.unwrap();
    assert_eq!(
        next.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>(),
        [13, 14]
    );
    tx.commit().await.unwrap();
    r.stop().await;
}

/// The objects of a constraint violation as the driver reads them: (schema, table, column,
/// datatype, constraint).
type Objects<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn objects(db: &tokio_postgres::error::DbError) -> Objects<'_> {
    (
        db.schema(),
        db.table(),
        db.column(),
        db.datatype(),
        db.constraint(),
    )
}

/// The error fields `s`, `t`, `c`, `d`, `n` of constraint violations; every expectation is
/// what PostgreSQL 15 sends for the same statements (psql `\set VERBOSITY verbose`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constraint_violations_name_their_objects() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    c.batch_execute(
        "CREATE TABLE p (id int PRIMARY KEY, v int NOT NULL, w int CONSTRAINT w_pos CHECK (w > 0));
         CREATE TABLE ch (id int PRIMARY KEY, pid int CONSTRAINT ch_pid_fk REFERENCES p);
         CREATE DOMAIN posint AS int CONSTRAINT posint_check CHECK (VALUE > 0);
         CREATE DOMAIN nnint AS int NOT NULL;
         INSERT INTO p VALUES (1, 1, 1); INSERT INTO ch VALUES (1, 1)",
    )
    .await
    .unwrap();
    let insert = c
        .prepare("INSERT INTO p VALUES ($1, $2, $3)")
        .await
        .unwrap();
    let fail = |e: tokio_postgres::Error, code: &str| {
        let db = e.as_db_error().cloned().unwrap();
        assert_eq!(db.code().code(), code, "{db:?}");
        db
    };
    // Unique (extended protocol): PG 15 SCHEMA NAME public, TABLE NAME p, CONSTRAINT NAME
    // p_pkey.
    let e = c
        .execute(&insert, &[&1i32, &2i32, &2i32])
        .await
        .unwrap_err();
    assert_eq!(
        objects(&fail(e, "23505")),
        (Some("public"), Some("p"), None, None, Some("p_pkey"))
    );
    // Not null: TABLE NAME p, COLUMN NAME v.
    let e = c
        .execute(&insert, &[&2i32, &None::<i32>, &2i32])
        .await
        .unwrap_err();
    assert_eq!(
        objects(&fail(e, "23502")),
        (Some("public"), Some("p"), Some("v"), None, None)
    );
    // Check: TABLE NAME p, CONSTRAINT NAME w_pos (simple protocol).
    let e = c
        .batch_execute("INSERT INTO p VALUES (2, 2, -2)")
        .await
        .unwrap_err();
    assert_eq!(
        objects(&fail(e, "23514")),
        (Some("public"), Some("p"), None, None, Some("w_pos"))
    );
    // Foreign key, a missing referent: TABLE NAME ch, CONSTRAINT NAME ch_pid_fk.
    let e = c
        .batch_execute("INSERT INTO ch VALUES (2, 99)")
        .await
        .unwrap_err();
    assert_eq!(
        objects(&fail(e, "23503")),
        (Some("public"), Some("ch"), None, None, Some("ch_pid_fk"))
    );
    // Foreign key, the referenced row deleted: PG 15 still names the referencing table ch.
    let e = c
        .execute("DELETE FROM p WHERE id = $1", &[&1i32])
        .await
        .unwrap_err();
    assert_eq!(
        objects(&fail(e, "23503")),
        (Some("public"), Some("ch"), None, None, Some("ch_pid_fk"))
    );
    // Domain check: SCHEMA NAME public, DATATYPE NAME posint, CONSTRAINT NAME posint_check.
    let e = c.batch_execute("SELECT (-1)::posint").await.unwrap_err();
    assert_eq!(
        objects(&fail(e, "23514")),
        (
            Some("public"),
            None,
            None,
            Some("posint"),
            Some("posint_check")
        )
    );
    // Domain NOT NULL: SCHEMA NAME public, DATATYPE NAME nnint.
    let e = c.batch_execute("SELECT NULL::nnint").await.unwrap_err();
    assert_eq!(
        objects(&fail(e, "23502")),
        (Some("public"), None, None, Some("nnint"), None)
    );
    // COPY: the same fields, with the context line.
    let sink = c.copy_in("COPY p FROM STDIN").await.unwrap();
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"1\t5\t5\n"))
        .await
        .unwrap();
    let db = fail(sink.finish().await.unwrap_err(), "23505");
    // (PostgreSQL 15's context is `COPY p, line 1`, without the line's text.)
    assert_eq!(db.where_(), Some("COPY p, line 1"));
    assert_eq!(
        objects(&db),
        (Some("public"), Some("p"), None, None, Some("p_pkey"))
    );
    // Errors about no object send none (PG 15 too): value too long.
    let e = c
        .batch_execute("CREATE TABLE s (v varchar(3)); INSERT INTO s VALUES ('abcd')")
        .await
        .unwrap_err();
    assert_eq!(objects(&fail(e, "22001")), (None, None, None, None, None));
    r.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_running_query_with_57014() {
    let r = common::start("trust", "unused").await;
    let c = r.connect().await;
    let token = c.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        token.cancel_query(NoTls).await.unwrap();
    });
    let started = std::time::Instant::now();
    let e = c
        .query("SELECT count(*) FROM generate_series(1, 10000000000)", &[])
        .await
        .unwrap_err();
    assert_eq!(e.as_db_error().unwrap().code().code(), "57014");
    assert!(started.elapsed() < Duration::from_secs(20));
    canceller.await.unwrap();
    // The connection goes on.
    let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    r.stop().await;
}
