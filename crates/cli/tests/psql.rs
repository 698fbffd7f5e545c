//! End-to-end: `basalt serve` driven by PostgreSQL's own psql and pgbench.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, pg_bin};

#[test]
fn psql_queries_and_meta_commands() {
    let s = Server::start();
    s.sql(
        "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(8,2) DEFAULT 0);
         CREATE INDEX items_name ON items (name);
         CREATE VIEW cheap AS SELECT * FROM items WHERE price < 10;
         CREATE SCHEMA shop;
         INSERT INTO items VALUES (1, 'pen', 1.50), (2, 'book', 12), (3, 'lamp', NULL)",
    );
    // Several statements in one message, the last one's rows shown.
    assert_eq!(
        s.sql("SELECT count(*) FROM items; SELECT name FROM items ORDER BY id"),
        "3\npen\nbook\nlamp\n"
    );
    let out = |args: &[&str]| {
        let o = s.psql(args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let d = out(&["-c", r"\d items"]);
    assert!(d.contains("Table \"public.items\""), "{d}");
    assert!(
        d.contains(" price  | numeric(8,2) |           |          | 0"),
        "{d}"
    );
    assert!(d.contains("\"items_pkey\" PRIMARY KEY, btree (id)"), "{d}");
    assert!(d.contains("\"items_name\" btree (name)"), "{d}");
    let dt = out(&["-c", r"\dt"]);
    assert!(dt.contains(" public | items | table | basalt"), "{dt}");
    let di = out(&["-c", r"\di"]);
    assert!(
        di.contains(" public | items_name | index | basalt | items"),
        "{di}"
    );
    let dv = out(&["-c", r"\dv"]);
    assert!(dv.contains(" public | cheap | view | basalt"), "{dv}");
    let dn = out(&["-c", r"\dn"]);
    assert!(dn.contains(" shop   | basalt"), "{dn}");
    let l = out(&["-c", r"\l"]);
    assert!(l.contains(" basalt    | basalt | UTF8"), "{l}");
    let du = out(&["-c", r"\du"]);
    assert!(du.contains(" basalt    | Superuser"), "{du}");
    let x = out(&["-c", r"\x", "-c", "SELECT id, name FROM items WHERE id = 1"]);
    assert!(x.contains("-[ RECORD 1 ]\nid   | 1\nname | pen"), "{x}");
    let t = out(&["-c", r"\timing on", "-c", "SELECT 1"]);
    assert!(t.contains("Time: "), "{t}");
    // Errors carry SQLSTATE, position and hint to psql.
    let o = s.psql(&[
        "-c",
        r"\set VERBOSITY verbose",
        "-c",
        "SELECT nme FROM items",
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ERROR:  42703: column \"nme\" does not exist"),
        "{err}"
    );
    assert!(err.contains("LINE 1: SELECT nme FROM items"), "{err}");
    // COPY through psql's \copy (COPY FROM STDIN / TO STDOUT), CSV with a header.
    let csv = s.dir.path().join("in.csv");
    std::fs::write(
        &csv,
        "id,name,price\n10,\"quote, \"\"q\"\"\",3.5\n11,\"\",\n",
    )
    .unwrap();
    out(&[
        "-c",
        &format!(r"\copy items FROM '{}' (FORMAT csv, HEADER)", csv.display()),
    ]);
    assert_eq!(
        s.sql("SELECT id, name, price FROM items WHERE id >= 10 ORDER BY id"),
        "10|quote, \"q\"|3.50\n11||\n"
    );
    let copied = out(&[
        "-c",
        r"\copy (SELECT id, name FROM items ORDER BY id) TO STDOUT (FORMAT csv, HEADER)",
    ]);
    assert_eq!(
        copied,
        "id,name\n1,pen\n2,book\n3,lamp\n10,\"quote, \"\"q\"\"\"\n11,\"\"\n"
    );
}

#[test]
fn several_databases_create_connect_switch_and_drop() {
    let s = Server::start();
    // The superuser's database (clients' default), and PostgreSQL's three.
    assert_eq!(
        s.sql("SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database"),
        "basalt postgres template0 template1\n"
    );
    s.sql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
    s.sql("CREATE DATABASE shop");
    let o = s.psql(&[
        "-d",
        "shop",
        "-Atc",
        "CREATE TABLE t (x text); INSERT INTO t VALUES ('a'), ('b')",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = s.psql(&[
        "-At",
        "-c",
        "SELECT current_database(), count(*) FROM t",
        "-c",
        r"\c shop",
        "-c",
        "SELECT current_database(), count(*) FROM t",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.starts_with("basalt|1\n"), "{out}");
    assert!(
        out.contains("You are now connected to database \"shop\""),
        "{out}"
    );
    assert!(out.ends_with("shop|2\n"), "{out}");
    let l = s.psql(&["-l"]);
    let l = String::from_utf8_lossy(&l.stdout);
    assert!(l.contains(" shop      | basalt | UTF8"), "{l}");
    // A database that does not exist: FATAL 3D000 at startup.
    let o = s.psql(&["-d", "nope", "-c", "SELECT 1"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("database \"nope\" does not exist"), "{err}");
    // Dropping a database in use: refused, then forced (the other session is ended).
    let mut other = common::Raw::connect_db(s.port, "shop");
    let o = s.psql(&["-c", "DROP DATABASE shop"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("database \"shop\" is being accessed by other users")
            && err.contains("There is 1 other session using the database."),
        "{err}"
    );
    s.sql("DROP DATABASE shop WITH (FORCE)");
    let msgs: Vec<(u8, Vec<u8>)> = std::iter::from_fn(|| other.read()).collect();
    assert!(
        msgs.iter()
            .any(|(t, b)| *t == b'E' && common::sqlstate(b) == "57P01"),
        "{msgs:?}"
    );
    let o = s.psql(&["-d", "shop", "-c", "SELECT 1"]);
    assert!(!o.status.success());
    // The first database's data is untouched.
    assert_eq!(s.sql("SELECT x FROM t"), "1\n");
}

#[test]
fn transaction_status_and_failed_blocks_through_psql() {
    let s = Server::start();
    s.sql("CREATE TABLE t (id int PRIMARY KEY)");
    // A failed transaction block refuses statements until ROLLBACK; psql keeps going.
    let o = s.psql(&[
        "-v",
        "ON_ERROR_STOP=0",
        "-c",
        "BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1); COMMIT",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("duplicate key value violates unique constraint"),
        "{err}"
    );
    assert_eq!(s.sql("SELECT count(*) FROM t"), "0\n");
    // SET reaches the client as ParameterStatus: psql's prompt variables follow it.
    assert_eq!(
        s.sql("SET TimeZone = 'Asia/Tokyo'; SELECT '2024-01-01 00:00:00+00'::timestamptz"),
        "SET\n2024-01-01 09:00:00+09\n"
    );
}

#[test]
fn pgbench_initializes_and_runs_in_both_protocols() {
    let s = Server::start();
    let pgbench = |args: &[&str]| s.pgbench(args);
    let init = pgbench(&["-i", "-s", "1"]);
    assert!(init.contains("done in"), "{init}");
    assert_eq!(s.sql("SELECT count(*) FROM pgbench_accounts"), "100000\n");
    for mode in ["simple", "extended", "prepared"] {
        let run = pgbench(&["-M", mode, "-c", "4", "-j", "2", "-t", "50"]);
        assert!(run.contains("number of failed transactions: 0"), "{run}");
        assert!(
            run.contains("number of transactions actually processed: 200/200"),
            "{run}"
        );
    }
    // Every TPC-B transaction moved the same amount through accounts, tellers and branches,
    // and the last run's history holds its transactions.
    let sums = s.sql(
        "SELECT (SELECT sum(abalance) FROM pgbench_accounts), (SELECT sum(tbalance) FROM pgbench_tellers), \
         (SELECT sum(bbalance) FROM pgbench_branches), (SELECT sum(delta) FROM pgbench_history), \
         (SELECT count(*) FROM pgbench_history)",
    );
    let f: Vec<&str> = sums.trim().split('|').collect();
    assert_eq!(f[0], f[1], "{sums}");
    assert_eq!(f[0], f[2], "{sums}");
    // (pgbench empties the history table before each run.)
    assert_eq!(f[4], "200", "{sums}");
    let sel = pgbench(&["-S", "-M", "prepared", "-c", "4", "-j", "2", "-t", "200"]);
    assert!(sel.contains("number of failed transactions: 0"), "{sel}");
}

#[test]
fn sigterm_shuts_down_gracefully_and_data_survives() {
    let mut s = Server::start();
    s.sql(
        "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 1000)",
    );
    let status = s.terminate();
    assert!(status.success(), "{status:?}");
    let data = s.data();
    let hba = s.dir.path().join("hba.conf");
    let dir = std::mem::replace(&mut s.dir, tempfile::tempdir().unwrap());
    drop(s);
    let s = Server::start_in(dir, &data, &hba, &[]);
    assert_eq!(s.sql("SELECT count(*), sum(id) FROM kept"), "1000|500500\n");
}

#[test]
fn too_many_connections_is_53300_and_others_carry_on() {
    let s = Server::start_with(common::TRUST_ALL, &["--max-connections", "2"]);
    // psql without -c holds its connection open until its input ends.
    let hold = || {
        s.psql_command()
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut a = hold();
    let mut b = hold();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let o = s.psql(&["-c", "SELECT 1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("sorry, too many clients already"), "{err}");
    drop(a.stdin.take());
    drop(b.stdin.take());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(s.sql("SELECT 1"), "1\n");
}

#[test]
fn tls_require_and_verify_full_with_a_generated_pair() {
    let tls = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["cert", "--out"])
        .arg(tls.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cert = tls.path().join("server.crt");
    let key = tls.path().join("server.key");
    let s = Server::start_with(
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n",
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let psql = |conninfo: String| {
        std::process::Command::new(pg_bin("psql"))
            .args(["-X", "-c", r"\conninfo", &conninfo])
            .output()
            .unwrap()
    };
    let base = format!("port={} user=basalt dbname=basalt", s.port);
    for conninfo in [
        format!("host=127.0.0.1 {base} sslmode=require"),
        format!(
            "host=localhost {base} sslmode=verify-full sslrootcert={}",
            tls.path().join("ca.crt").display()
        ),
    ] {
        let o = psql(conninfo);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("SSL connection (protocol: TLSv1.3"), "{out}");
    }
    // Without TLS the rules turn the connection away.
    let o = psql(format!("host=127.0.0.1 {base} sslmode=disable"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("pg_hba.conf rejects connection"), "{err}");
}

#[test]
fn listen_notify_reaches_a_listening_psql() {
    let s = Server::start();
    let listener = s
        .psql_command()
        .args([
            "-c",
            "LISTEN jobs",
            "-c",
            "SELECT pg_sleep(1.5)",
            "-c",
            "SELECT 1",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    s.sql("NOTIFY jobs, 'first'; SELECT pg_notify('jobs', 'second'); NOTIFY other, 'not heard'");
    let out = listener.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("Asynchronous notification \"jobs\" with payload \"first\" received from server process with PID"),
        "{text}"
    );
    assert!(text.contains("payload \"second\""), "{text}");
    assert!(!text.contains("not heard"), "{text}");
}

#[test]
fn two_hundred_concurrent_connections() {
    let s = Server::start();
    let pgbench = |args: &[&str]| s.pgbench(args);
    pgbench(&["-i", "-s", "1", "-q"]);
    let run = pgbench(&["-M", "prepared", "-c", "200", "-j", "2", "-t", "5"]);
    assert!(run.contains("number of clients: 200"), "{run}");
    assert!(
        run.contains("number of transactions actually processed: 1000/1000"),
        "{run}"
    );
    assert!(run.contains("number of failed transactions: 0"), "{run}");
}
