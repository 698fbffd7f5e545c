//! A server reached over the PostgreSQL wire protocol: Basalt's own `basalt serve` or any
//! PostgreSQL.
//!
//! # Design
//!
//! The client is synchronous (a blocking socket, no async runtime): a command-line tool runs
//! one query string at a time and waits for it. Message encoding and decoding, the
//! SCRAM-SHA-256 exchange and the MD5 password hash come from the `postgres-protocol` crate
//! (the one the Rust drivers are built on); this module does the connection's plumbing:
//!
//! * **Targets** are read as libpq reads them: a `postgres://` / `postgresql://` URL
//!   (percent-decoded; a host starting with `/` is a Unix-domain socket directory) or a
//!   `keyword=value` string, with the same environment defaults (`PGHOST`, `PGPORT`, `PGUSER`,
//!   `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY`,
//!   `PGCHANNELBINDING`, `PGTARGETSESSIONATTRS`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`,
//!   `PGPASSFILE`) and the password file `~/.pgpass`. See [`Config`].
//! * **Several servers**: `host`, `hostaddr` and `port` are lists (`host=a,b port=1,2`,
//!   `postgres://a:1,b:2/db`) tried in order as libpq 15 tries them, each within
//!   `connect_timeout`, up to one that accepts and matches `target_session_attrs` (checked
//!   with the reported `default_transaction_read_only` / `in_hot_standby`, else
//!   `SHOW transaction_read_only` / `pg_is_in_recovery()`). A server that cannot be reached or
//!   is of the wrong kind is passed over, a refused authentication ends the attempt, and when
//!   none will do the error lists every server's failure in libpq's words.
//! * **TLS** is rustls with the ring provider (as the server uses), negotiated with
//!   SSLRequest over TCP only (never over a Unix-domain socket, as libpq). `prefer` (the
//!   default) falls back to a plain connection when the server declines; `verify-ca` checks
//!   the chain against `sslrootcert` and `verify-full` the host name too; `require` and
//!   `prefer` check the chain only when a root certificate file is there (libpq's rule). A
//!   client certificate (`sslcert` / `sslkey`, by default `~/.postgresql/postgresql.crt` and
//!   `.key` when they exist) is offered when the server asks for one; revocation lists
//!   (`sslcrl`) are not checked.
//! * **Channel binding**: SCRAM-SHA-256-PLUS with `tls-server-end-point` (the hash of the
//!   server's certificate, RFC 5929) when the connection is TLS and the server offers it,
//!   unless `channel_binding=disable`; `channel_binding=require` refuses any other way of
//!   authenticating, with libpq's messages. (`basalt serve` offers SCRAM-SHA-256 only.)
//! * **Queries** use the simple query protocol: every CommandComplete becomes an [`Outcome`]
//!   (columns from RowDescription, rows in text), notices go to the [`Output`] in order, an
//!   ErrorResponse is kept until ReadyForQuery and then returned (earlier results have been
//!   delivered). COPY FROM STDIN streams the [`Output`]'s reader in CopyData messages (and
//!   stops early when the server reports an error meanwhile); COPY TO STDOUT writes each
//!   CopyData to its writer. A NotificationResponse (LISTEN/NOTIFY) is delivered as a notice
//!   with severity `NOTIFY` and psql's wording.
//! * **Robustness**: a message longer than 1 GiB, an unknown message or a malformed one is a
//!   protocol violation (08P01) and ends the connection; a lost connection is 08006; the
//!   client never panics on what the server sends.
//! * **Cancel** opens a new connection to the same address and sends CancelRequest with the
//!   backend's key (over a plain socket, which PostgreSQL accepts).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{
    ChannelBinding, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramSha256,
};
use postgres_protocol::message::{backend, frontend};

use super::{Canceller, Client, Column, Message, Outcome, Output, TxStatus};

/// The largest message accepted from a server (PostgreSQL's own limit for a field is 1 GiB).
const MAX_MESSAGE: usize = 1 << 30;
/// COPY FROM STDIN sends the input in CopyData messages of this size.
const COPY_CHUNK: usize = 64 * 1024;
/// The application name reported when neither the target nor `PGAPPNAME` names one.
const DEFAULT_APPLICATION_NAME: &str = "basalt";

/// libpq's connection keywords this client understands.
const KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "user",
    "password",
    "passfile",
    "dbname",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "channel_binding",
    "target_session_attrs",
    "application_name",
    "fallback_application_name",
    "connect_timeout",
    "options",
    "client_encoding",
];

/// libpq keywords that are accepted and have no effect here (they tune what this client does
/// not do: encrypted keys, revocation lists, GSSAPI, keepalives...).
const IGNORED_KEYWORDS: &[&str] = &[
    "sslpassword",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslcompression",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requirepeer",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
];

/// Whether `target` names a server rather than a database directory: a `postgres://` or
/// `postgresql://` URL, or a libpq `keyword=value` string whose first keyword is one of
/// libpq's (`host=...`, `dbname=... user=...`). A path (even one with `=` in a later part,
/// such as `./data=x`) stays a directory.
pub fn is_remote(target: &str) -> bool {
    let t = target.trim_start();
    if t.starts_with("postgres://") || t.starts_with("postgresql://") {
        return true;
    }
    match t.split_once('=') {
        Some((key, _)) => {
            let key = key.trim();
            !key.is_empty()
                && (KEYWORDS.contains(&key) || IGNORED_KEYWORDS.contains(&key))
                && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        }
        None => false,
    }
}

/// How much TLS a connection insists on (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it (`allow` is read as this too), else plain.
    Prefer,
    /// TLS or no connection; the certificate is checked only if a root certificate is there.
    Require,
    /// TLS with a certificate signed by `sslrootcert`.
    VerifyCa,
    /// [`SslMode::VerifyCa`] and the certificate names the host.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode, Message> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" | "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(bad_target(format!(
                    "invalid sslmode value: \"{s}\" (disable, allow, prefer, require, verify-ca or verify-full)"
                )));
            }
        })
    }

    fn verifies(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A host name or IP address (TCP).
    Tcp(String),
    /// The directory of a Unix-domain socket (`<dir>/.s.PGSQL.<port>`).
    Socket(PathBuf),
}

/// One server of a target's list (libpq's `host=a,b port=1,2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The server's address.
    pub host: Host,
    /// An IP address to connect to instead of resolving `host` (libpq's `hostaddr`); `host`
    /// still names the server for certificate checks.
    pub hostaddr: Option<String>,
    /// The TCP port, also the socket file's suffix.
    pub port: u16,
}

impl HostSpec {
    /// Where the connection goes.
    fn address(&self) -> Address {
        match &self.host {
            Host::Socket(dir) => Address::Unix(dir.join(format!(".s.PGSQL.{}", self.port))),
            Host::Tcp(h) => Address::Tcp {
                host: self.hostaddr.clone().unwrap_or_else(|| h.clone()),
                port: self.port,
            },
        }
    }

    /// libpq's words for a failure at this server: `connection to server at "h", port 5432
    /// failed: ...` (`... on socket "/tmp/.s.PGSQL.5432" ...`).
    fn failed(&self, what: &str) -> String {
        match &self.host {
            Host::Socket(_) => format!(
                "connection to server on socket \"{}\" failed: {what}",
                self.address()
            ),
            Host::Tcp(h) => match &self.hostaddr {
                Some(a) if a != h => format!(
                    "connection to server at \"{h}\" ({a}), port {} failed: {what}",
                    self.port
                ),
                _ => format!(
                    "connection to server at \"{h}\", port {} failed: {what}",
                    self.port
                ),
            },
        }
    }
}

/// Which server of several a connection wants (libpq's `target_session_attrs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionAttrs {
    /// The first that accepts the connection.
    Any,
    /// One whose sessions may write (`SHOW transaction_read_only` is off).
    ReadWrite,
    /// One whose sessions may not write.
    ReadOnly,
    /// One not in recovery (`pg_is_in_recovery()` false).
    Primary,
    /// One in recovery.
    Standby,
    /// A standby if there is one, else any.
    PreferStandby,
}

impl SessionAttrs {
    fn parse(s: &str) -> Result<SessionAttrs, Message> {
        Ok(match s {
            "any" => SessionAttrs::Any,
            "read-write" => SessionAttrs::ReadWrite,
            "read-only" => SessionAttrs::ReadOnly,
            "primary" => SessionAttrs::Primary,
            "standby" => SessionAttrs::Standby,
            "prefer-standby" => SessionAttrs::PreferStandby,
            _ => {
                return Err(bad_target(format!(
                    "invalid target_session_attrs value: \"{s}\""
                )));
            }
        })
    }
}

/// Whether SCRAM binds the authentication to the TLS channel (libpq's `channel_binding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBindingMode {
    /// Never (SCRAM-SHA-256 only).
    Disable,
    /// SCRAM-SHA-256-PLUS when the connection is TLS and the server offers it.
    Prefer,
    /// SCRAM-SHA-256-PLUS or no connection.
    Require,
}

/// Everything a connection needs, resolved from a target and the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The servers to try, in order (at least one).
    pub hosts: Vec<HostSpec>,
    /// Which of them will do.
    pub target_session_attrs: SessionAttrs,
    /// The role to log in as.
    pub user: String,
    /// The database.
    pub dbname: String,
    /// The password, if one was given (else the password file is asked when needed).
    pub password: Option<String>,
    /// The password file (`~/.pgpass` unless `passfile` / `PGPASSFILE` says otherwise).
    pub passfile: Option<PathBuf>,
    /// TLS policy.
    pub sslmode: SslMode,
    /// The root certificate(s) for verifying the server, if any.
    pub sslrootcert: Option<PathBuf>,
    /// The client certificate sent when the server asks for one (used if the file exists;
    /// `~/.postgresql/postgresql.crt` by default).
    pub sslcert: Option<PathBuf>,
    /// The client certificate's private key (`~/.postgresql/postgresql.key` by default).
    pub sslkey: Option<PathBuf>,
    /// Channel binding for SCRAM.
    pub channel_binding: ChannelBindingMode,
    /// Reported to the server as `application_name`.
    pub application_name: String,
    /// How long opening the socket may take.
    pub connect_timeout: Option<Duration>,
    /// Command-line options for the server (`options`, e.g. `-c search_path=x`).
    pub options: Option<String>,
}

fn bad_target(message: impl Into<String>) -> Message {
    Message::client("08001", message)
}

fn decode(s: &str) -> Result<String, Message> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| bad_target(format!("invalid percent-encoded text in URL: \"{s}\"")))
}

/// The `keyword=value` pairs of a URL (`postgres://user:pass@host:port/db?k=v`).
fn url_pairs(url: &str) -> Result<Vec<(String, String)>, Message> {
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| bad_target(format!("not a postgres:// URL: \"{url}\"")))?;
    let mut pairs = Vec::new();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match main.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (main, None),
    };
    // The password may hold an '@' that was not encoded: the host part follows the last one.
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            if !user.is_empty() {
                pairs.push(("user".into(), decode(user)?));
            }
            if let Some(p) = password {
                pairs.push(("password".into(), decode(p)?));
            }
            hostport
        }
        None => authority,
    };
    // `h1:p1,h2:p2`: libpq's lists, a missing port left empty (the default).
    let (mut hosts, mut ports) = (Vec::new(), Vec::new());
    for hp in hostport.split(',') {
        let (h, p) = url_host_port(hp, url)?;
        hosts.push(h);
        ports.push(p.unwrap_or_default());
    }
    if hosts.iter().any(|h| !h.is_empty()) {
        pairs.push(("host".into(), hosts.join(",")));
    }
    if ports.iter().any(|p| !p.is_empty()) {
        pairs.push(("port".into(), ports.join(",")));
    }
    if let Some(db) = path.filter(|p| !p.is_empty()) {
        pairs.push(("dbname".into(), decode(db)?));
    }
    for param in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = param.split_once('=').ok_or_else(|| {
            bad_target(format!(
                "missing \"=\" after \"{param}\" in the URL's query part"
            ))
        })?;
        let (k, v) = (decode(k)?, decode(v)?);
        // The JDBC spelling libpq accepts too.
        if k == "ssl" && v == "true" {
            pairs.push(("sslmode".into(), "require".into()));
        } else {
            pairs.push((k, v));
        }
    }
    Ok(pairs)
}

/// One `host[:port]` of a URL (`[v6addr]:port` too), decoded.
fn url_host_port(hostport: &str, url: &str) -> Result<(String, Option<String>), Message> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| bad_target(format!("missing ']' in URL host \"{hostport}\"")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => {
                return Err(bad_target(format!(
                    "unexpected \"{after}\" after the IPv6 address in \"{url}\""
                )));
            }
        };
        (addr.to_string(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (decode(h)?, Some(p)),
            None => (decode(hostport)?, None),
        }
    };
    let port = match port.filter(|p| !p.is_empty()) {
        Some(p) => Some(decode(p)?),
        None => None,
    };
    Ok((host, port))
}

/// The pairs of a libpq `keyword=value` string: values may be single-quoted, and a backslash
/// escapes the next character.
fn keyword_pairs(s: &str) -> Result<Vec<(String, String)>, Message> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !c.is_whitespace()) {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(bad_target(format!(
                "missing \"=\" after \"{key}\" in the connection string"
            )));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(bad_target(
                            "unterminated quoted string in the connection string",
                        ));
                    }
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

impl Config {
    /// Reads `target` (a URL or a `keyword=value` string) with the process's environment
    /// for what it leaves out.
    pub fn parse(target: &str) -> Result<Config, Message> {
        Config::parse_with(target, &|name| std::env::var(name).ok())
    }

    /// [`Config::parse`] with `env` standing for the environment (tests).
    pub fn parse_with(
        target: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, Message> {
        let t = target.trim();
        let pairs = if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            url_pairs(t)?
        } else {
            keyword_pairs(t)?
        };
        let mut given: HashMap<String, String> = HashMap::new();
        for (k, v) in pairs {
            if KEYWORDS.contains(&k.as_str()) {
                given.insert(k, v);
            } else if k == "service" || k == "replication" {
                return Err(bad_target(format!(
                    "the connection option \"{k}\" is not supported"
                )));
            } else if !IGNORED_KEYWORDS.contains(&k.as_str()) {
                return Err(bad_target(format!("invalid connection option \"{k}\"")));
            }
        }
        // A value from the target, else the environment variable (empty means unset, as libpq).
        let get = |key: &str, var: &str| -> Option<String> {
            given
                .get(key)
                .cloned()
                .or_else(|| env(var))
                .filter(|v| !v.is_empty())
        };
        let hosts = host_list(
            get("host", "PGHOST"),
            get("hostaddr", "PGHOSTADDR"),
            get("port", "PGPORT"),
        )?;
        let user = match get("user", "PGUSER") {
            Some(u) => u,
            None => env("USER")
                .or_else(|| env("LOGNAME"))
                .filter(|u| !u.is_empty())
                .or_else(|| whoami::username().ok())
                .ok_or_else(|| {
                    bad_target("could not find the operating system user's name; give user=")
                })?,
        };
        let dbname = get("dbname", "PGDATABASE").unwrap_or_else(|| user.clone());
        let home = env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        let passfile = get("passfile", "PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".pgpass")));
        let sslmode = match get("sslmode", "PGSSLMODE") {
            Some(m) => SslMode::parse(&m)?,
            None => SslMode::Prefer,
        };
        // Client certificates: the default files are used when they are there (libpq).
        let in_home = |f: &str| home.as_ref().map(|h| h.join(".postgresql").join(f));
        let sslcert = get("sslcert", "PGSSLCERT")
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.crt"));
        let sslkey = get("sslkey", "PGSSLKEY")
            .map(PathBuf::from)
            .or_else(|| in_home("postgresql.key"));
        let channel_binding = match get("channel_binding", "PGCHANNELBINDING").as_deref() {
            None | Some("prefer") => ChannelBindingMode::Prefer,
            Some("disable") => ChannelBindingMode::Disable,
            Some("require") => ChannelBindingMode::Require,
            Some(v) => {
                return Err(bad_target(format!(
                    "invalid channel_binding value: \"{v}\""
                )));
            }
        };
        let target_session_attrs = match get("target_session_attrs", "PGTARGETSESSIONATTRS") {
            Some(v) => SessionAttrs::parse(&v)?,
            None => SessionAttrs::Any,
        };
        let sslrootcert = match get("sslrootcert", "PGSSLROOTCERT") {
            Some(p) if p == "system" => {
                return Err(bad_target(
                    "sslrootcert=system is not supported: give the root certificate's file",
                ));
            }
            Some(p) => Some(PathBuf::from(p)),
            None => home
                .as_ref()
                .map(|h| h.join(".postgresql/root.crt"))
                .filter(|p| p.exists()),
        };
        let application_name = get("application_name", "PGAPPNAME")
            .or_else(|| given.get("fallback_application_name").cloned())
            .unwrap_or_else(|| DEFAULT_APPLICATION_NAME.to_string());
        let connect_timeout = match get("connect_timeout", "PGCONNECT_TIMEOUT") {
            Some(t) => {
                let secs: u64 = t
                    .trim()
                    .parse()
                    .map_err(|_| bad_target(format!("invalid connect_timeout value: \"{t}\"")))?;
                // libpq: zero or less waits forever; below 2 seconds is 2 seconds.
                (secs > 0).then(|| Duration::from_secs(secs.max(2)))
            }
            None => None,
        };
        if let Some(enc) = given.get("client_encoding")
            && !enc.eq_ignore_ascii_case("utf8")
            && !enc.eq_ignore_ascii_case("utf-8")
        {
            return Err(bad_target(format!(
                "client_encoding \"{enc}\" is not supported: this client speaks UTF8"
            )));
        }
        Ok(Config {
            hosts,
            target_session_attrs,
            user,
            dbname,
            password: get("password", "PGPASSWORD"),
            passfile,
            sslmode,
            sslrootcert,
            sslcert,
            sslkey,
            channel_binding,
            application_name,
            connect_timeout,
            options: get("options", "PGOPTIONS"),
        })
    }

    /// The password for the server `spec`: the one given, else the password file's
    /// matching line.
    fn find_password(&self, spec: &HostSpec) -> Option<String> {
        if let Some(p) = &self.password {
            return Some(p.clone());
        }
        let file = self.passfile.as_ref()?;
        let host = match &spec.host {
            Host::Tcp(h) => h.clone(),
            Host::Socket(d) => d.to_string_lossy().into_owned(),
        };
        pgpass_lookup(file, &host, spec.port, &self.dbname, &self.user)
    }
}

/// The servers of libpq's comma-separated `host`, `hostaddr` and `port` lists: one port for
/// all or one per host, `hostaddr` one per host (or alone, naming the servers by address); an
/// empty entry is the default (the local socket directory, port 5432).
fn host_list(
    host: Option<String>,
    hostaddr: Option<String>,
    port: Option<String>,
) -> Result<Vec<HostSpec>, Message> {
    let split = |v: &Option<String>| -> Vec<String> {
        v.as_deref()
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    };
    let (names, addrs, ports) = (split(&host), split(&hostaddr), split(&port));
    let n = names.len().max(addrs.len()).max(1);
    if !names.is_empty() && !addrs.is_empty() && names.len() != addrs.len() {
        return Err(bad_target(format!(
            "could not match {} host names to {} hostaddr values",
            names.len(),
            addrs.len()
        )));
    }
    if ports.len() > 1 && ports.len() != n {
        return Err(bad_target(format!(
            "could not match {} port numbers to {n} hosts",
            ports.len()
        )));
    }
    let mut hosts = Vec::with_capacity(n);
    for i in 0..n {
        let p = ports.get(i).or(ports.first()).map_or("", String::as_str);
        let port = if p.is_empty() {
            5432
        } else {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad_target(format!("invalid port number: \"{p}\"")))?
        };
        let addr = addrs.get(i).filter(|a| !a.is_empty()).cloned();
        let host = match (names.get(i).map(String::as_str), &addr) {
            (Some(h), _) if h.starts_with('/') => Host::Socket(PathBuf::from(h)),
            (Some(h), _) if !h.is_empty() => Host::Tcp(h.to_string()),
            // Only an address: it names the server too.
            (_, Some(a)) => Host::Tcp(a.clone()),
            _ => Host::Socket(default_socket_dir(port)),
        };
        hosts.push(HostSpec {
            host,
            hostaddr: addr,
            port,
        });
    }
    Ok(hosts)
}

/// The socket directory libpq builds in when no host is given: Debian's packages use
/// /var/run/postgresql, upstream /tmp; the one holding a socket for `port` wins.
fn default_socket_dir(port: u16) -> PathBuf {
    let debian = PathBuf::from("/var/run/postgresql");
    if debian.join(format!(".s.PGSQL.{port}")).exists() {
        return debian;
    }
    let tmp = PathBuf::from("/tmp");
    if tmp.join(format!(".s.PGSQL.{port}")).exists() || !debian.is_dir() {
        return tmp;
    }
    debian
}

/// The password of the first line of the password file `file` that matches (libpq's rules:
/// `host:port:database:user:password`, `*` matches anything, `\` escapes `:` and `\`; a
/// socket directory matches `localhost` or itself). A file others may read is ignored.
fn pgpass_lookup(file: &Path, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let port = port.to_string();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        fields.push(cur);
        let [h, p, d, u, pw] = fields.as_slice() else {
            continue;
        };
        let host_ok = h == "*" || h == host || (host.starts_with('/') && h == "localhost");
        if host_ok && (p == "*" || *p == port) && (d == "*" || d == db) && (u == "*" || u == user) {
            return Some(pw.clone());
        }
    }
    None
}

/// A server's address, for the connection and for cancel requests.
#[derive(Debug, Clone)]
enum Address {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Address::Tcp { host, port } => write!(f, "{host}:{port}"),
            Address::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

/// An open socket, before TLS.
enum Socket {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Address {
    /// Opens a socket; errors read as libpq's.
    fn open(&self, timeout: Option<Duration>) -> Result<Socket, Message> {
        match self {
            Address::Unix(path) => UnixStream::connect(path).map(Socket::Unix).map_err(|e| {
                let mut m = Message::client(
                    "08001",
                    format!(
                        "connection to server on socket \"{}\" failed: {}",
                        path.display(),
                        io_text(&e)
                    ),
                );
                m.hint = Some(
                    "Is the server running locally and accepting connections on that socket?"
                        .into(),
                );
                m
            }),
            Address::Tcp { host, port } => {
                let failed = |e: &io::Error| {
                    let mut m = Message::client(
                        "08001",
                        format!(
                            "connection to server at \"{host}\", port {port} failed: {}",
                            io_text(e)
                        ),
                    );
                    m.hint = Some(
                        "Is the server running on that host and accepting TCP/IP connections?"
                            .into(),
                    );
                    m
                };
                let addrs: Vec<_> = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| {
                        Message::client(
                            "08001",
                            format!("could not translate host name \"{host}\" to address: {e}"),
                        )
                    })?
                    .collect();
                let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
                for a in addrs {
                    let r = match timeout {
                        Some(t) => TcpStream::connect_timeout(&a, t),
                        None => TcpStream::connect(a),
                    };
                    match r {
                        Ok(s) => {
                            // Queries are request/response: Nagle's delay only slows them.
                            let _ = s.set_nodelay(true);
                            return Ok(Socket::Tcp(s));
                        }
                        Err(e) => last = e,
                    }
                }
                Err(failed(&last))
            }
        }
    }
}

/// An I/O error's text without Rust's "(os error N)" suffix.
fn io_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The byte stream of a connection.
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tls(s) => s.sock.set_read_timeout(t),
        }
    }

    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_nonblocking(on),
            Stream::Unix(s) => s.set_nonblocking(on),
            Stream::Tls(s) => s.sock.set_nonblocking(on),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Unix(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// Why talking to the server stopped: the connection is unusable afterwards.
fn lost(e: &io::Error) -> Message {
    let mut m = Message::client(
        "08006",
        if e.kind() == io::ErrorKind::UnexpectedEof {
            "server closed the connection unexpectedly".to_string()
        } else if matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ) {
            // Only a connection attempt has a read timeout (connect_timeout).
            "timeout expired".to_string()
        } else {
            format!("connection to the server was lost: {}", io_text(e))
        },
    );
    m.severity = "FATAL".into();
    m.hint = Some(
        "The server may have terminated abnormally before or while processing the request.".into(),
    );
    m
}

fn protocol_violation(what: impl std::fmt::Display) -> Message {
    let mut m = Message::client("08P01", format!("protocol violation: {what}"));
    m.severity = "FATAL".into();
    m
}

/// Messages in and out of one connection.
struct Wire {
    stream: Stream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    chunk: Vec<u8>,
}

impl Wire {
    fn new(stream: Stream) -> Wire {
        Wire {
            stream,
            rbuf: BytesMut::with_capacity(64 * 1024),
            wbuf: BytesMut::with_capacity(8 * 1024),
            chunk: vec![0; 64 * 1024],
        }
    }

    /// Sends what was encoded into `wbuf`.
    fn send(&mut self) -> Result<(), Message> {
        let r = self
            .stream
            .write_all(&self.wbuf)
            .and_then(|()| self.stream.flush());
        self.wbuf.clear();
        r.map_err(|e| lost(&e))
    }

    /// A whole message already in the buffer, if there is one.
    fn buffered(&mut self) -> Result<Option<backend::Message>, Message> {
        if self.rbuf.len() < 5 {
            return Ok(None);
        }
        let len =
            u32::from_be_bytes([self.rbuf[1], self.rbuf[2], self.rbuf[3], self.rbuf[4]]) as usize;
        if !(4..=MAX_MESSAGE).contains(&len) {
            return Err(protocol_violation(format!(
                "message of type '{}' has invalid length {len}",
                char::from(self.rbuf[0]).escape_default()
            )));
        }
        let tag = self.rbuf[0];
        backend::Message::parse(&mut self.rbuf).map_err(|e| {
            protocol_violation(format!(
                "malformed message of type '{}': {e}",
                char::from(tag).escape_default()
            ))
        })
    }

    /// Reads more bytes into the buffer (blocking).
    fn fill(&mut self) -> Result<(), Message> {
        loop {
            match self.stream.read(&mut self.chunk) {
                Ok(0) => return Err(lost(&io::ErrorKind::UnexpectedEof.into())),
                Ok(n) => {
                    self.rbuf.extend_from_slice(&self.chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(lost(&e)),
            }
        }
    }

    /// The next message from the server.
    fn read(&mut self) -> Result<backend::Message, Message> {
        loop {
            if let Some(m) = self.buffered()? {
                return Ok(m);
            }
            self.fill()?;
        }
    }

    /// Reads what the server has sent without waiting; whether anything came.
    fn poll(&mut self) -> Result<bool, Message> {
        self.stream.set_nonblocking(true).map_err(|e| lost(&e))?;
        let r = self.stream.read(&mut self.chunk);
        self.stream.set_nonblocking(false).map_err(|e| lost(&e))?;
        match r {
            Ok(0) => Err(lost(&io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => {
                self.rbuf.extend_from_slice(&self.chunk[..n]);
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(lost(&e)),
        }
    }
}

/// The fields of an ErrorResponse or NoticeResponse.
fn message_of(mut fields: backend::ErrorFields<'_>) -> Result<Message, Message> {
    let mut m = Message::default();
    let mut nonlocalized = None;
    while let Some(f) = fields
        .next()
        .map_err(|e| protocol_violation(format!("malformed error fields: {e}")))?
    {
        let v = String::from_utf8_lossy(f.value_bytes()).into_owned();
        match f.type_() {
            b'S' => m.severity = v,
            b'V' => nonlocalized = Some(v),
            b'C' => m.code = v,
            b'M' => m.message = v,
            b'D' => m.detail = Some(v),
            b'H' => m.hint = Some(v),
            b'P' => m.position = v.parse().ok(),
            b'W' => m.context = Some(v),
            _ => {}
        }
    }
    if m.severity.is_empty() {
        m.severity = nonlocalized.unwrap_or_else(|| "ERROR".into());
    }
    Ok(m)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The TLS client configuration `cfg` asks for.
fn tls_config(cfg: &Config) -> Result<Arc<rustls::ClientConfig>, Message> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let tls_err = |what: String| Message::client("08001", what);
    // ring, as the server uses (rustls marks it deprecated only for lacking post-quantum
    // key exchange).
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(format!("could not set up TLS: {e}")))?;
    let roots = match &cfg.sslrootcert {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| {
                tls_err(format!(
                    "could not read root certificate file \"{}\": {e}",
                    path.display()
                ))
            })?;
            for c in certs {
                let c = c.map_err(|e| {
                    tls_err(format!(
                        "could not read root certificate file \"{}\": {e}",
                        path.display()
                    ))
                })?;
                roots.add(c).map_err(|e| {
                    tls_err(format!(
                        "bad certificate in root certificate file \"{}\": {e}",
                        path.display()
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(tls_err(format!(
                    "no certificate in root certificate file \"{}\"",
                    path.display()
                )));
            }
            Some(roots)
        }
        None if cfg.sslmode.verifies() => {
            let mut m =
                tls_err("root certificate file \"~/.postgresql/root.crt\" does not exist".into());
            m.hint = Some(
                "Either provide the file with sslrootcert=FILE or change sslmode to disable server certificate verification."
                    .into(),
            );
            return Err(m);
        }
        None => None,
    };
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match roots {
        Some(roots) => {
            let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| tls_err(format!("could not set up TLS: {e}")))?;
            if cfg.sslmode == SslMode::VerifyFull {
                webpki
            } else {
                Arc::new(ChainOnly(webpki))
            }
        }
        None => Arc::new(Unverified(provider)),
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    Ok(Arc::new(match client_certificate(cfg)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| tls_err(format!("could not load the client certificate: {e}")))?,
        None => builder.with_no_client_auth(),
    }))
}

/// The client certificate chain and key to offer, if the certificate file exists (libpq
/// sends none otherwise); its key must exist then, readable by its owner only (or by a group
/// too when root owns it, as libpq allows).
type ClientCert = (
    Vec<rustls::pki_types::CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

fn client_certificate(cfg: &Config) -> Result<Option<ClientCert>, Message> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Some(cert) = cfg.sslcert.as_ref().filter(|c| c.exists()) else {
        return Ok(None);
    };
    let err = |m: String| Message::client("08001", m);
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            err(format!(
                "could not read certificate file \"{}\": {e}",
                cert.display()
            ))
        })?;
    if chain.is_empty() {
        return Err(err(format!(
            "no certificate in certificate file \"{}\"",
            cert.display()
        )));
    }
    let key = cfg.sslkey.as_ref().ok_or_else(|| {
        err(format!(
            "certificate present, but not private key file for \"{}\"",
            cert.display()
        ))
    })?;
    let meta = std::fs::metadata(key).map_err(|_| {
        err(format!(
            "certificate present, but not private key file \"{}\"",
            key.display()
        ))
    })?;
    let mode = meta.permissions().mode();
    let too_open = if meta.uid() == 0 {
        mode & 0o037 != 0
    } else {
        mode & 0o077 != 0
    };
    if !meta.is_file() || too_open {
        let mut m = err(format!(
            "private key file \"{}\" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root",
            key.display()
        ));
        m.hint = None;
        return Err(m);
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        err(format!(
            "could not load private key file \"{}\": {e}",
            key.display()
        ))
    })?;
    Ok(Some((chain, key_der)))
}

/// The tls-server-end-point channel binding data (RFC 5929): the hash of the server's
/// certificate with its signature's hash function, SHA-256 for MD5 and SHA-1 (and for
/// algorithms not recognized, as PostgreSQL does for the common ones).
fn end_point_hash(cert: &[u8]) -> Vec<u8> {
    use ring::digest;
    // RSA PKCS#1 v1.5 with SHA-384 / SHA-512 (1.2.840.113549.1.1.12/13) and ECDSA with
    // SHA-384 / SHA-512 (1.2.840.10045.4.3.3/4), as DER-encoded object identifiers.
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    let alg = match signature_oid(cert) {
        Some(oid) if oid.len() == RSA.len() + 1 && oid.starts_with(RSA) => match oid[RSA.len()] {
            12 => &digest::SHA384,
            13 => &digest::SHA512,
            _ => &digest::SHA256,
        },
        Some(oid) if oid.len() == ECDSA.len() + 1 && oid.starts_with(ECDSA) => {
            match oid[ECDSA.len()] {
                3 => &digest::SHA384,
                4 => &digest::SHA512,
                _ => &digest::SHA256,
            }
        }
        _ => &digest::SHA256,
    };
    digest::digest(alg, cert).as_ref().to_vec()
}

/// The signature algorithm's object identifier of a DER certificate:
/// `SEQUENCE { tbsCertificate, SEQUENCE { OID, ... }, signature }`.
fn signature_oid(cert: &[u8]) -> Option<&[u8]> {
    /// A DER element at the start of `b`: (tag, contents, rest).
    fn element(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, b) = b.split_first()?;
        let (&first, mut b) = b.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || b.len() < n {
                return None;
            }
            let len = b[..n]
                .iter()
                .fold(0usize, |a, &x| (a << 8) | usize::from(x));
            b = &b[n..];
            len
        };
        (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
    }
    let (_, cert, _) = element(cert).filter(|e| e.0 == 0x30)?;
    let (_, _, rest) = element(cert)?;
    let (_, alg, _) = element(rest).filter(|e| e.0 == 0x30)?;
    let (_, oid, _) = element(alg).filter(|e| e.0 == 0x06)?;
    Some(oid)
}

/// `verify-ca` (and `require` with a root certificate): the chain must lead to a root, the
/// name need not match.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl rustls::client::danger::ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError, Error};
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(rustls::client::danger::ServerCertVerified::assertion()),
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` / `require` without a root certificate: encryption without authenticating the
/// server (libpq's behavior); the handshake's signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What came of asking for TLS.
enum Negotiated {
    /// An encrypted stream, with the channel binding data of the server's certificate.
    Tls(Stream, Option<Vec<u8>>),
    /// The server declined ('N'): the socket is still usable in plain.
    Declined(TcpStream),
    /// The handshake failed (a certificate that does not verify...).
    Failed(Message),
}

/// Asks the server for TLS over `tcp` (SSLRequest) and completes the handshake.
fn negotiate_tls(
    spec: &HostSpec,
    config: Arc<rustls::ClientConfig>,
    mut tcp: TcpStream,
) -> Result<Negotiated, Message> {
    let mut buf = BytesMut::new();
    frontend::ssl_request(&mut buf);
    tcp.write_all(&buf).map_err(|e| lost(&e))?;
    // One byte, read unbuffered: the TLS handshake follows it on the same socket.
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).map_err(|e| lost(&e))?;
    match answer[0] {
        b'N' => return Ok(Negotiated::Declined(tcp)),
        b'S' => {}
        other => {
            return Err(protocol_violation(format!(
                "unexpected answer '{}' to the TLS request",
                char::from(other).escape_default()
            )));
        }
    }
    let name = match &spec.host {
        Host::Tcp(h) => h.clone(),
        Host::Socket(_) => "localhost".into(),
    };
    let server_name = rustls::pki_types::ServerName::try_from(name.clone())
        .map_err(|e| bad_target(format!("invalid host name \"{name}\" for TLS: {e}")))?;
    let mut conn = rustls::ClientConnection::new(config, server_name)
        .map_err(|e| Message::client("08001", format!("could not set up TLS: {e}")))?;
    // Complete the handshake here so that certificate problems show at connect time.
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            let mut m = Message::client("08001", format!("SSL error: {}", io_text(&e)));
            m.severity = "FATAL".into();
            return Ok(Negotiated::Failed(m));
        }
    }
    let binding = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| end_point_hash(c));
    Ok(Negotiated::Tls(
        Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))),
        binding,
    ))
}

/// Opens the stream to `spec` that `cfg` asks for, with TLS as its `sslmode` says; the
/// channel binding data when it is TLS.
fn open_stream(
    cfg: &Config,
    spec: &HostSpec,
    addr: &Address,
) -> Result<(Stream, Option<Vec<u8>>), Message> {
    let tcp = match addr.open(cfg.connect_timeout)? {
        Socket::Unix(s) => {
            // The whole attempt (startup, authentication) within connect_timeout, as libpq.
            let _ = s.set_read_timeout(cfg.connect_timeout);
            return Ok((Stream::Unix(s), None));
        }
        Socket::Tcp(s) => s,
    };
    let _ = tcp.set_read_timeout(cfg.connect_timeout);
    if cfg.sslmode == SslMode::Disable {
        return Ok((Stream::Tcp(tcp), None));
    }
    // Before asking: a missing or unreadable root certificate is an error in every mode.
    let config = tls_config(cfg)?;
    match negotiate_tls(spec, config, tcp)? {
        Negotiated::Tls(tls, binding) => Ok((tls, binding)),
        Negotiated::Declined(plain) if cfg.sslmode == SslMode::Prefer => {
            Ok((Stream::Tcp(plain), None))
        }
        Negotiated::Declined(_) => Err(bad_target(
            "server does not support SSL, but SSL was required",
        )),
        // `prefer`: a failed handshake falls back to a plain connection, as libpq does.
        Negotiated::Failed(_) if cfg.sslmode == SslMode::Prefer => {
            match addr.open(cfg.connect_timeout)? {
                Socket::Tcp(s) => {
                    let _ = s.set_read_timeout(cfg.connect_timeout);
                    Ok((Stream::Tcp(s), None))
                }
                Socket::Unix(s) => Ok((Stream::Unix(s), None)),
            }
        }
        Negotiated::Failed(e) => Err(e),
    }
}

/// How one server of the list failed: whether the next one is tried (libpq goes on after a
/// failure to connect or a server of the wrong kind, not after a refused authentication).
enum Attempt {
    Next(Message),
    Stop(Message),
}

/// A failure of this client's (connection classes 08) names the server, as libpq's do; the
/// server's own errors (a refused password) are kept as the server sent them.
fn at_host(spec: &HostSpec, mut m: Message) -> Message {
    if m.code.starts_with("08") && !m.message.starts_with("connection to server ") {
        m.message = spec.failed(&m.message);
    }
    m
}

/// The message of a connection that failed at every server of the list: each server's
/// failure on a line of its own, as libpq words it.
fn all_failed(hosts: &[(HostSpec, Message)]) -> Message {
    let Some((_, last)) = hosts.last() else {
        return bad_target("no host to connect to");
    };
    if hosts.len() == 1 {
        return last.clone();
    }
    let lines: Vec<String> = hosts
        .iter()
        .map(|(spec, m)| {
            let mut line = if m.message.starts_with("connection to server ") {
                m.message.clone()
            } else {
                spec.failed(&format!("{}:  {}", m.severity, m.message))
            };
            if let Some(h) = &m.hint {
                line.push_str("\n\t");
                line.push_str(h);
            }
            line
        })
        .collect();
    let mut m = Message::client(&last.code, lines.join("\n"));
    m.severity = last.severity.clone();
    m
}

/// A connection to a server.
pub struct Remote {
    config: Config,
    /// The server of the list this connection reached.
    host: HostSpec,
    address: Address,
    /// `None` once the connection broke (every later call reports it).
    wire: Option<Wire>,
    params: HashMap<String, String>,
    /// The backend's process id and secret key, for cancel requests.
    key: Option<(i32, i32)>,
    status: TxStatus,
    tls: bool,
    /// tls-server-end-point data for SCRAM-SHA-256-PLUS, over TLS.
    binding: Option<Vec<u8>>,
    /// Whether SCRAM-SHA-256-PLUS authenticated the connection.
    bound: bool,
}

impl Remote {
    /// Connects to the server `target` names (see [`Config::parse`]).
    pub fn connect(target: &str) -> Result<Remote, Message> {
        Remote::connect_config(Config::parse(target)?)
    }

    /// Connects with a resolved configuration: the servers of its list in order, up to the
    /// first that accepts the connection and is of the kind `target_session_attrs` asks for
    /// (`prefer-standby` goes through the list twice: for a standby, then for any).
    pub fn connect_config(config: Config) -> Result<Remote, Message> {
        let passes: &[SessionAttrs] = match config.target_session_attrs {
            SessionAttrs::PreferStandby => &[SessionAttrs::Standby, SessionAttrs::Any],
            SessionAttrs::Any => &[SessionAttrs::Any],
            SessionAttrs::ReadWrite => &[SessionAttrs::ReadWrite],
            SessionAttrs::ReadOnly => &[SessionAttrs::ReadOnly],
            SessionAttrs::Primary => &[SessionAttrs::Primary],
            SessionAttrs::Standby => &[SessionAttrs::Standby],
        };
        let mut failures = Vec::new();
        for &want in passes {
            for spec in &config.hosts {
                match Remote::connect_host(&config, spec, want) {
                    Ok(r) => return Ok(r),
                    Err(Attempt::Next(m)) => failures.push((spec.clone(), at_host(spec, m))),
                    Err(Attempt::Stop(m)) => {
                        failures.push((spec.clone(), at_host(spec, m)));
                        return Err(all_failed(&failures));
                    }
                }
            }
        }
        Err(all_failed(&failures))
    }

    /// One server of the list.
    fn connect_host(
        config: &Config,
        spec: &HostSpec,
        want: SessionAttrs,
    ) -> Result<Remote, Attempt> {
        let address = spec.address();
        let (stream, binding) = open_stream(config, spec, &address).map_err(Attempt::Next)?;
        let tls = matches!(stream, Stream::Tls(_));
        let mut r = Remote {
            config: config.clone(),
            host: spec.clone(),
            address,
            wire: Some(Wire::new(stream)),
            params: HashMap::new(),
            key: None,
            status: TxStatus::Idle,
            tls,
            binding,
            bound: false,
        };
        if let Err(e) = r.startup() {
            // A server starting up or a connection lost: the next server may do; a refused
            // authentication ends the attempt (libpq).
            return Err(if e.code == "57P03" || e.code == "08006" {
                Attempt::Next(e)
            } else {
                Attempt::Stop(e)
            });
        }
        if let Some(w) = &r.wire {
            // Queries may take as long as they take.
            let _ = w.stream.set_read_timeout(None);
        }
        r.check_session(want).map_err(Attempt::Next)?;
        Ok(r)
    }

    /// Whether this server is of the kind `want` asks for, with libpq's checks: the
    /// `default_transaction_read_only` and `in_hot_standby` parameters PostgreSQL 14 and later
    /// report, else `SHOW transaction_read_only` / `SELECT pg_is_in_recovery()`.
    fn check_session(&mut self, want: SessionAttrs) -> Result<(), Message> {
        let on = |v: Option<&str>| v.map(|v| v == "on");
        let show = |r: &mut Remote, sql: &str| -> Result<bool, Message> {
            let mut c = super::Collect::default();
            r.run(sql, &mut c)?;
            let v = c
                .results
                .first()
                .and_then(|o| o.rows.first())
                .and_then(|row| row.first().cloned().flatten())
                .unwrap_or_default();
            Ok(v == "on" || v == "t")
        };
        let hot = on(self.parameter("in_hot_standby"));
        let fail = |r: &Remote, what: &str| Message::client("08001", r.host.failed(what));
        match want {
            SessionAttrs::Any | SessionAttrs::PreferStandby => Ok(()),
            SessionAttrs::ReadWrite | SessionAttrs::ReadOnly => {
                let read_only = match (hot, on(self.parameter("default_transaction_read_only"))) {
                    (Some(h), Some(d)) => h || d,
                    _ => show(self, "SHOW transaction_read_only")?,
                };
                match (want, read_only) {
                    (SessionAttrs::ReadWrite, true) => Err(fail(self, "session is read-only")),
                    (SessionAttrs::ReadOnly, false) => Err(fail(self, "session is not read-only")),
                    _ => Ok(()),
                }
            }
            SessionAttrs::Primary | SessionAttrs::Standby => {
                let standby = match hot {
                    Some(h) => h,
                    None => show(self, "SELECT pg_catalog.pg_is_in_recovery()")?,
                };
                match (want, standby) {
                    (SessionAttrs::Primary, true) => {
                        Err(fail(self, "server is in hot standby mode"))
                    }
                    (SessionAttrs::Standby, false) => {
                        Err(fail(self, "server is not in hot standby mode"))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// A parameter the server reported (`server_version`, `TimeZone`, `DateStyle`...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The resolved connection settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The server of the list this connection reached.
    pub fn host(&self) -> &HostSpec {
        &self.host
    }

    /// Whether the authentication was bound to the TLS channel (SCRAM-SHA-256-PLUS).
    pub fn channel_bound(&self) -> bool {
        self.bound
    }

    fn wire(&mut self) -> Result<&mut Wire, Message> {
        self.wire
            .as_mut()
            .ok_or_else(|| Message::client("08003", "no connection to the server"))
    }

    /// Startup and authentication, up to the first ReadyForQuery.
    fn startup(&mut self) -> Result<(), Message> {
        let cfg = self.config.clone();
        let wire = self.wire()?;
        let mut params = vec![
            ("user", cfg.user.as_str()),
            ("database", cfg.dbname.as_str()),
            ("application_name", cfg.application_name.as_str()),
            ("client_encoding", "UTF8"),
        ];
        if let Some(o) = &cfg.options {
            params.push(("options", o.as_str()));
        }
        frontend::startup_message(params, &mut wire.wbuf)
            .map_err(|e| bad_target(format!("invalid connection parameter: {e}")))?;
        wire.send()?;
        let mut scram: Option<ScramSha256> = None;
        let spec = self.host.clone();
        let require = cfg.channel_binding == ChannelBindingMode::Require;
        // libpq's words for a server that would authenticate without channel binding.
        let unbound = |what: &str| {
            let mut m = Message::client("08001", what);
            m.severity = "FATAL".into();
            m
        };
        let password = || {
            cfg.find_password(&spec).ok_or_else(|| {
                let mut m = Message::client(
                    "08001",
                    format!("password authentication failed for user \"{}\": no password supplied", cfg.user),
                );
                m.severity = "FATAL".into();
                m.hint = Some("Give it in the URL (postgres://user:password@host/db), with password=, in PGPASSWORD or in ~/.pgpass.".into());
                m
            })
        };
        loop {
            let wire = self.wire()?;
            let msg = wire.read()?;
            if require
                && matches!(
                    msg,
                    backend::Message::AuthenticationCleartextPassword
                        | backend::Message::AuthenticationMd5Password(_)
                )
            {
                return Err(unbound(
                    "channel binding required but not supported by server's authentication request",
                ));
            }
            match msg {
                backend::Message::AuthenticationOk => {
                    if require && !self.bound {
                        return Err(unbound(
                            "channel binding required, but server authenticated client without channel binding",
                        ));
                    }
                }
                backend::Message::AuthenticationCleartextPassword => {
                    let pw = password()?;
                    frontend::password_message(pw.as_bytes(), &mut wire.wbuf)
                        .map_err(|e| bad_target(format!("invalid password: {e}")))?;
                    wire.send()?;
                }
                backend::Message::AuthenticationMd5Password(body) => {
                    let pw = password()?;
                    let hash = md5_hash(cfg.user.as_bytes(), pw.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut wire.wbuf)
                        .map_err(|e| bad_target(format!("invalid password: {e}")))?;
                    wire.send()?;
                }
                backend::Message::AuthenticationSasl(body) => {
                    let mut mechanisms = body.mechanisms();
                    let (mut plain, mut plus) = (false, false);
                    while let Some(m) = mechanisms.next().map_err(|e| {
                        protocol_violation(format!("malformed SASL mechanisms: {e}"))
                    })? {
                        plain |= m == SCRAM_SHA_256;
                        plus |= m == SCRAM_SHA_256_PLUS;
                    }
                    // libpq's choice: PLUS over TLS when the server offers it (unless
                    // disabled); else SCRAM-SHA-256 telling the server whether this client
                    // could have bound ('y': it could, over TLS; 'n': it could not).
                    let binding = match (&self.binding, cfg.channel_binding) {
                        (Some(b), ChannelBindingMode::Prefer | ChannelBindingMode::Require)
                            if plus =>
                        {
                            Some(b.clone())
                        }
                        _ => None,
                    };
                    if require && binding.is_none() {
                        return Err(unbound(
                            "channel binding is required, but server did not offer an authentication method that supports channel binding",
                        ));
                    }
                    let (mechanism, cb) = match binding {
                        Some(b) => (SCRAM_SHA_256_PLUS, ChannelBinding::tls_server_end_point(b)),
                        None if !plain => {
                            return Err(bad_target(
                                "the server offers no SASL mechanism this client supports (SCRAM-SHA-256)",
                            ));
                        }
                        None if self.binding.is_some()
                            && cfg.channel_binding != ChannelBindingMode::Disable =>
                        {
                            (SCRAM_SHA_256, ChannelBinding::unrequested())
                        }
                        None => (SCRAM_SHA_256, ChannelBinding::unsupported()),
                    };
                    self.bound = mechanism == SCRAM_SHA_256_PLUS;
                    let pw = password()?;
                    let wire = self.wire()?;
                    let s = ScramSha256::new(pw.as_bytes(), cb);
                    frontend::sasl_initial_response(mechanism, s.message(), &mut wire.wbuf)
                        .map_err(|e| protocol_violation(e.to_string()))?;
                    wire.send()?;
                    scram = Some(s);
                }
                backend::Message::AuthenticationSaslContinue(body) => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| protocol_violation("SASL continue before SASL start"))?;
                    s.update(body.data())
                        .map_err(|e| protocol_violation(format!("SCRAM: {e}")))?;
                    frontend::sasl_response(s.message(), &mut wire.wbuf)
                        .map_err(|e| protocol_violation(e.to_string()))?;
                    wire.send()?;
                }
                backend::Message::AuthenticationSaslFinal(body) => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| protocol_violation("SASL final before SASL start"))?;
                    s.finish(body.data()).map_err(|e| {
                        protocol_violation(format!("the server's SCRAM signature is invalid: {e}"))
                    })?;
                }
                backend::Message::AuthenticationKerberosV5
                | backend::Message::AuthenticationScmCredential
                | backend::Message::AuthenticationGss
                | backend::Message::AuthenticationGssContinue(_)
                | backend::Message::AuthenticationSspi => {
                    return Err(bad_target(
                        "the server asks for an authentication method this client does not support (GSSAPI/SSPI/Kerberos)",
                    ));
                }
                backend::Message::ErrorResponse(body) => return Err(message_of(body.fields())?),
                backend::Message::NoticeResponse(_) => {}
                backend::Message::ParameterStatus(body) => self.parameter_status(&body)?,
                backend::Message::BackendKeyData(body) => {
                    self.key = Some((body.process_id(), body.secret_key()));
                }
                backend::Message::ReadyForQuery(body) => {
                    self.status = tx_status(body.status())?;
                    return Ok(());
                }
                _ => return Err(protocol_violation("unexpected message during startup")),
            }
        }
    }

    fn parameter_status(&mut self, body: &backend::ParameterStatusBody) -> Result<(), Message> {
        let bad = |e: io::Error| protocol_violation(format!("malformed ParameterStatus: {e}"));
        let name = body.name().map_err(bad)?.to_string();
        let value = body.value().map_err(bad)?.to_string();
        self.params.insert(name, value);
        Ok(())
    }

    /// Runs `sql`; the outer error means the connection broke, the inner one is the
    /// statement's error (the connection is fine).
    fn run_inner(&mut self, sql: &str, out: &mut dyn Output) -> Result<Option<Message>, Message> {
        let wire = self.wire()?;
        if frontend::query(sql, &mut wire.wbuf).is_err() {
            wire.wbuf.clear();
            return Ok(Some(Message::client(
                "22021",
                "invalid byte sequence for encoding \"UTF8\": 0x00",
            )));
        }
        wire.send()?;
        let mut error: Option<Message> = None;
        // A client-side failure (a COPY stream's I/O error), reported unless the server's
        // error comes first.
        let mut local: Option<Message> = None;
        let mut columns: Vec<Column> = Vec::new();
        let mut rows: Vec<Vec<Option<String>>> = Vec::new();
        loop {
            let msg = match self.wire()?.read() {
                Ok(m) => m,
                // A FATAL error (the backend was terminated...) comes just before the server
                // closes the connection: it says more than the loss does.
                Err(lost) => {
                    return Err(match error {
                        Some(e) if matches!(e.severity.as_str(), "FATAL" | "PANIC") => e,
                        _ => lost,
                    });
                }
            };
            match msg {
                backend::Message::RowDescription(body) => {
                    columns.clear();
                    let mut fields = body.fields();
                    while let Some(f) = fields
                        .next()
                        .map_err(|e| protocol_violation(format!("malformed RowDescription: {e}")))?
                    {
                        columns.push(Column {
                            name: f.name().to_string(),
                            type_oid: f.type_oid(),
                        });
                    }
                }
                backend::Message::DataRow(body) => {
                    let buf = body.buffer();
                    let mut row = Vec::with_capacity(columns.len());
                    let mut ranges = body.ranges();
                    while let Some(r) = ranges
                        .next()
                        .map_err(|e| protocol_violation(format!("malformed DataRow: {e}")))?
                    {
                        row.push(match r {
                            Some(r) => Some(text(buf.get(r).ok_or_else(|| {
                                protocol_violation("DataRow value out of bounds")
                            })?)),
                            None => None,
                        });
                    }
                    rows.push(row);
                }
                backend::Message::CommandComplete(body) => {
                    let tag = body
                        .tag()
                        .map_err(|e| protocol_violation(format!("malformed CommandComplete: {e}")))?
                        .to_string();
                    out.result(Outcome {
                        tag,
                        columns: std::mem::take(&mut columns),
                        rows: std::mem::take(&mut rows),
                    });
                }
                backend::Message::EmptyQueryResponse => {
                    columns.clear();
                    rows.clear();
                }
                backend::Message::ErrorResponse(body) => {
                    // Rows of a statement that failed midway are dropped, as psql does.
                    columns.clear();
                    rows.clear();
                    error = Some(message_of(body.fields())?);
                }
                backend::Message::NoticeResponse(body) => out.notice(message_of(body.fields())?),
                backend::Message::NotificationResponse(body) => {
                    out.notice(notification(&body)?);
                }
                backend::Message::ParameterStatus(body) => self.parameter_status(&body)?,
                backend::Message::CopyInResponse(_) => {
                    if let Some(e) = self.copy_in(out)? {
                        local.get_or_insert(e);
                    }
                }
                backend::Message::CopyOutResponse(_) => match self.copy_out(out)? {
                    CopyEnd::Done(Some(e)) => {
                        local.get_or_insert(e);
                    }
                    CopyEnd::Done(None) => {}
                    CopyEnd::Failed(e) => error = Some(e),
                },
                backend::Message::ReadyForQuery(body) => {
                    self.status = tx_status(body.status())?;
                    return Ok(error.or(local));
                }
                _ => {
                    return Err(protocol_violation(
                        "unexpected message in a query's response",
                    ));
                }
            }
        }
    }

    /// COPY FROM STDIN: sends the output's input stream; an error of this side's, if any.
    fn copy_in(&mut self, out: &mut dyn Output) -> Result<Option<Message>, Message> {
        let mut notices = Vec::new();
        let mut failure = None;
        let wire = self
            .wire
            .as_mut()
            .ok_or_else(|| Message::client("08003", "no connection to the server"))?;
        match out.copy_in() {
            Err(e) => {
                let text = format!("could not open the COPY input: {e}");
                frontend::copy_fail(&text, &mut wire.wbuf).map_err(|e| lost(&e))?;
                wire.send()?;
                failure = Some(Message::client("58030", text));
            }
            Ok(input) => {
                let mut buf = vec![0u8; COPY_CHUNK];
                loop {
                    let n = match input.read(&mut buf) {
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => {
                            // The server reports the failure (57014 with this text).
                            let text = e.to_string().replace('\0', " ");
                            frontend::copy_fail(&text, &mut wire.wbuf).map_err(|e| lost(&e))?;
                            wire.send()?;
                            break;
                        }
                    };
                    if n == 0 {
                        frontend::copy_done(&mut wire.wbuf);
                        wire.send()?;
                        break;
                    }
                    frontend::CopyData::new(&buf[..n])
                        .map_err(|e| lost(&e))?
                        .write(&mut wire.wbuf);
                    wire.send()?;
                    // Stop early when the server has already refused the data: it sent an
                    // error and ignores the rest until ReadyForQuery.
                    if wire.poll()? && server_errored(wire, &mut notices)? {
                        break;
                    }
                }
            }
        }
        for n in notices {
            out.notice(n);
        }
        Ok(failure)
    }

    /// COPY TO STDOUT: writes each CopyData to the output's stream up to CopyDone.
    fn copy_out(&mut self, out: &mut dyn Output) -> Result<CopyEnd, Message> {
        let mut failure: Option<Message> = None;
        loop {
            match self.wire()?.read()? {
                backend::Message::CopyData(body) => {
                    if failure.is_none() {
                        let r = out.copy_out().and_then(|w| w.write_all(body.data()));
                        if let Err(e) = r {
                            failure = Some(Message::client(
                                "58030",
                                format!("could not write COPY data: {e}"),
                            ));
                        }
                    }
                }
                backend::Message::CopyDone => {
                    if failure.is_none()
                        && let Err(e) = out.copy_out().and_then(|w| w.flush())
                    {
                        failure = Some(Message::client(
                            "58030",
                            format!("could not write COPY data: {e}"),
                        ));
                    }
                    return Ok(CopyEnd::Done(failure));
                }
                backend::Message::NoticeResponse(body) => out.notice(message_of(body.fields())?),
                backend::Message::NotificationResponse(body) => out.notice(notification(&body)?),
                backend::Message::ParameterStatus(body) => self.parameter_status(&body)?,
                backend::Message::ErrorResponse(body) => {
                    return Ok(CopyEnd::Failed(message_of(body.fields())?));
                }
                _ => {
                    return Err(protocol_violation(
                        "unexpected message during COPY TO STDOUT",
                    ));
                }
            }
        }
    }
}

/// How COPY TO STDOUT ended.
enum CopyEnd {
    /// CopyDone; with this side's failure to write the data, if any.
    Done(Option<Message>),
    /// The server's error (it sends one instead of CopyDone, then ReadyForQuery).
    Failed(Message),
}

/// Reads the messages the server sent during COPY FROM STDIN: notices are kept, an error
/// (left in the buffer for the caller's loop) says to stop sending.
fn server_errored(wire: &mut Wire, notices: &mut Vec<Message>) -> Result<bool, Message> {
    loop {
        if wire.rbuf.len() >= 5 && wire.rbuf[0] == b'E' {
            return Ok(true);
        }
        match wire.buffered()? {
            Some(backend::Message::NoticeResponse(body)) => {
                notices.push(message_of(body.fields())?)
            }
            Some(backend::Message::NotificationResponse(body)) => {
                notices.push(notification(&body)?)
            }
            Some(backend::Message::ParameterStatus(_)) => {}
            Some(_) => {
                return Err(protocol_violation(
                    "unexpected message during COPY FROM STDIN",
                ));
            }
            None => return Ok(false),
        }
    }
}

/// A NotificationResponse as a notice, in psql's words.
fn notification(body: &backend::NotificationResponseBody) -> Result<Message, Message> {
    let bad = |e: io::Error| protocol_violation(format!("malformed NotificationResponse: {e}"));
    let channel = body.channel().map_err(bad)?;
    let payload = body.message().map_err(bad)?;
    let message = if payload.is_empty() {
        format!(
            "Asynchronous notification \"{channel}\" received from server process with PID {}.",
            body.process_id()
        )
    } else {
        format!(
            "Asynchronous notification \"{channel}\" with payload \"{payload}\" received from server process with PID {}.",
            body.process_id()
        )
    };
    Ok(Message {
        severity: "NOTIFY".into(),
        code: "00000".into(),
        message,
        ..Message::default()
    })
}

fn tx_status(b: u8) -> Result<TxStatus, Message> {
    match b {
        b'I' => Ok(TxStatus::Idle),
        b'T' => Ok(TxStatus::InTransaction),
        b'E' => Ok(TxStatus::Failed),
        other => Err(protocol_violation(format!(
            "unknown transaction status '{}'",
            char::from(other).escape_default()
        ))),
    }
}

/// Sends CancelRequest for the backend `(pid, secret)` at `address` and waits for the server
/// to close the connection (so that the cancel has been delivered when this returns).
fn send_cancel(address: &Address, pid: i32, secret: i32) -> io::Result<()> {
    let mut buf = BytesMut::new();
    frontend::cancel_request(pid, secret, &mut buf);
    let timeout = Some(Duration::from_secs(10));
    let mut sink = [0u8; 64];
    match address
        .open(timeout)
        .map_err(|m| io::Error::other(m.message))?
    {
        Socket::Tcp(mut s) => {
            s.set_read_timeout(timeout)?;
            s.write_all(&buf)?;
            while s.read(&mut sink)? > 0 {}
        }
        Socket::Unix(mut s) => {
            s.set_read_timeout(timeout)?;
            s.write_all(&buf)?;
            while s.read(&mut sink)? > 0 {}
        }
    }
    Ok(())
}

impl Client for Remote {
    fn run(&mut self, sql: &str, out: &mut dyn Output) -> Result<(), Message> {
        match self.run_inner(sql, out) {
            Ok(None) => Ok(()),
            Ok(Some(e)) => Err(e),
            Err(e) => {
                // The connection is unusable: no way to find the next message boundary.
                self.wire = None;
                Err(e)
            }
        }
    }

    fn status(&self) -> TxStatus {
        self.status
    }

    fn canceller(&self) -> Canceller {
        let address = self.address.clone();
        let key = self.key;
        Arc::new(move || {
            if let Some((pid, secret)) = key {
                // Best effort, as libpq's PQcancel: a failure leaves the query running.
                let _ = send_cancel(&address, pid, secret);
            }
        })
    }

    fn database(&self) -> String {
        self.config.dbname.clone()
    }

    fn user(&self) -> String {
        self.config.user.clone()
    }

    fn connect_to(&self, database: &str) -> Result<Box<dyn Client>, Message> {
        // The server this connection reached, not the whole list again (psql's \c).
        let mut c = self.config.clone();
        c.dbname = database.to_string();
        c.hosts = vec![self.host.clone()];
        Ok(Box::new(Remote::connect_config(c)?))
    }

    fn describe(&self) -> String {
        let mut s = format!("server {}", self.address);
        if let Some(v) = self.parameter("server_version") {
            s.push_str(&format!(" ({})", version_text(v)));
        }
        if self.tls {
            s.push_str(" over TLS");
        }
        s
    }
}

/// `15.0 (Basalt 0.1.0)` → `Basalt 0.1.0 / PostgreSQL 15.0`; `15.4 (Debian 15.4-1)` →
/// `PostgreSQL 15.4`.
fn version_text(v: &str) -> String {
    let pg = v.split_whitespace().next().unwrap_or(v);
    match v
        .split_once("(Basalt ")
        .and_then(|(_, rest)| rest.split(')').next())
    {
        Some(b) => format!("Basalt {b} / PostgreSQL {pg}"),
        None => format!("PostgreSQL {pg}"),
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(wire) = self.wire.as_mut() {
            frontend::terminate(&mut wire.wbuf);
            let _ = wire.send();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| vars.get(k).cloned()
    }

    fn parse(target: &str, vars: &[(&str, &str)]) -> Config {
        match Config::parse_with(target, &env_of(vars)) {
            Ok(c) => c,
            Err(e) => panic!("{target}: {e:?}"),
        }
    }

    #[test]
    fn targets_are_recognized() {
        assert!(is_remote("postgres://localhost/db"));
        assert!(is_remote("postgresql://u@h"));
        assert!(is_remote("host=localhost port=5433"));
        assert!(is_remote("dbname=app user=me"));
        assert!(is_remote("  port = 5433"));
        assert!(!is_remote("./data"));
        assert!(!is_remote("/var/lib/db"));
        assert!(!is_remote(":memory:"));
        assert!(!is_remote("./data=x"));
        assert!(!is_remote("dir/host=x"));
    }

    #[test]
    fn urls_are_read_as_libpq_reads_them() {
        let c = parse(
            "postgres://ann:p%40ss%3Aw@db.example.com:5433/my%20db?sslmode=require&application_name=tool",
            &[("USER", "os")],
        );
        assert_eq!(c.hosts[0].host, Host::Tcp("db.example.com".into()));
        assert_eq!(
            (c.hosts[0].port, c.user.as_str(), c.dbname.as_str()),
            (5433, "ann", "my db")
        );
        assert_eq!(c.password.as_deref(), Some("p@ss:w"));
        assert_eq!(c.sslmode, SslMode::Require);
        assert_eq!(c.application_name, "tool");

        let c = parse("postgres://u@%2Ftmp%2Fdir:5439/d", &[]);
        assert_eq!(c.hosts[0].host, Host::Socket("/tmp/dir".into()));
        assert_eq!(c.hosts[0].port, 5439);
        assert!(
            matches!(c.hosts[0].address(), Address::Unix(p) if p == Path::new("/tmp/dir/.s.PGSQL.5439"))
        );

        let c = parse("postgresql:///d?host=/run/pg&port=6000&user=x", &[]);
        assert_eq!(c.hosts[0].host, Host::Socket("/run/pg".into()));
        assert_eq!(
            (c.hosts[0].port, c.user.as_str(), c.dbname.as_str()),
            (6000, "x", "d")
        );

        let c = parse("postgres://[::1]:7000", &[("USER", "me")]);
        assert_eq!(c.hosts[0].host, Host::Tcp("::1".into()));
        assert_eq!(c.hosts[0].address().to_string(), "[::1]:7000");
        assert_eq!(c.dbname, "me");

        for bad in [
            "postgres://h/db?nope=1",
            "postgres://h:notaport/db",
            "postgres://h/db?sslmode=sometimes",
            "postgres://h/db?param",
            "postgres://h/%ff",
            "postgres://a,b/db?port=1,2,3",
            "postgres://h/db?target_session_attrs=fastest",
            "postgres://h/db?channel_binding=maybe",
        ] {
            let e = Config::parse_with(bad, &env_of(&[("USER", "u")]))
                .err()
                .unwrap_or_else(|| panic!("{bad} parsed"));
            assert_eq!(e.code, "08001", "{bad}: {e:?}");
        }
    }

    #[test]
    fn keyword_strings_and_the_environment() {
        let c = parse(
            r"host=127.0.0.1 port = 5433 user=bob dbname='my \'db\'' password=a\ b sslmode=verify-full sslrootcert=/x/ca.crt",
            &[],
        );
        assert_eq!(c.hosts[0].host, Host::Tcp("127.0.0.1".into()));
        assert_eq!(c.dbname, "my 'db'");
        assert_eq!(c.password.as_deref(), Some("a b"));
        assert_eq!(c.sslmode, SslMode::VerifyFull);
        assert_eq!(c.sslrootcert.as_deref(), Some(Path::new("/x/ca.crt")));

        let env = [
            ("PGHOST", "pg.local"),
            ("PGPORT", "6543"),
            ("PGUSER", "envuser"),
            ("PGDATABASE", "envdb"),
            ("PGPASSWORD", "envpw"),
            ("PGSSLMODE", "disable"),
            ("PGAPPNAME", "envapp"),
            ("PGCONNECT_TIMEOUT", "1"),
        ];
        let c = parse("dbname=given", &env);
        assert_eq!(c.hosts[0].host, Host::Tcp("pg.local".into()));
        assert_eq!(
            (c.hosts[0].port, c.user.as_str(), c.dbname.as_str()),
            (6543, "envuser", "given")
        );
        assert_eq!(c.password.as_deref(), Some("envpw"));
        assert_eq!(c.sslmode, SslMode::Disable);
        assert_eq!(c.application_name, "envapp");
        assert_eq!(c.connect_timeout, Some(Duration::from_secs(2)));

        // Nothing given: the OS user, a database of the same name, a local socket, prefer.
        let c = parse("user=someone", &[]);
        assert_eq!(c.dbname, "someone");
        assert_eq!(c.hosts.len(), 1);
        assert_eq!(c.hosts[0].port, 5432);
        assert!(matches!(c.hosts[0].host, Host::Socket(_)));
        assert_eq!(c.target_session_attrs, SessionAttrs::Any);
        assert_eq!(c.channel_binding, ChannelBindingMode::Prefer);
        assert_eq!(c.sslmode, SslMode::Prefer);
        assert_eq!(c.application_name, "basalt");
        let c = parse("port=5432", &[("USER", "osuser")]);
        assert_eq!((c.user.as_str(), c.dbname.as_str()), ("osuser", "osuser"));
        assert!(Config::parse_with("host", &env_of(&[])).is_err());
        assert!(Config::parse_with("host='x", &env_of(&[])).is_err());
    }

    #[test]
    fn host_lists_as_libpq() {
        let spec = |h: Host, a: Option<&str>, p: u16| HostSpec {
            host: h,
            hostaddr: a.map(str::to_string),
            port: p,
        };
        let tcp = |h: &str| Host::Tcp(h.into());
        // One port for all hosts, or one each; an empty port is the default.
        let c = parse("host=a,b,/tmp/s port=6000", &[("USER", "u")]);
        assert_eq!(
            c.hosts,
            [
                spec(tcp("a"), None, 6000),
                spec(tcp("b"), None, 6000),
                spec(Host::Socket("/tmp/s".into()), None, 6000)
            ]
        );
        let c = parse(
            "host=a,b hostaddr=10.0.0.1,10.0.0.2 port=1,",
            &[("USER", "u")],
        );
        assert_eq!(
            c.hosts,
            [
                spec(tcp("a"), Some("10.0.0.1"), 1),
                spec(tcp("b"), Some("10.0.0.2"), 5432)
            ]
        );
        assert_eq!(
            c.hosts[0].failed("x"),
            "connection to server at \"a\" (10.0.0.1), port 1 failed: x"
        );
        // hostaddr alone names the servers.
        let c = parse("hostaddr=127.0.0.1", &[("USER", "u")]);
        assert_eq!(c.hosts, [spec(tcp("127.0.0.1"), Some("127.0.0.1"), 5432)]);
        // URLs: host:port pairs; a host without a port gets the default.
        let c = parse(
            "postgresql://u@h1:5001,[::1]:5002,h3/db?target_session_attrs=read-write",
            &[],
        );
        assert_eq!(
            c.hosts,
            [
                spec(tcp("h1"), None, 5001),
                spec(tcp("::1"), None, 5002),
                spec(tcp("h3"), None, 5432)
            ]
        );
        assert_eq!(c.target_session_attrs, SessionAttrs::ReadWrite);
        let c = parse("postgres://h1,h2:7/db", &[("USER", "u")]);
        assert_eq!(c.hosts[0].port, 5432);
        assert_eq!(c.hosts[1].port, 7);
        // PGHOST may be a list too.
        let c = parse(
            "dbname=d",
            &[("USER", "u"), ("PGHOST", "x,y"), ("PGPORT", "9")],
        );
        assert_eq!(c.hosts.len(), 2);
        for bad in [
            "host=a,b port=1,2,3",
            "host=a,b hostaddr=1.1.1.1",
            "host=a port=1,x",
            "host=a target_session_attrs=fast",
            "host=a channel_binding=always",
        ] {
            assert!(
                Config::parse_with(bad, &env_of(&[("USER", "u")])).is_err(),
                "{bad}"
            );
        }
        let c = parse(
            "host=a channel_binding=require target_session_attrs=prefer-standby sslcert=/c sslkey=/k",
            &[("USER", "u")],
        );
        assert_eq!(c.channel_binding, ChannelBindingMode::Require);
        assert_eq!(c.target_session_attrs, SessionAttrs::PreferStandby);
        assert_eq!(c.sslcert.as_deref(), Some(Path::new("/c")));
        assert_eq!(c.sslkey.as_deref(), Some(Path::new("/k")));
        // The default client certificate files are in ~/.postgresql.
        let c = parse("host=a", &[("USER", "u"), ("HOME", "/home/u")]);
        assert_eq!(
            c.sslcert.as_deref(),
            Some(Path::new("/home/u/.postgresql/postgresql.crt"))
        );
        assert_eq!(
            c.sslkey.as_deref(),
            Some(Path::new("/home/u/.postgresql/postgresql.key"))
        );
    }

    #[test]
    fn a_down_server_is_skipped_and_every_failure_reported()
    -> Result<(), Box<dyn std::error::Error>> {
        // Two ports nothing listens on (bound then closed), then a server that answers.
        let dead = || -> Result<u16, std::io::Error> {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr().map(|a| a.port())
        };
        let (d1, d2) = (dead()?, dead()?);
        let (port, h) = password_server(msg(b'R', &3i32.to_be_bytes()))?;
        let target = format!(
            "host=127.0.0.1,localhost,127.0.0.1 port={d1},{d2},{port} user=ann password=pw sslmode=disable"
        );
        let c = Remote::connect(&target).map_err(|e| e.message)?;
        assert_eq!(c.host().port, port);
        assert!(
            c.describe()
                .starts_with(&format!("server 127.0.0.1:{port}"))
        );
        drop(c);
        let _ = h.join();
        // All down: one line per server, in libpq's words.
        let e = Remote::connect(&format!(
            "host=127.0.0.1,localhost port={d1},{d2} user=ann sslmode=disable connect_timeout=2"
        ))
        .err()
        .ok_or("connected")?;
        assert_eq!(e.code, "08001");
        let lines: Vec<&str> = e.message.lines().collect();
        assert_eq!(lines.len(), 4, "{}", e.message);
        assert_eq!(
            lines[0],
            format!("connection to server at \"127.0.0.1\", port {d1} failed: Connection refused")
        );
        assert!(
            lines[1].starts_with("\tIs the server running"),
            "{}",
            e.message
        );
        assert!(
            lines[2].starts_with(&format!(
                "connection to server at \"localhost\", port {d2} failed: "
            )),
            "{}",
            e.message
        );
        Ok(())
    }

    #[test]
    fn channel_binding_hashes_by_signature_algorithm() {
        // A certificate's outline: SEQUENCE { SEQUENCE {} (tbs), SEQUENCE { OID } , BIT STRING }.
        let cert = |oid: &[u8]| {
            let mut alg = vec![0x06, oid.len() as u8];
            alg.extend_from_slice(oid);
            let mut body = vec![0x30, 0x00, 0x30, alg.len() as u8];
            body.extend(alg);
            body.extend([0x03, 0x01, 0x00]);
            let mut c = vec![0x30, body.len() as u8];
            c.extend(body);
            c
        };
        let sha384 = cert(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]);
        assert_eq!(
            signature_oid(&sha384),
            Some(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03][..])
        );
        assert_eq!(end_point_hash(&sha384).len(), 48);
        let sha512 = cert(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d]);
        assert_eq!(end_point_hash(&sha512).len(), 64);
        // SHA-1 and anything unknown: SHA-256.
        let sha1 = cert(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05]);
        assert_eq!(end_point_hash(&sha1).len(), 32);
        assert_eq!(end_point_hash(b"not a certificate").len(), 32);
        assert_eq!(signature_oid(&[0x30, 0x85, 1, 2]), None);
    }

    #[test]
    fn password_file_lines_match_as_libpq() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let f = dir.path().join("pgpass");
        std::fs::write(
            &f,
            "# comment\nother:5432:*:*:no\ndb.host:*:app:ann:a\\:b\\\\c\nlocalhost:5433:*:*:local\n*:*:*:bob:any\n",
        )?;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600))?;
        assert_eq!(
            pgpass_lookup(&f, "db.host", 1, "app", "ann").as_deref(),
            Some("a:b\\c")
        );
        assert_eq!(pgpass_lookup(&f, "db.host", 1, "other", "ann"), None);
        assert_eq!(
            pgpass_lookup(&f, "/tmp", 5433, "x", "y").as_deref(),
            Some("local")
        );
        assert_eq!(
            pgpass_lookup(&f, "h", 1, "d", "bob").as_deref(),
            Some("any")
        );
        // A file others can read is not used (libpq warns and ignores it).
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644))?;
        assert_eq!(pgpass_lookup(&f, "h", 1, "d", "bob"), None);
        Ok(())
    }

    #[test]
    fn versions_are_described() {
        assert_eq!(
            version_text("15.0 (Basalt 0.1.0)"),
            "Basalt 0.1.0 / PostgreSQL 15.0"
        );
        assert_eq!(
            version_text("15.4 (Debian 15.4-1.pgdg120+1)"),
            "PostgreSQL 15.4"
        );
    }

    /// A fake server that sends `bytes` after reading the startup message.
    fn fake_server(bytes: Vec<u8>) -> Result<u16, Box<dyn std::error::Error>> {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(&bytes);
                let _ = s.flush();
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Ok(port)
    }

    #[test]
    fn garbage_from_the_server_is_an_error_not_a_panic() -> Result<(), Box<dyn std::error::Error>> {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            // A message claiming 2 GiB.
            (vec![b'R', 0x7f, 0xff, 0xff, 0xff], "08P01"),
            // A length below 4.
            (vec![b'R', 0, 0, 0, 1], "08P01"),
            // An unknown message type.
            (vec![b'!', 0, 0, 0, 4], "08P01"),
            // An unknown authentication request.
            (vec![b'R', 0, 0, 0, 8, 0, 0, 0, 99], "08P01"),
            // Ends in the middle of a message.
            (vec![b'R', 0, 0, 0, 8, 0], "08006"),
            // Nothing at all.
            (vec![], "08006"),
        ];
        for (bytes, code) in cases {
            let port = fake_server(bytes.clone())?;
            let target = format!("host=127.0.0.1 port={port} user=u sslmode=disable");
            match Remote::connect(&target) {
                Ok(_) => panic!("{bytes:?} connected"),
                Err(e) => assert_eq!(e.code, code, "{bytes:?}: {e:?}"),
            }
        }
        Ok(())
    }

    /// A message with type `t` and `body`, as a server sends it.
    fn msg(t: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![t];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// The type and body of the message a fake server received.
    type Received = (u8, Vec<u8>);
    /// What a fake server thread returns when it ends.
    type Pending = std::thread::JoinHandle<Option<Received>>;

    /// A server that asks for a password with `request` and answers what it got.
    fn password_server(request: Vec<u8>) -> Result<(u16, Pending), Box<dyn std::error::Error>> {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = l.local_addr()?.port();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().ok()?;
            let mut len = [0u8; 4];
            s.read_exact(&mut len).ok()?;
            let mut startup = vec![0u8; (u32::from_be_bytes(len) as usize).checked_sub(4)?];
            s.read_exact(&mut startup).ok()?;
            s.write_all(&request).ok()?;
            let mut head = [0u8; 5];
            s.read_exact(&mut head).ok()?;
            let n = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; n.checked_sub(4)?];
            s.read_exact(&mut body).ok()?;
            let mut reply = msg(b'R', &0i32.to_be_bytes());
            reply.extend(msg(b'S', b"server_version\x0015.9 (Fake)\x00"));
            reply.extend(msg(b'K', &[0, 0, 0, 7, 0, 0, 0, 9]));
            reply.extend(msg(b'Z', b"I"));
            s.write_all(&reply).ok()?;
            // Until the client goes (Terminate, then end of stream).
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
            Some((head[0], body))
        });
        Ok((port, h))
    }

    #[test]
    fn cleartext_and_md5_passwords() -> Result<(), Box<dyn std::error::Error>> {
        let target = |port: u16| {
            format!("host=127.0.0.1 port={port} user=ann password=pw dbname=d sslmode=disable")
        };
        let (port, h) = password_server(msg(b'R', &3i32.to_be_bytes()))?;
        let c = Remote::connect(&target(port)).map_err(|e| e.message)?;
        assert_eq!(c.parameter("server_version"), Some("15.9 (Fake)"));
        assert_eq!(
            c.describe(),
            format!("server 127.0.0.1:{port} (PostgreSQL 15.9)")
        );
        assert_eq!(c.key, Some((7, 9)));
        drop(c);
        assert_eq!(h.join().ok().flatten(), Some((b'p', b"pw\0".to_vec())));

        let mut md5 = 5i32.to_be_bytes().to_vec();
        md5.extend_from_slice(&[1, 2, 3, 4]);
        let (port, h) = password_server(msg(b'R', &md5))?;
        drop(Remote::connect(&target(port)).map_err(|e| e.message)?);
        // md5(md5(password || user) in hex || salt), computed independently.
        assert_eq!(
            h.join().ok().flatten(),
            Some((b'p', b"md5a335d190b06ad46beac777faed56dfd2\0".to_vec()))
        );
        Ok(())
    }

    /// A client whose server end is `peer` (already past startup).
    fn over_pair() -> Result<(Remote, UnixStream), Box<dyn std::error::Error>> {
        let (mine, peer) = UnixStream::pair()?;
        let config =
            Config::parse_with("host=/nonexistent user=u", &env_of(&[])).map_err(|e| e.message)?;
        let host = config.hosts[0].clone();
        let r = Remote {
            address: host.address(),
            host,
            config,
            wire: Some(Wire::new(Stream::Unix(mine))),
            params: HashMap::new(),
            key: None,
            status: TxStatus::Idle,
            tls: false,
            binding: None,
            bound: false,
        };
        Ok((r, peer))
    }

    #[test]
    fn garbage_in_a_query_response_breaks_the_connection_cleanly()
    -> Result<(), Box<dyn std::error::Error>> {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            // A DataRow whose value runs past its end.
            (msg(b'D', &[0, 1, 0, 0, 0, 9, b'x']), "08P01"),
            // A RowDescription cut short.
            (msg(b'T', &[0, 2, b'a', 0, 0]), "08P01"),
            // A CommandComplete without its terminating zero.
            (msg(b'C', b"SELECT 1"), "08P01"),
            // An unknown transaction status.
            (msg(b'Z', b"?"), "08P01"),
            // An authentication request in the middle of a query.
            (msg(b'R', &0i32.to_be_bytes()), "08P01"),
            // The stream ends before ReadyForQuery.
            (msg(b'C', b"SELECT 1\0"), "08006"),
        ];
        for (bytes, code) in cases {
            let (mut r, mut peer) = over_pair()?;
            peer.write_all(&bytes)?;
            peer.shutdown(std::net::Shutdown::Write)?;
            let e = r
                .run("SELECT 1", &mut super::super::Collect::default())
                .err()
                .unwrap_or_else(|| panic!("{bytes:?} succeeded"));
            assert_eq!(e.code, code, "{bytes:?}: {e:?}");
            let e = r
                .run("SELECT 1", &mut super::super::Collect::default())
                .err()
                .unwrap_or_else(|| panic!("{bytes:?}: ran after the break"));
            assert_eq!(e.code, "08003");
        }
        Ok(())
    }

    #[test]
    fn random_bytes_never_panic() -> Result<(), Box<dyn std::error::Error>> {
        // xorshift: reproducible without a dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let tags = b"123AcCdDEGHIKnNRsStTZW!";
        for _ in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..(next() % 6) {
                let tag = tags[(next() % tags.len() as u64) as usize];
                let body: Vec<u8> = (0..next() % 24).map(|_| next() as u8).collect();
                if next() % 8 == 0 {
                    // A lying length now and then.
                    bytes.push(tag);
                    bytes.extend_from_slice(&(next() as u32).to_be_bytes());
                    bytes.extend_from_slice(&body);
                } else {
                    bytes.extend(msg(tag, &body));
                }
            }
            let (mut r, mut peer) = over_pair()?;
            peer.write_all(&bytes)?;
            peer.shutdown(std::net::Shutdown::Write)?;
            // Any answer but a panic or a hang.
            let _ = r.run("SELECT 1", &mut super::super::Collect::default());
        }
        Ok(())
    }
}
