//! The sample database a newcomer meets: `basalt` without a subcommand opens the shell on
//! `./basalt-data`, and when that directory does not exist yet it is created holding a small
//! shop (customers, products with JSON details, orders and their items; `sample.sql`), which
//! docs/tutorial.md walks through.

use crate::client::{self, Client, Message};

/// The directory `basalt` opens when given no subcommand.
pub const DEFAULT_DIR: &str = "basalt-data";

/// The sample's schema and rows.
pub const SQL: &str = include_str!("sample.sql");

/// `basalt` without a subcommand: the shell on [`DEFAULT_DIR`], created holding the sample
/// when it does not exist yet. Returns the exit status.
pub fn first_run() -> u8 {
    if !std::path::Path::new(DEFAULT_DIR).exists() {
        let created = client::open(DEFAULT_DIR).and_then(|mut c| load(&mut *c));
        #[allow(clippy::print_stderr)]
        match created {
            Ok(()) => eprintln!(
                "Created the database ./{DEFAULT_DIR} holding a sample shop: customers, products, \
                 orders, order_items.\nTry: SELECT * FROM products;   \\d orders   \\?   (\\q leaves)"
            ),
            Err(e) => {
                eprintln!("basalt: creating ./{DEFAULT_DIR}: {}", e.message);
                return crate::script::EXIT_CONNECT;
            }
        }
    }
    crate::shell::run(&crate::shell::ShellArgs {
        target: Some(DEFAULT_DIR.to_string()),
        format: None,
        expanded: false,
        null: None,
        vars: Default::default(),
    })
}

/// The `basalt sample` subcommand's arguments.
#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// The database directory to create the sample in.
    #[arg(default_value = DEFAULT_DIR)]
    pub dir: String,
}

/// Runs `basalt sample`: creates the sample in a directory whose database holds no tables.
pub fn command(a: &SampleArgs) -> Result<(), String> {
    if client::remote::is_remote(&a.dir) || a.dir == ":memory:" {
        return Err("basalt sample: give a database directory".into());
    }
    let mut c = client::open(&a.dir).map_err(|e| e.message)?;
    let existing = client::rows(
        &mut *c,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
    )
    .map_err(|e| e.message)?;
    if existing.first().and_then(|r| r[0].as_deref()) != Some("0") {
        return Err(format!(
            "{} already holds tables: the sample goes into a new directory",
            a.dir
        ));
    }
    load(&mut *c).map_err(|e| e.message)?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "created the sample shop in {}: tables customers, products, orders, order_items",
            a.dir
        );
    }
    Ok(())
}

/// Loads the sample into the database `client` is connected to, in one transaction: all of it
/// or, on an error, nothing.
pub fn load(client: &mut dyn Client) -> Result<(), Message> {
    client::query(client, "BEGIN")?;
    let loaded = client::query(client, SQL).and_then(|_| client::query(client, "COMMIT"));
    if loaded.is_err() {
        let _ = client::query(client, "ROLLBACK");
    }
    loaded.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_loads_and_answers() -> Result<(), Message> {
        let mut c = client::embedded::Embedded::open(":memory:")?;
        load(&mut c)?;
        let r = client::query(
            &mut c,
            "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM products), \
             (SELECT count(*) FROM orders), (SELECT count(*) FROM order_items)",
        )?;
        let counts: Vec<_> = r[0].rows[0].iter().flatten().map(String::as_str).collect();
        assert_eq!(counts, ["8", "12", "12", "23"]);
        // A second load fails (the tables exist) and leaves the first one as it was.
        assert!(load(&mut c).is_err());
        let r = client::query(&mut c, "SELECT count(*) FROM customers")?;
        assert_eq!(r[0].rows[0][0].as_deref(), Some("8"));
        Ok(())
    }
}
