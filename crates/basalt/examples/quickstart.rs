//! Opens (or creates) an embedded Basalt database in `./basalt-data` (or the directory given as
//! the first argument), creates a table if it is missing, records this run in a transaction and
//! queries what the runs so far left behind.
//!
//! Run it twice: the second run finds the first run's committed rows.

#![allow(clippy::print_stdout)]

use basalt::{Database, params};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "basalt-data".to_string());
    let db = Database::open(&dir)?;
    println!("opened embedded database in {dir}");

    let mut conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS runs (
             id bigint PRIMARY KEY,
             started timestamptz NOT NULL DEFAULT now(),
             note text
         );
         CREATE TABLE IF NOT EXISTS events (
             run_id bigint NOT NULL REFERENCES runs (id),
             seq int NOT NULL,
             kind text NOT NULL,
             PRIMARY KEY (run_id, seq)
         )",
    )?;

    // One transaction per run: either all of its rows are there or none are.
    let tx = conn.transaction()?;
    let run: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM runs", (), |r| {
        r.get(0)
    })?;
    tx.execute(
        "INSERT INTO runs (id, note) VALUES ($1, $2)",
        params![run, format!("quickstart run {run}")],
    )?;
    let event = tx.prepare("INSERT INTO events VALUES ($1, $2, $3)")?;
    for (seq, kind) in ["open", "create", "insert", "query"].iter().enumerate() {
        event.execute(params![run, seq as i32, kind])?;
    }
    drop(event);
    tx.commit()?;
    println!("run {run} committed");

    // A transaction dropped without commit leaves no trace.
    {
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM events", ())?;
    }

    let rows = conn.query(
        "SELECT r.id, r.note, count(e.seq) AS events, r.started::text
           FROM runs r LEFT JOIN events e ON e.run_id = r.id
          GROUP BY r.id, r.note, r.started
          ORDER BY r.id DESC
          LIMIT 5",
        (),
    )?;
    println!("latest runs (of {}):", {
        let total: i64 = conn.query_row("SELECT count(*) FROM runs", (), |r| r.get(0))?;
        total
    });
    for row in &rows {
        let id: i64 = row.get("id")?;
        let note: Option<&str> = row.get("note")?;
        let events: i64 = row.get("events")?;
        let started: String = row.get(3)?;
        println!(
            "  #{id:<3} {:<20} {events} events, started {started}",
            note.unwrap_or("-")
        );
    }
    Ok(())
}
