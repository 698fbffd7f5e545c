//! The sample database a newcomer meets: `basalt` without a subcommand opens the shell on
//! `./basalt-data`, and when that directory does not exist yet it is created holding a small
//! shop (customers, products with JSON details, orders and their items; `sample.sql`), which
//! docs/tutorial.md walks through.

use crate::client::{self, Client, Message};

/// The directory `basalt` opens when given no subcommand.
pub const DEFAULT_DIR: &str = "basalt-data";

/// The sample's schema and rows.
pub const SQL: &str = include_str!("sample.sql");

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
