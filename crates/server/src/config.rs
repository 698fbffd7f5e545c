//! The server's configuration: a TOML file, every option also settable by a command-line flag
//! and an environment variable (flag over environment over file over default; the `basalt`
//! command does the layering, this module holds the values and reads the file).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::ServerError;

/// Everything `basalt serve` can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The database directory.
    pub data: PathBuf,
    /// The TCP address to listen on.
    pub listen: SocketAddr,
    /// The directory of the Unix-domain socket (`.s.PGSQL.<port>`), or none.
    pub socket_dir: Option<PathBuf>,
    /// At most this many client connections at once; more get 53300.
    pub max_connections: usize,
    /// The largest message a client may send, in bytes (PostgreSQL's limit is 1 GiB).
    pub max_message_size: usize,
    /// How long a graceful shutdown lets running statements finish before cancelling them.
    #[serde(with = "seconds")]
    pub shutdown_timeout: Duration,
    /// The host-based access rules (see [`crate::hba`]); empty: the defaults.
    pub hba_file: Option<PathBuf>,
    /// The TLS certificate chain (PEM).
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// The bootstrap superuser's name (created on first start).
    pub user: String,
    /// A file holding the bootstrap superuser's password (first line).
    pub password_file: Option<PathBuf>,
    /// The bootstrap superuser's password itself (from `BASALT_PASSWORD`; never read from
    /// the configuration file).
    #[serde(skip)]
    pub password: Option<String>,
    /// Logs as JSON lines instead of the human format.
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data: PathBuf::from("basalt-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 5433)),
            socket_dir: None,
            max_connections: 300,
            max_message_size: 1 << 30,
            shutdown_timeout: Duration::from_secs(30),
            hba_file: None,
            tls_cert: None,
            tls_key: None,
            user: "basalt".into(),
            password_file: None,
            password: None,
            log_json: false,
        }
    }
}

impl Config {
    /// Reads a TOML configuration file (unknown keys are errors).
    pub fn from_file(path: &Path) -> Result<Config, ServerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServerError::Config(format!("cannot read {}: {e}", path.display())))?;
        Config::from_toml(&text)
            .map_err(|e| ServerError::Config(format!("{}: {e}", path.display())))
    }

    /// Reads configuration text in TOML.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }
}

mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = f64::deserialize(d)?;
        if !(0.0..=1e9).contains(&s) {
            return Err(serde::de::Error::custom("seconds out of range"));
        }
        Ok(Duration::from_secs_f64(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_rejects_unknown_keys() {
        let c = Config::from_toml(
            "data = \"/tmp/x\"\nlisten = \"0.0.0.0:6000\"\nmax_connections = 7\nshutdown_timeout = 2.5\n",
        )
        .unwrap_or_default();
        assert_eq!(c.data, PathBuf::from("/tmp/x"));
        assert_eq!(c.listen.port(), 6000);
        assert_eq!(c.max_connections, 7);
        assert_eq!(c.shutdown_timeout, Duration::from_millis(2500));
        assert_eq!(c.user, "basalt");
        assert!(Config::from_toml("no_such_option = 1").is_err());
    }
}
