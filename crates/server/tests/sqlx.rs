//! End-to-end with sqlx (0.8, PostgreSQL driver, no macros): a pool over TCP with SCRAM
//! authentication, typed parameters and results, streaming, transactions, a prepared statement
//! reused, errors with their SQLSTATE, and several statements in one simple query.
//!
//! sqlx runs every `query` as a named prepared statement (Parse, Describe, Bind with binary
//! results, Execute, Sync) and `raw_sql` as a simple query.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{Acquire, Executor, Row, Statement};

const PASSWORD: &str = "s3cret pw";

impl common::Running {
    fn options(&self, password: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username("basalt")
            .password(password)
            .database("basalt")
            .ssl_mode(PgSslMode::Disable)
    }

    async fn pool(&self) -> sqlx::PgPool {
        PgPoolOptions::new()
            .max_connections(3)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(self.options(PASSWORD))
            .await
            .unwrap()
    }
}

type Item = (
    i32,
    i64,
    String,
    Option<bool>,
    f64,
    i16,
    Vec<u8>,
    Vec<String>,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_pool_types_streams_transactions_and_errors() {
    let r = common::start("scram-sha-256", PASSWORD).await;

    // A wrong password fails authentication with 28P01.
    let e = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(r.options("wrong"))
        .await
        .unwrap_err();
    assert_eq!(
        e.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("28P01"),
        "{e}"
    );

    let pool = r.pool().await;

    // Several statements in one simple query.
    sqlx::raw_sql(
        "CREATE TABLE item (id int4 PRIMARY KEY, big int8 NOT NULL, name text NOT NULL, \
         ok bool, score float8 NOT NULL, small int2 NOT NULL, data bytea NOT NULL, \
         tags text[] NOT NULL, price numeric(10,2), at timestamptz); \
         CREATE INDEX item_name ON item (name); \
         INSERT INTO item VALUES (100, 1, 'raw', NULL, 0.5, 1, '\\x00ff', '{}', 1.5, NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();

    // Bound parameters of every type, in binary.
    for i in 0..20i32 {
        let res = sqlx::query(
            "INSERT INTO item (id, big, name, ok, score, small, data, tags, price, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::numeric, \
             '2024-05-06 07:08:09+00'::timestamptz + $1 * interval '1 hour')",
        )
        .bind(i)
        .bind(i64::from(i) << 40)
        .bind(format!("name {i}"))
        .bind((i % 3 != 0).then_some(i % 2 == 0))
        .bind(f64::from(i) / 4.0)
        .bind(i16::try_from(i).unwrap())
        .bind(vec![0u8, 1, 255, u8::try_from(i).unwrap()])
        .bind(vec![format!("t{i}"), "b\"q".to_string()])
        .bind(format!("{i}.25"))
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(res.rows_affected(), 1);
    }

    // query_as into tuples; fetch_all.
    let rows: Vec<Item> = sqlx::query_as(
        "SELECT id, big, name, ok, score, small, data, tags FROM item \
         WHERE id BETWEEN $1 AND $2 ORDER BY id",
    )
    .bind(2i32)
    .bind(4i32)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                2,
                2 << 40,
                "name 2".to_string(),
                Some(true),
                0.5,
                2,
                vec![0, 1, 255, 2],
                vec!["t2".to_string(), "b\"q".to_string()]
            ),
            (
                3,
                3 << 40,
                "name 3".to_string(),
                None,
                0.75,
                3,
                vec![0, 1, 255, 3],
                vec!["t3".to_string(), "b\"q".to_string()]
            ),
            (
                4,
                4 << 40,
                "name 4".to_string(),
                Some(true),
                1.0,
                4,
                vec![0, 1, 255, 4],
                vec!["t4".to_string(), "b\"q".to_string()]
            ),
        ]
    );

    // Columns by name; numeric and timestamptz as text (sqlx decodes them only with its
    // optional decimal and date-time crates).
    let row = sqlx::query(
        "SELECT name, price::text AS price, at::text AS at, price * 2 = 14.5 AS doubled \
         FROM item WHERE id = $1",
    )
    .bind(7i32)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(row.try_get::<String, _>("name").unwrap(), "name 7");
    assert_eq!(row.try_get::<String, _>("price").unwrap(), "7.25");
    assert_eq!(
        row.try_get::<String, _>("at").unwrap(),
        "2024-05-06 14:08:09+00"
    );
    assert!(row.try_get::<bool, _>("doubled").unwrap());

    // fetch_optional: a row and none.
    let some: Option<(String,)> = sqlx::query_as("SELECT name FROM item WHERE id = $1")
        .bind(100i32)
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(some, Some(("raw".to_string(),)));
    let none: Option<(String,)> = sqlx::query_as("SELECT name FROM item WHERE id = $1")
        .bind(-1i32)
        .fetch_optional(&pool)
        .await
        .unwrap();
    assert_eq!(none, None);

    // fetch as a stream.
    let mut stream = sqlx::query_as::<_, (i32, Option<bool>)>(
        "SELECT id, ok FROM item WHERE id < $1 ORDER BY id DESC",
    )
    .bind(20i32)
    .fetch(&pool);
    let mut seen = Vec::new();
    while let Some((id, ok)) = stream.try_next().await.unwrap() {
        assert_eq!(ok, (id % 3 != 0).then_some(id % 2 == 0));
        seen.push(id);
    }
    drop(stream);
    assert_eq!(seen, (0..20).rev().collect::<Vec<_>>());

    // A transaction rolled back leaves nothing; one committed stays.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("DELETE FROM item WHERE id < $1")
        .bind(10i32)
        .execute(&mut *tx)
        .await
        .unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM item")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 11);
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE item SET name = name || '!' WHERE id = $1")
        .bind(5i32)
        .execute(&mut *tx)
        .await
        .unwrap();
    // A savepoint (sqlx's nested transaction) rolled back inside it.
    {
        let mut inner = tx.begin().await.unwrap();
        sqlx::query("DELETE FROM item")
            .execute(&mut *inner)
            .await
            .unwrap();
        inner.rollback().await.unwrap();
    }
    tx.commit().await.unwrap();
    let (n, name): (i64, String) =
        sqlx::query_as("SELECT count(*), max(name) FILTER (WHERE id = 5) FROM item")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((n, name.as_str()), (21, "name 5!"));

    // A prepared statement reused on one connection.
    let mut conn = pool.acquire().await.unwrap();
    let stmt = conn
        .prepare("SELECT small + $1::int2, name FROM item WHERE id = $2")
        .await
        .unwrap();
    for i in [1i32, 6, 11] {
        let row = stmt
            .query()
            .bind(100i16)
            .bind(i)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(row.get::<i16, _>(0), i16::try_from(i).unwrap() + 100);
        assert_eq!(row.get::<String, _>(1), format!("name {i}"));
    }
    drop(conn);

    // A unique violation: SQLSTATE 23505, the message and detail from the server.
    let e = sqlx::query("INSERT INTO item (id, big, name, score, small, data, tags) VALUES ($1, 0, '', 0, 0, '', '{}')")
        .bind(3i32)
        .execute(&pool)
        .await
        .unwrap_err();
    let db = e.as_database_error().unwrap();
    assert_eq!(db.code().as_deref(), Some("23505"));
    assert!(db.is_unique_violation());
    assert_eq!(
        db.message(),
        "duplicate key value violates unique constraint \"item_pkey\""
    );
    // The constraint the violation is about (PostgreSQL 15 sends schema public, table item,
    // constraint item_pkey here).
    assert_eq!(db.constraint(), Some("item_pkey"));
    let pg = db.downcast_ref::<sqlx::postgres::PgDatabaseError>();
    assert_eq!(pg.detail(), Some("Key (id)=(3) already exists."));
    assert_eq!((pg.schema(), pg.table()), (Some("public"), Some("item")));
    assert_eq!((pg.column(), pg.data_type()), (None, None));
    // An error in a bound statement's parse (42703) with its position; the pool's connection
    // goes on after either.
    let e = sqlx::query("SELECT nope FROM item WHERE id = $1")
        .bind(1i32)
        .fetch_all(&pool)
        .await
        .unwrap_err();
    let pg = e
        .as_database_error()
        .unwrap()
        .downcast_ref::<sqlx::postgres::PgDatabaseError>();
    assert_eq!(pg.code(), "42703");
    assert!(matches!(
        pg.position(),
        Some(sqlx::postgres::PgErrorPosition::Original(8))
    ));
    // A failing simple query in the middle stops the rest of its string.
    let e = sqlx::raw_sql("DELETE FROM item WHERE id = 0; SELECT 1/0; DELETE FROM item")
        .execute(&pool)
        .await
        .unwrap_err();
    assert_eq!(
        e.as_database_error().and_then(|d| d.code()).as_deref(),
        Some("22012")
    );
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM item")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 21, "the implicit transaction of the string rolled back");

    // raw_sql with several results: the rows of each statement, in order.
    let rows: Vec<sqlx::postgres::PgRow> =
        sqlx::raw_sql("SELECT 1::int4; SELECT id FROM item WHERE id IN (1, 2) ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let ids: Vec<i32> = rows.iter().map(|r| r.get::<i32, _>(0)).collect();
    assert_eq!(ids, [1, 1, 2]);

    pool.close().await;
    r.stop().await;
}
