//! The embedded SQL API end to end: parameters and typed rows, affected-row counts,
//! transaction guards, prepared statements, errors, persistence and concurrent connections.

#![allow(clippy::unwrap_used, missing_docs)]

use basalt::{
    Database, Error, FromSqlError, IsolationLevel, Numeric, Transaction, TransactionStatus, Value,
    params,
};

fn count(conn: &basalt::Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), (), |r| r.get(0))
        .unwrap()
}

#[test]
fn every_supported_type_round_trips_through_parameters() {
    let db = Database::memory();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE t (id int PRIMARY KEY, a smallint, b bigint, c real, d double precision,
                         e boolean, f text, g bytea, h numeric(20, 4), i varchar(10))",
        (),
    )
    .unwrap();
    let h = Numeric::parse("12345.6789").unwrap();
    let n = conn
        .execute(
            "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                1,
                -7i16,
                i64::MAX,
                1.5f32,
                -0.25f64,
                true,
                "héllo",
                vec![0u8, 1, 255],
                h.clone(),
                "v"
            ],
        )
        .unwrap();
    assert_eq!(n, 1);
    conn.execute(
        "INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![
            2,
            None::<i16>,
            None::<i64>,
            None::<f32>,
            None::<f64>,
            None::<bool>,
            None::<String>,
            None::<Vec<u8>>,
            Value::Null,
            None::<&str>
        ],
    )
    .unwrap();

    let row = conn
        .query_one("SELECT * FROM t WHERE id = $1", [1])
        .unwrap();
    assert_eq!(row.get::<i32>("id").unwrap(), 1);
    assert_eq!(row.get::<i16>("a").unwrap(), -7);
    assert_eq!(row.get::<i64>("b").unwrap(), i64::MAX);
    assert_eq!(row.get::<f32>("c").unwrap(), 1.5);
    assert_eq!(row.get::<f64>("d").unwrap(), -0.25);
    assert!(row.get::<bool>("e").unwrap());
    assert_eq!(row.get::<&str>("f").unwrap(), "héllo");
    assert_eq!(row.get::<Vec<u8>>("g").unwrap(), [0, 1, 255]);
    assert_eq!(row.get::<&[u8]>("g").unwrap(), [0, 1, 255]);
    assert_eq!(row.get::<Numeric>("h").unwrap(), h);
    assert_eq!(row.get::<String>("h").unwrap(), "12345.6789");
    assert_eq!(row.get::<String>("i").unwrap(), "v");
    // Widening reads.
    assert_eq!(row.get::<i64>("a").unwrap(), -7);
    assert_eq!(row.get::<f64>("c").unwrap(), 1.5);

    let row = conn.query_one("SELECT * FROM t WHERE id = 2", ()).unwrap();
    for i in 1..row.len() {
        assert_eq!(row.get_value(i).unwrap(), &Value::Null, "column {i}");
        assert_eq!(row.get::<Option<String>>(i).unwrap(), None);
    }
    let err = row.get::<i16>("a").unwrap_err();
    assert_eq!(err.code(), "22004");
    assert!(matches!(
        err,
        Error::FromSql {
            column: 1,
            source: FromSqlError::UnexpectedNull,
            ..
        }
    ));
}

#[test]
fn parameters_are_cast_to_the_type_the_statement_needs() {
    let db = Database::memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE t (id int PRIMARY KEY, x smallint)", ())
        .unwrap();
    // i64 into int and smallint columns.
    conn.execute("INSERT INTO t VALUES ($1, $2)", [5i64, 6])
        .unwrap();
    assert_eq!(
        conn.query_row("SELECT x FROM t WHERE id = $1", [5i64], |r| r.get::<i16>(0))
            .unwrap(),
        6
    );
    // Out of range for the column: PostgreSQL's error.
    let err = conn
        .execute("INSERT INTO t VALUES ($1, $2)", [7i64, 70_000])
        .unwrap_err();
    assert_eq!(err.code(), "22003");
}

#[test]
fn execute_reports_affected_rows() {
    let db = Database::memory();
    let conn = db.connect();
    assert_eq!(
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v int)", ())
            .unwrap(),
        0
    );
    assert_eq!(
        conn.execute(
            "INSERT INTO t SELECT g, g % 3 FROM generate_series(1, 30) g",
            ()
        )
        .unwrap(),
        30
    );
    assert_eq!(
        conn.execute("UPDATE t SET v = v + 10 WHERE v = $1", [0])
            .unwrap(),
        10
    );
    assert_eq!(
        conn.execute("DELETE FROM t WHERE v >= $1", [10]).unwrap(),
        10
    );
    assert_eq!(conn.execute("DELETE FROM t WHERE id < 0", ()).unwrap(), 0);
    assert_eq!(count(&conn, "t"), 20);
}

#[test]
fn transaction_guard_commits_or_rolls_back() {
    let db = Database::memory();
    let mut conn = db.connect();
    let other = db.connect();
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)", ())
        .unwrap();

    {
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
        assert_eq!(count(&tx, "t"), 1);
        assert_eq!(count(&other, "t"), 0, "uncommitted rows are invisible");
    }
    assert_eq!(conn.transaction_status(), TransactionStatus::Idle);
    assert_eq!(count(&conn, "t"), 0, "dropped guard rolled back");

    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (2)", ()).unwrap();
    tx.commit().unwrap();
    assert_eq!(count(&other, "t"), 1);

    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (3)", ()).unwrap();
    tx.rollback().unwrap();
    assert_eq!(count(&conn, "t"), 1);

    // A failed statement aborts the block; commit says so and nothing is kept.
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (4)", ()).unwrap();
    assert_eq!(
        tx.execute("INSERT INTO t VALUES (2)", ())
            .unwrap_err()
            .code(),
        "23505"
    );
    assert_eq!(
        tx.execute("SELECT 1", ()).unwrap_err().code(),
        "25P02",
        "in failed block"
    );
    assert!(matches!(tx.commit(), Err(Error::TransactionAborted)));
    assert_eq!(count(&conn, "t"), 1);

    // No nesting through the guard API.
    conn.execute("BEGIN", ()).unwrap();
    assert!(matches!(
        conn.transaction(),
        Err(Error::TransactionInProgress)
    ));
    conn.execute("ROLLBACK", ()).unwrap();
}

#[test]
fn serializable_conflict_is_retryable() {
    let db = Database::memory();
    let (mut a, mut b) = (db.connect(), db.connect());
    a.execute_batch("CREATE TABLE acct (id int PRIMARY KEY, bal int); INSERT INTO acct VALUES (1, 100), (2, 100)")
        .unwrap();
    let ta = a.transaction_with(IsolationLevel::Serializable).unwrap();
    let tb = b.transaction_with(IsolationLevel::Serializable).unwrap();
    // Write skew: each reads both rows and updates one.
    let sum = |c: &basalt::Connection| -> i64 {
        c.query_row("SELECT sum(bal) FROM acct", (), |r| r.get(0))
            .unwrap()
    };
    assert_eq!(sum(&ta), 200);
    assert_eq!(sum(&tb), 200);
    ta.execute("UPDATE acct SET bal = bal - 150 WHERE id = 1", ())
        .unwrap();
    tb.execute("UPDATE acct SET bal = bal - 150 WHERE id = 2", ())
        .unwrap();
    ta.commit().unwrap();
    let err = match tb.commit() {
        Err(e) => e,
        Ok(()) => panic!("write skew committed under SERIALIZABLE"),
    };
    assert_eq!(err.code(), "40001");
    assert!(err.is_retryable());
}

#[test]
fn prepared_statements_run_many_times() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute("CREATE TABLE kv (k int PRIMARY KEY, v text)", ())
        .unwrap();
    let tx = conn.transaction().unwrap();
    let insert = tx.prepare("INSERT INTO kv VALUES ($1, $2)").unwrap();
    for k in 0..200 {
        assert_eq!(insert.execute((k, format!("v{k}"))).unwrap(), 1);
    }
    drop(insert);
    tx.commit().unwrap();
    let get = conn.prepare("SELECT v FROM kv WHERE k = $1").unwrap();
    let range = conn
        .prepare("SELECT k FROM kv WHERE k >= $1 AND k < $2 ORDER BY k")
        .unwrap();
    for k in [0, 57, 199] {
        assert_eq!(
            get.query_one([k]).unwrap().get::<String>(0).unwrap(),
            format!("v{k}")
        );
    }
    assert!(get.query_opt([200]).unwrap().is_none());
    let ks: Vec<i32> = range
        .query([10, 15])
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(ks, [10, 11, 12, 13, 14]);
    let err = conn.prepare("SELECT FROM WHERE").err().unwrap();
    assert_eq!(err.code(), "42601");
    assert!(err.position().is_some());
}

#[test]
fn result_shape_errors() {
    let db = Database::memory();
    let conn = db.connect();
    assert!(matches!(
        conn.query_one("SELECT 1 WHERE false", ()),
        Err(Error::NoRows)
    ));
    assert!(matches!(
        conn.query_row("SELECT 1 WHERE false", (), |r| r.get::<i32>(0)),
        Err(Error::NoRows)
    ));
    assert!(matches!(
        conn.query_one("SELECT generate_series(1, 3)", ()),
        Err(Error::TooManyRows)
    ));
    assert_eq!(
        conn.query_row("SELECT generate_series(5, 9)", (), |r| r.get::<i32>(0))
            .unwrap(),
        5
    );
    let row = conn.query_one("SELECT 1 AS a, 'x' AS \"B\"", ()).unwrap();
    assert_eq!(row.get::<String>("B").unwrap(), "x");
    assert_eq!(row.get::<String>("b").unwrap(), "x");
    let err = row.get::<i32>("c").unwrap_err();
    assert_eq!(err.code(), "42703");
    let err = row.get::<bool>("a").unwrap_err();
    assert_eq!(err.code(), "42804");
    assert_eq!(
        err.to_string(),
        "column 0 (a): cannot read a value of type integer as bool"
    );
    let rows = conn.query("SELECT 1 AS x WHERE false", ()).unwrap();
    assert!(rows.is_empty());
    assert_eq!(rows.column_names(), ["x"]);
}

#[test]
fn sql_and_kv_errors_carry_sqlstates() {
    let db = Database::memory();
    let conn = db.connect();
    let e = conn.execute("SELECT * FROM nope", ()).unwrap_err();
    assert_eq!(e.code(), "42P01");
    assert!(matches!(e, Error::Sql(_)));
    let e = conn.execute("SELECT 1/0", ()).unwrap_err();
    assert_eq!(e.code(), "22012");
    assert_eq!(e.message(), "division by zero");

    let mut txn = db
        .begin_with(basalt::TxnOptions {
            read_only: true,
            ..Default::default()
        })
        .unwrap();
    let kv_err: Error = txn.put(b"k".to_vec(), b"v".to_vec()).unwrap_err().into();
    assert!(matches!(kv_err, Error::Kv(_)));
    assert_eq!(kv_err.code(), "25006");
}

#[test]
fn data_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).unwrap();
        let mut conn = db.connect();
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, name text)", ())
            .unwrap();
        let tx = conn.transaction().unwrap();
        for i in 0..50 {
            tx.execute("INSERT INTO t VALUES ($1, $2)", params![i, format!("n{i}")])
                .unwrap();
        }
        tx.commit().unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute("DELETE FROM t", ()).unwrap();
        // Uncommitted at close: must not survive.
        drop(tx);
    }
    let db = Database::open(&path).unwrap();
    let conn = db.connect();
    assert_eq!(count(&conn, "t"), 50);
    assert_eq!(
        conn.query_row("SELECT name FROM t WHERE id = 42", (), |r| r
            .get::<String>(0))
            .unwrap(),
        "n42"
    );
}

#[test]
fn connections_on_many_threads() {
    let db = Database::memory();
    db.connect()
        .execute("CREATE TABLE t (id int PRIMARY KEY, w int)", ())
        .unwrap();
    std::thread::scope(|s| {
        for w in 0..4 {
            let db = db.clone();
            s.spawn(move || {
                let conn = db.connect();
                let insert = conn.prepare("INSERT INTO t VALUES ($1, $2)").unwrap();
                for i in 0..25 {
                    insert.execute([w * 100 + i, w]).unwrap();
                }
            });
        }
    });
    let conn = db.connect();
    assert_eq!(count(&conn, "t"), 100);
    let per: Vec<(i32, i64)> = conn
        .query("SELECT w, count(*) FROM t GROUP BY w ORDER BY w", ())
        .unwrap()
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(per, [(0, 25), (1, 25), (2, 25), (3, 25)]);
}

#[test]
fn kv_api_still_works_beside_sql() {
    let db = Database::memory();
    let mut txn = db.begin(IsolationLevel::Serializable).unwrap();
    txn.put(b"app/x".to_vec(), b"1".to_vec()).unwrap();
    txn.commit().unwrap();
    db.connect().execute("CREATE TABLE t (x int)", ()).unwrap();
    db.checkpoint().unwrap();
    db.vacuum().unwrap();
    let mut txn = db.begin(IsolationLevel::ReadCommitted).unwrap();
    assert_eq!(txn.get(b"app/x").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        db.execute("SELECT count(*) FROM t").unwrap()[0].rows,
        [[Some("0".to_string())]]
    );
}

#[test]
fn connections_move_between_threads_and_results_are_shareable() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<basalt::Connection>();
    send_sync::<basalt::Rows>();
    send_sync::<basalt::Error>();
    send_sync::<Database>();
    let db = Database::memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE t (x int)", ()).unwrap();
    let conn = std::thread::spawn(move || {
        conn.execute("INSERT INTO t VALUES (1)", ()).unwrap();
        conn
    })
    .join()
    .unwrap();
    assert_eq!(count(&conn, "t"), 1);
    // SHOW goes through the typed API too.
    let tz: String = conn.query_row("SHOW TimeZone", (), |r| r.get(0)).unwrap();
    assert_eq!(tz, "UTC");
}

// ---------------------------------------------------------------------------------------
// Several databases in one directory.

fn one(s: &mut basalt::Session<basalt::LocalKv>, sql: &str) -> Vec<Vec<Option<String>>> {
    s.execute(sql).unwrap().pop().unwrap().rows
}

fn code(s: &mut basalt::Session<basalt::LocalKv>, sql: &str) -> (String, String, Option<String>) {
    let e = s.execute(sql).unwrap_err();
    (
        e.code().code().to_string(),
        e.message().to_string(),
        e.detail().map(str::to_string),
    )
}

fn text(v: &str) -> Vec<Vec<Option<String>>> {
    vec![vec![Some(v.to_string())]]
}

#[test]
fn databases_keep_their_own_tables_and_share_roles() {
    let db = Database::memory();
    let mut main = db.session();
    assert_eq!(
        one(&mut main, "SELECT current_database()"),
        text("postgres")
    );
    main.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .unwrap();
    main.execute("CREATE DATABASE app").unwrap();
    assert_eq!(
        code(&mut main, "CREATE DATABASE app"),
        (
            "42P04".into(),
            "database \"app\" already exists".into(),
            None
        )
    );
    let mut app = db.session_in("app").unwrap();
    assert_eq!(one(&mut app, "SELECT current_database()"), text("app"));
    // The same table name, another table.
    assert_eq!(code(&mut app, "SELECT * FROM t").0, "42P01");
    app.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (2), (3)")
        .unwrap();
    assert_eq!(one(&mut main, "SELECT sum(x) FROM t"), text("1"));
    assert_eq!(one(&mut app, "SELECT sum(x) FROM t"), text("5"));
    // Roles are the directory's.
    app.execute("CREATE ROLE alice LOGIN").unwrap();
    assert_eq!(
        one(
            &mut main,
            "SELECT rolname FROM pg_roles WHERE rolname = 'alice'"
        ),
        text("alice")
    );
    assert_eq!(
        one(
            &mut main,
            "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"
        ),
        text("app,postgres,template0,template1")
    );
    // What DROP DATABASE refuses.
    assert_eq!(
        code(&mut main, "DROP DATABASE app"),
        (
            "55006".into(),
            "database \"app\" is being accessed by other users".into(),
            Some("There is 1 other session using the database.".into())
        )
    );
    assert_eq!(
        code(&mut app, "DROP DATABASE app"),
        (
            "55006".into(),
            "cannot drop the currently open database".into(),
            None
        )
    );
    assert_eq!(
        code(&mut main, "BEGIN; DROP DATABASE app").0,
        "25001".to_string()
    );
    main.execute("ROLLBACK").unwrap();
    assert_eq!(code(&mut main, "DROP DATABASE template1").0, "42809");
    drop(app);
    main.execute("DROP DATABASE app").unwrap();
    let e = db.session_in("app").err().unwrap();
    assert_eq!(e.code(), "3D000");
    assert_eq!(e.to_string(), "database \"app\" does not exist");
    main.execute("DROP DATABASE IF EXISTS app").unwrap();
    // A new database of the same name starts empty.
    main.execute("CREATE DATABASE app").unwrap();
    let mut app = db.session_in("app").unwrap();
    assert_eq!(code(&mut app, "SELECT * FROM t").0, "42P01");
    assert_eq!(
        one(
            &mut app,
            "SELECT count(*) FROM pg_roles WHERE rolname = 'alice'"
        ),
        text("1")
    );
}

#[test]
fn database_sizes_of_this_and_other_databases() {
    let db = Database::memory();
    let mut main = db.session();
    let size = |s: &mut basalt::Session<basalt::LocalKv>, sql: &str| -> i64 {
        one(s, sql)[0][0].as_deref().unwrap().parse().unwrap()
    };
    main.execute("CREATE DATABASE app").unwrap();
    let empty = size(&mut main, "SELECT pg_database_size('app')");
    let mut app = db.session_in("app").unwrap();
    app.execute(
        "CREATE TABLE t (id int PRIMARY KEY, v text);
         INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g",
    )
    .unwrap();
    // Seen from the other database, by name and by OID, and from itself.
    let app_size = size(&mut main, "SELECT pg_database_size('app')");
    assert!(app_size > empty + 100_000, "{empty} {app_size}");
    assert_eq!(
        size(
            &mut main,
            "SELECT pg_database_size(oid) FROM pg_database WHERE datname = 'app'"
        ),
        app_size
    );
    assert_eq!(
        size(&mut app, "SELECT pg_database_size(current_database())"),
        app_size
    );
    // The table holds most of it; the other database is apart.
    let table = size(&mut app, "SELECT pg_total_relation_size('t')");
    assert!(table > 100_000 && table <= app_size, "{table} {app_size}");
    let main_size = size(&mut main, "SELECT pg_database_size('postgres')");
    assert!(main_size < 100_000, "{main_size}");
    assert!(size(&mut main, "SELECT pg_tablespace_size('pg_default')") >= app_size + main_size);
    // Dropped: its rows are gone with it.
    drop(app);
    main.execute("DROP DATABASE app").unwrap();
    assert_eq!(code(&mut main, "SELECT pg_database_size('app')").0, "3D000");
}

#[test]
fn create_database_copies_its_template() {
    let db = Database::memory();
    let mut main = db.session();
    main.execute("CREATE DATABASE src; ").unwrap();
    {
        let mut src = db.session_in("src").unwrap();
        src.execute(
            "CREATE TABLE items (id int PRIMARY KEY, name text);
             CREATE INDEX ON items (name);
             CREATE SEQUENCE s;
             INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 50000) g;
             SELECT nextval('s')",
        )
        .unwrap();
        // A template in use cannot be copied.
        assert_eq!(
            code(&mut main, "CREATE DATABASE copy TEMPLATE src"),
            (
                "55006".into(),
                "source database \"src\" is being accessed by other users".into(),
                Some("There is 1 other session using the database.".into())
            )
        );
    }
    main.execute("CREATE DATABASE copy TEMPLATE src").unwrap();
    let mut copy = db.session_in("copy").unwrap();
    assert_eq!(one(&mut copy, "SELECT count(*) FROM items"), text("50000"));
    assert_eq!(
        one(&mut copy, "SELECT id FROM items WHERE name = 'n777'"),
        text("777")
    );
    // The copy's sequence goes on after the template's (from the value logged ahead, as
    // after a crash: sequences may skip values).
    assert_eq!(one(&mut copy, "SELECT nextval('s') > 1"), text("t"));
    copy.execute("INSERT INTO items VALUES (0, 'zero')")
        .unwrap();
    let mut src = db.session_in("src").unwrap();
    assert_eq!(one(&mut src, "SELECT count(*) FROM items"), text("50000"));
    assert_eq!(
        code(&mut main, "CREATE DATABASE x TEMPLATE nope").0,
        "3D000"
    );
    assert_eq!(
        code(&mut main, "CREATE DATABASE x LOCALE 'en_US.UTF-8'").0,
        "0A000"
    );
    main.execute(
        "CREATE DATABASE dump WITH TEMPLATE = template0 ENCODING = 'UTF8' \
         LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8'",
    )
    .unwrap();
    assert_eq!(db.session_in("template0").err().unwrap().code(), "55000");
}

#[test]
fn alter_database_renames_limits_and_changes_owner() {
    let db = Database::memory();
    let mut main = db.session();
    main.execute("CREATE DATABASE a; CREATE ROLE bob").unwrap();
    main.execute("ALTER DATABASE a RENAME TO b").unwrap();
    assert!(db.session_in("a").is_err());
    main.execute("ALTER DATABASE b OWNER TO bob").unwrap();
    main.execute("ALTER DATABASE b WITH CONNECTION LIMIT 3 ALLOW_CONNECTIONS false")
        .unwrap();
    assert_eq!(
        one(
            &mut main,
            "SELECT pg_get_userbyid(datdba), datconnlimit, datallowconn FROM pg_database \
             WHERE datname = 'b'"
        ),
        vec![vec![
            Some("bob".to_string()),
            Some("3".to_string()),
            Some("f".to_string())
        ]]
    );
    assert_eq!(db.session_in("b").err().unwrap().code(), "55000");
    main.execute("ALTER DATABASE b ALLOW_CONNECTIONS true")
        .unwrap();
    let _b = db.session_in("b").unwrap();
    assert_eq!(code(&mut main, "ALTER DATABASE b RENAME TO c").0, "55006");
    assert_eq!(
        code(&mut main, "ALTER DATABASE postgres RENAME TO c"),
        (
            "0A000".into(),
            "current database cannot be renamed".into(),
            None
        )
    );
    main.execute("ALTER DATABASE b SET search_path = x, public")
        .unwrap();
    assert_eq!(
        one(
            &mut main,
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d \
             ON d.oid = s.setdatabase WHERE datname = 'b'"
        ),
        text("{\"search_path=x, public\"}")
    );
    // New sessions of the database start with it, as server logins do.
    let mut b = db.session_in("b").unwrap();
    assert_eq!(one(&mut b, "SHOW search_path"), text("x, public"));
    assert_eq!(
        one(&mut main, "SHOW search_path"),
        text("\"$user\", public")
    );
    main.execute("ALTER ROLE basalt SET work_mem = '8MB'")
        .unwrap();
    assert_eq!(one(&mut db.session(), "SHOW work_mem"), text("8MB"));
}

#[test]
fn databases_survive_a_reopen_and_orphaned_keys_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let db = Database::open(&path).unwrap();
        db.execute("CREATE DATABASE app").unwrap();
        let mut app = db.session_in("app").unwrap();
        app.execute("CREATE TABLE t (x text); INSERT INTO t VALUES ('kept')")
            .unwrap();
        // Keys of a namespace no database names, as a crash during CREATE DATABASE leaves.
        let mut txn = basalt::TxnKv::begin(
            &basalt::TxnKv::namespace(db.kv(), 4242),
            basalt::TxnOptions::default(),
        )
        .unwrap();
        txn.put(b"tjunk".to_vec(), b"x".to_vec()).unwrap();
        txn.commit().unwrap();
    }
    let db = Database::open(&path).unwrap();
    let mut app = db.session_in("app").unwrap();
    assert_eq!(one(&mut app, "SELECT x FROM t"), text("kept"));
    let mut txn = basalt::TxnKv::begin(
        &basalt::TxnKv::namespace(db.kv(), 4242),
        basalt::TxnOptions::default(),
    )
    .unwrap();
    assert_eq!(txn.get(b"tjunk").unwrap(), None);
}

#[test]
fn query_each_streams_rows_and_stops_at_an_error() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute("CREATE TABLE t (a int PRIMARY KEY)", ())
        .unwrap();
    // Rows of a query, as produced.
    let mut seen = Vec::new();
    let n = conn
        .query_each(
            "SELECT g, 'n' || g AS s FROM generate_series(1, $1) AS g",
            [5],
            |r| {
                seen.push((r.get::<i32>("g")?, r.get::<String>(1)?));
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(n, 5);
    assert_eq!(seen.last(), Some(&(5, "n5".to_string())));
    // Rows of a statement that does not stream (RETURNING) are passed on too.
    let mut inserted = Vec::new();
    let n = conn
        .query_each("INSERT INTO t VALUES (1), (2) RETURNING a", (), |r| {
            inserted.push(r.get::<i32>(0)?);
            Ok(())
        })
        .unwrap();
    assert_eq!((n, inserted), (2, vec![1, 2]));
    // An execution error after some rows: those rows came, then the error.
    let mut rows = 0;
    let e = conn
        .query_each(
            "SELECT 10 / (10 - g) FROM generate_series(1, 20) AS g",
            (),
            |_| {
                rows += 1;
                Ok(())
            },
        )
        .unwrap_err();
    assert_eq!((rows, e.code()), (9, "22012"));
    // The function's own error stops the statement and is returned; in a transaction block
    // the block fails as on any error.
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (3)", ()).unwrap();
    let mut rows = 0;
    let e = conn
        .query_each("SELECT g FROM generate_series(1, 1000000) AS g", (), |_| {
            rows += 1;
            if rows == 3 {
                return Err(basalt::Error::NoRows);
            }
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(e, basalt::Error::NoRows));
    assert_eq!(rows, 3);
    assert_eq!(conn.execute("SELECT 1", ()).unwrap_err().code(), "25P02");
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(count(&conn, "t"), 2);
}
