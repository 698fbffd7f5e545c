//! COPY through the embedded API: `copy_in` / `copy_out` streams, batches larger than one
//! insert batch, atomicity of a failing COPY, and COPY inside transaction blocks.

#![allow(clippy::unwrap_used)]

use basalt::Database;

#[test]
fn copy_in_many_rows_then_out() {
    let db = Database::memory();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b text)",
        (),
    )
    .unwrap();
    let mut data = String::new();
    for i in 0..10_000 {
        data.push_str(&format!("{i}\t{}\tpayload {i}\n", i % 7));
    }
    assert_eq!(
        conn.copy_in("COPY t FROM STDIN", data.as_bytes()).unwrap(),
        10_000
    );
    assert_eq!(
        conn.query_row("SELECT count(*), sum(a) FROM t", (), |r| Ok((
            r.get::<i64>(0)?,
            r.get::<i64>(1)?
        )))
        .unwrap(),
        (10_000, (0..10_000).map(|i| i % 7).sum::<i64>())
    );
    let mut out = Vec::new();
    assert_eq!(conn.copy_out("COPY t TO STDOUT", &mut out).unwrap(), 10_000);
    // Key order is insertion order here, so the output is the input.
    assert_eq!(String::from_utf8(out).unwrap(), data);
}

#[test]
fn failing_copy_changes_nothing() {
    let db = Database::memory();
    let mut conn = db.connect();
    conn.execute("CREATE TABLE t (id int PRIMARY KEY)", ())
        .unwrap();
    // The duplicate comes after the first batch was inserted: the whole COPY goes.
    let mut data: String = (0..6000).map(|i| format!("{i}\n")).collect();
    data.push_str("5\n");
    let e = conn
        .copy_in("COPY t FROM STDIN", data.as_bytes())
        .unwrap_err();
    assert_eq!(e.code(), "23505");
    assert_eq!(
        conn.query_row("SELECT count(*) FROM t", (), |r| r.get::<i64>(0))
            .unwrap(),
        0
    );
    // A bad value reports where it is.
    let e = conn
        .copy_in("COPY t FROM STDIN", "1\n2\nx\n".as_bytes())
        .unwrap_err();
    assert_eq!(e.code(), "22P02");
    let basalt::Error::Sql(s) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(s.context(), Some("COPY t, line 3, column id: \"x\""));
    // Invalid UTF-8 is refused.
    let e = conn
        .copy_in("COPY t FROM STDIN", &b"1\n\xff\n"[..])
        .unwrap_err();
    assert_eq!(e.code(), "22021");

    // Inside a transaction block: a failed COPY fails the block.
    let tx = conn.transaction().unwrap();
    tx.copy_in("COPY t FROM STDIN", "1\n2\n".as_bytes())
        .unwrap();
    assert!(tx.copy_in("COPY t FROM STDIN", "2\n".as_bytes()).is_err());
    assert_eq!(
        tx.copy_in("COPY t FROM STDIN", "3\n".as_bytes())
            .unwrap_err()
            .code(),
        "25P02"
    );
    drop(tx);
    let tx = conn.transaction().unwrap();
    tx.copy_in("COPY t FROM STDIN (FORMAT csv)", "7\n8\n".as_bytes())
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        conn.query_row(
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM t",
            (),
            |r| r.get::<String>(0)
        )
        .unwrap(),
        "7,8"
    );
}

#[test]
fn copy_without_a_stream_is_refused() {
    let db = Database::memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE t (id int)", ()).unwrap();
    assert_eq!(
        conn.execute("COPY t FROM STDIN", ()).unwrap_err().code(),
        "0A000"
    );
    assert_eq!(
        conn.execute("COPY t TO STDOUT", ()).unwrap_err().code(),
        "0A000"
    );
    // COPY FROM a stream given to copy_out (and the reverse) has none either.
    assert_eq!(
        conn.copy_out("COPY t FROM STDIN", Vec::new())
            .unwrap_err()
            .code(),
        "0A000"
    );
}

/// Rows of one batch are reused for the next: a NULL field, a column left to its default or
/// to a generated value, and rows a WHERE skips must never show an earlier batch's values.
#[test]
fn batches_reuse_rows_without_leaking_values() {
    let db = Database::memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t (id int PRIMARY KEY, b text, n int, d text DEFAULT 'dflt',
                         e int, g int GENERATED ALWAYS AS (id * 2) STORED)",
    )
    .unwrap();
    let mut data = String::new();
    for i in 0..20_000 {
        // Every third row has a NULL text and every fifth a NULL number.
        let b = if i % 3 == 0 {
            "\\N".to_string()
        } else {
            format!("b{i}")
        };
        let n = if i % 5 == 0 {
            "\\N".to_string()
        } else {
            i.to_string()
        };
        data.push_str(&format!("{i}\t{b}\t{n}\n"));
    }
    assert_eq!(
        conn.copy_in(
            "COPY t (id, b, n) FROM STDIN WHERE id % 2 = 0",
            data.as_bytes()
        )
        .unwrap(),
        10_000
    );
    let check = |sql: &str| conn.query_row(sql, (), |r| r.get::<i64>(0)).unwrap();
    assert_eq!(check("SELECT count(*) FROM t WHERE id % 2 <> 0"), 0);
    assert_eq!(
        check("SELECT count(*) FROM t WHERE (b IS NULL) <> (id % 3 = 0)"),
        0
    );
    assert_eq!(
        check("SELECT count(*) FROM t WHERE b IS NOT NULL AND b <> 'b' || id"),
        0
    );
    assert_eq!(
        check("SELECT count(*) FROM t WHERE (n IS NULL) <> (id % 5 = 0)"),
        0
    );
    assert_eq!(
        check("SELECT count(*) FROM t WHERE n IS NOT NULL AND n <> id"),
        0
    );
    assert_eq!(
        check("SELECT count(*) FROM t WHERE d = 'dflt' AND e IS NULL AND g = id * 2"),
        10_000
    );
}
