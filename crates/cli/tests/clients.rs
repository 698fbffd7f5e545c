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

fn python() -> Option<PathBuf> {
    match std::env::var_os("BASALT_CLIENTS_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            assert!(
                std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
                "BASALT_REQUIRE_CLIENTS is set but BASALT_CLIENTS_PYTHON is not"
            );
            eprintln!(
                "skipped: set BASALT_CLIENTS_PYTHON to a Python with tests/clients/requirements.txt"
            );
            None
        }
    }
}

fn run_script(script: &str) {
    let Some(py) = python() else { return };
    let s = Server::start();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/clients")
        .join(script);
    let o = std::process::Command::new(py)
        .arg(&path)
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{script} failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        s.log()
    );
}

#[test]
fn psycopg_psycopg2_asyncpg() {
    run_script("python_drivers.py");
}

#[test]
fn sqlalchemy_core_orm_and_inspect() {
    run_script("sqlalchemy_orm.py");
}

#[test]
fn node_postgres() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    if !dir.join("node_modules/pg").exists() {
        assert!(
            std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
            "BASALT_REQUIRE_CLIENTS is set but tests/clients/node_modules has no pg"
        );
        eprintln!("skipped: run `npm ci` in tests/clients");
        return;
    }
    let s = Server::start();
    let o = std::process::Command::new("node")
        .arg(dir.join("node_pg.js"))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "node_pg.js failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        s.log()
    );
}

#[test]
fn jdbc_queries_and_metadata() {
    let jar = PathBuf::from("/usr/share/java/postgresql.jar");
    let java_ok = std::process::Command::new("javac")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !jar.exists() || !java_ok {
        assert!(
            std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
            "BASALT_REQUIRE_CLIENTS is set but the JDBC driver or a JDK is missing"
        );
        eprintln!("skipped: install libpostgresql-jdbc-java and a JDK");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients");
    let s = Server::start();
    let o = std::process::Command::new("java")
        .arg("-cp")
        .arg(&jar)
        .arg(dir.join("JdbcTest.java"))
        .arg(s.port.to_string())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "JdbcTest.java failed:\n{}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        s.log()
    );
}
