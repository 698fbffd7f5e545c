//! Runs SQL from standard input on a fresh in-memory database and prints every result the way
//! `psql -A` does (`|` between columns, NULL as an empty field), errors as
//! `ERROR: <SQLSTATE>: message` with their position. Statements are separated by `;` at the end of
//! a line. Handy for comparing Basalt with PostgreSQL by hand:
//!
//! ```sh
//! echo "select 1 + 1;" | cargo run -q -p basalt-sql --example sqlrun
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;

use basalt_sql::Session;
use basalt_txn::LocalKv;

fn main() {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("cannot read standard input: {e}");
        std::process::exit(2);
    }
    let mut session = Session::new(LocalKv::memory());
    let mut statement = String::new();
    for line in input.lines() {
        statement.push_str(line);
        statement.push('\n');
        if line.trim_end().ends_with(';') {
            run(&mut session, &statement);
            statement.clear();
        }
    }
    if !statement.trim().is_empty() {
        run(&mut session, &statement);
    }
}

fn run(session: &mut Session<LocalKv>, sql: &str) {
    let batch = session.run(sql);
    for result in &batch.results {
        if result.columns.is_empty() {
            println!("{}", result.tag);
            continue;
        }
        println!("{}", result.columns.join("|"));
        for row in &result.rows {
            let fields: Vec<&str> = row.iter().map(|v| v.as_deref().unwrap_or("")).collect();
            println!("{}", fields.join("|"));
        }
        let n = result.rows.len();
        println!("({n} {})", if n == 1 { "row" } else { "rows" });
    }
    if let Some(e) = batch.error {
        let mut text = format!("ERROR: {}: {e}", e.code());
        if let Some(position) = e.position() {
            text.push_str(&format!(" (position {position})"));
        }
        println!("{text}");
    }
}
