//! End-to-end: roles, SCRAM-SHA-256 and the access rules, driven by psql.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, pg_bin};

/// psql to `host` (an address or the socket's directory) as `user`, with `password` if
/// given; (success, stdout, stderr).
fn psql_as(
    s: &Server,
    host: &std::ffi::OsStr,
    user: &str,
    password: Option<&str>,
    sql: &str,
) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(pg_bin("psql"));
    cmd.args(["-X", "-h"])
        .arg(host)
        .args([
            "-p",
            &s.port.to_string(),
            "-U",
            user,
            "-d",
            "postgres",
            "-Atc",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let o = cmd.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// psql over TCP as `user` with `password`.
fn login(s: &Server, user: &str, password: &str, sql: &str) -> (bool, String, String) {
    psql_as(s, "127.0.0.1".as_ref(), user, Some(password), sql)
}

/// psql over the Unix-domain socket (trusted by the built-in rules).
fn local(s: &Server, user: &str, sql: &str) -> (bool, String, String) {
    psql_as(s, s.data().as_os_str(), user, None, sql)
}

#[test]
fn scram_over_tcp_and_trust_over_the_socket() {
    let s = Server::start_opts(None, &[], &[("BASALT_PASSWORD", "s3cret pass")]);
    let (ok, out, err) = login(
        &s,
        "basalt",
        "s3cret pass",
        "SELECT current_user, session_user",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "basalt|basalt\n");
    // A wrong password and a role that does not exist fail alike (28P01).
    let (ok, _, wrong) = login(&s, "basalt", "nope", "SELECT 1");
    assert!(!ok);
    assert!(
        wrong.contains("FATAL:  password authentication failed for user \"basalt\""),
        "{wrong}"
    );
    let (ok, _, missing) = login(&s, "nobody", "nope", "SELECT 1");
    assert!(!ok);
    assert!(
        missing.contains("FATAL:  password authentication failed for user \"nobody\""),
        "{missing}"
    );
    // The socket is trusted: roles are created there.
    let (ok, _, err) = local(
        &s,
        "basalt",
        "CREATE ROLE ada LOGIN PASSWORD 'lovelace'; CREATE ROLE bob PASSWORD 'x'; \
         CREATE ROLE old LOGIN PASSWORD 'pw' VALID UNTIL '2001-01-01'",
    );
    assert!(ok, "{err}");
    let (ok, out, err) = login(
        &s,
        "ada",
        "lovelace",
        "SELECT current_user; SHOW is_superuser",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "ada\noff\n");
    // Right password, but NOLOGIN.
    let (ok, _, err) = login(&s, "bob", "x", "SELECT 1");
    assert!(!ok);
    assert!(
        err.contains("role \"bob\" is not permitted to log in"),
        "{err}"
    );
    // An expired password is no password.
    let (ok, _, err) = login(&s, "old", "pw", "SELECT 1");
    assert!(!ok);
    assert!(
        err.contains("password authentication failed for user \"old\""),
        "{err}"
    );
    // Changing a password takes effect at the next login.
    let (ok, _, err) = local(&s, "basalt", "ALTER ROLE ada PASSWORD 'babbage'");
    assert!(ok, "{err}");
    assert!(!login(&s, "ada", "lovelace", "SELECT 1").0);
    assert!(login(&s, "ada", "babbage", "SELECT 1").0);
    let (ok, _, err) = local(&s, "nobody", "SELECT 1");
    assert!(!ok);
    assert!(err.contains("role \"nobody\" does not exist"), "{err}");
}

#[test]
fn generated_password_is_printed_once_and_kept() {
    let s = Server::start_opts(None, &[], &[]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = s.log();
    let password = log
        .lines()
        .find_map(|l| l.split("was given the password: ").nth(1))
        .unwrap_or_else(|| panic!("no generated password in: {log}"))
        .trim()
        .to_string();
    let (ok, _, err) = login(&s, "basalt", &password, "SELECT 1");
    assert!(ok, "{err}");
}

#[test]
fn password_file_and_the_password_method() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "from-file\n").unwrap();
    let s = Server::start_opts(
        Some("local all all trust\nhost all all 127.0.0.1/32 password\n"),
        &["--password-file", pw.to_str().unwrap(), "--user", "admin"],
        &[],
    );
    let (ok, out, err) = login(
        &s,
        "admin",
        "from-file",
        "SELECT current_user; SHOW is_superuser",
    );
    assert!(ok, "{err}");
    assert_eq!(out, "admin\non\n");
    assert!(!login(&s, "admin", "other", "SELECT 1").0);
}

#[test]
fn connection_limit_of_a_role() {
    let s = Server::start_opts(None, &[], &[("BASALT_PASSWORD", "pw")]);
    let (ok, _, err) = local(
        &s,
        "basalt",
        "CREATE ROLE one LOGIN CONNECTION LIMIT 1; CREATE ROLE boss SUPERUSER LOGIN CONNECTION LIMIT 1",
    );
    assert!(ok, "{err}");
    let hold = |user: &str| {
        std::process::Command::new(pg_bin("psql"))
            .args(["-X", "-h"])
            .arg(s.data())
            .args(["-p", &s.port.to_string(), "-U", user, "-d", "basalt"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut a = hold("one");
    let mut b = hold("boss");
    std::thread::sleep(std::time::Duration::from_millis(1000));
    let (ok, _, err) = local(&s, "one", "SELECT 1");
    assert!(!ok);
    assert!(
        err.contains("too many connections for role \"one\""),
        "{err}"
    );
    // Superusers are not held to their limit, as in PostgreSQL.
    let (ok, _, err) = local(&s, "boss", "SELECT 1");
    assert!(ok, "{err}");
    drop(a.stdin.take());
    drop(b.stdin.take());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (ok, _, err) = local(&s, "one", "SELECT 1");
    assert!(ok, "{err}");
}
