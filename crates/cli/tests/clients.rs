//! End-to-end with real drivers: psycopg 3, psycopg2, asyncpg, SQLAlchemy 2 (Core and ORM),
//! node-postgres and the PostgreSQL JDBC driver run the scripts in tests/clients/ against
//! `basalt serve`.
//!
//! The Python drivers live in an environment named by `BASALT_CLIENTS_PYTHON` (its
//! interpreter; `.ci/run` makes it from tests/clients/requirements.txt); node-postgres is
//! installed in tests/clients/node_modules (`npm ci` there); the JDBC driver is Debian's
//! libpostgresql-jdbc-java (/usr/share/java/postgresql.jar), run with a JDK. Without them the tests say so and
//! pass, unless `BASALT_REQUIRE_CLIENTS` is set, as in CI, where a missing driver fails them.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::Server;

/// tests/clients/, where the scripts live.
fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients")
}

/// Whether a driver is installed; if not, the test is skipped, unless
/// `BASALT_REQUIRE_CLIENTS` is set (CI), where that fails it.
fn available(installed: bool, what: &str, how: &str) -> bool {
    if !installed {
        assert!(
            std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
            "BASALT_REQUIRE_CLIENTS is set but {what} is missing"
        );
        eprintln!("skipped: {how}");
    }
    installed
}

/// Runs `cmd` with a fresh server's port as its last argument, asserting success.
fn run_against_server(mut cmd: std::process::Command, what: &str) {
    let s = Server::start();
    let o = cmd.arg(s.port.to_string()).output().unwrap();
    assert!(
        o.status.success(),
        "{what} failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        s.log()
    );
}

fn run_python(script: &str) {
    let py = std::env::var_os("BASALT_CLIENTS_PYTHON");
    if !available(
        py.is_some(),
        "BASALT_CLIENTS_PYTHON",
        "set BASALT_CLIENTS_PYTHON to a Python with tests/clients/requirements.txt",
    ) {
        return;
    }
    let mut cmd = std::process::Command::new(py.unwrap());
    cmd.arg(scripts().join(script));
    run_against_server(cmd, script);
}

#[test]
fn psycopg_psycopg2_asyncpg() {
    run_python("python_drivers.py");
}

#[test]
fn sqlalchemy_core_orm_and_inspect() {
    run_python("sqlalchemy_orm.py");
}

#[test]
fn node_postgres() {
    if !available(
        scripts().join("node_modules/pg").exists(),
        "tests/clients/node_modules/pg",
        "run `npm ci` in tests/clients",
    ) {
        return;
    }
    let mut cmd = std::process::Command::new("node");
    cmd.arg(scripts().join("node_pg.js"));
    run_against_server(cmd, "node_pg.js");
}

#[test]
fn jdbc_queries_and_metadata() {
    let jar = PathBuf::from("/usr/share/java/postgresql.jar");
    let javac = std::process::Command::new("javac")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available(
        jar.exists() && javac,
        "the JDBC driver or a JDK",
        "install libpostgresql-jdbc-java and a JDK",
    ) {
        return;
    }
    let mut cmd = std::process::Command::new("java");
    cmd.arg("-cp")
        .arg(&jar)
        .arg(scripts().join("JdbcTest.java"));
    run_against_server(cmd, "JdbcTest.java");
}
