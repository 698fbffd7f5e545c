//! Basalt's server: the PostgreSQL wire protocol (version 3) over the SQL session, so that
//! psql, pgbench and the PostgreSQL drivers work unmodified.
//!
//! This crate only translates between the wire and [`basalt_sql::Session`] (design.md §1):
//! it knows nothing of storage. The message framing is the `pgwire` crate's; the network is
//! `tokio`'s; TLS is `rustls` with the ring provider.
//!
//! # Shape
//!
//! ```text
//!  accept loop (tokio) ──► per connection: startup, TLS, authentication (async)
//!        │                    │ then the socket (and its TLS state) moves to
//!        │                    ▼
//!        │              session thread: blocking reads, Session, protocol state,
//!        │              statements, portals, blocking writes (io, worker)
//!        ▼
//!  cancel requests: by (process id, secret) to the session's interrupt;
//!  shutdown: a flag, and each socket's read side shut
//! ```
//!
//! Each connection's session runs on its own thread, as PostgreSQL's backends run in their
//! own processes: the engine blocks on row locks and commit fsyncs, and a round trip costs
//! no hand-over between threads. See docs/server.md for the protocol coverage and the
//! choices made.

mod auth;
pub mod config;
mod conn;
pub mod frame;
pub mod hba;
mod io;
mod spill;
mod wire;
mod worker;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

pub use config::Config;
pub use hba::Hba;
use parking_lot::Mutex;
use tokio::net::{TcpListener, UnixListener};

/// Errors starting or running the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(String),
    /// The database could not be opened.
    #[error("database: {0}")]
    Database(#[from] basalt::Error),
    /// A socket or file operation failed.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// What cancels a connection's running statement.
type Canceller = Arc<dyn Fn() + Send + Sync>;

/// The stack of a session's thread (the engine recurses over expressions and plans).
pub(crate) const SESSION_STACK: usize = 8 << 20;

/// A running connection, as the server sees it from outside.
struct Running {
    secret: i32,
    cancel: Canceller,
    shut: Arc<io::ShutdownHandle>,
}

/// State shared by all connections.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) db: basalt::Database,
    pub(crate) hba: Hba,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    /// Open client connections (for max_connections).
    pub(crate) connections: AtomicUsize,
    /// Open connections by role, for roles with a `CONNECTION LIMIT`.
    pub(crate) per_role: Mutex<HashMap<String, usize>>,
    next_pid: AtomicI32,
    /// Running connections by process id.
    running: Mutex<HashMap<i32, Running>>,
    /// Set when the server begins to shut down (read by the session threads).
    pub(crate) shutting_down: Arc<std::sync::atomic::AtomicBool>,
    /// A random secret of this server run (mock SCRAM salts for unknown roles).
    pub(crate) secret: [u8; 32],
}

impl State {
    /// A new process id for a connection.
    pub(crate) fn next_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn register(
        &self,
        pid: i32,
        secret: i32,
        cancel: Canceller,
        shut: Arc<io::ShutdownHandle>,
    ) {
        self.running.lock().insert(
            pid,
            Running {
                secret,
                cancel,
                shut,
            },
        );
    }

    pub(crate) fn unregister(&self, pid: i32) {
        self.running.lock().remove(&pid);
    }

    /// A cancel request: cancels the connection's running statement if the secret matches
    /// (a wrong one is ignored without a word, as in PostgreSQL).
    pub(crate) fn cancel(&self, pid: i32, secret: i32) {
        let c = self
            .running
            .lock()
            .get(&pid)
            .filter(|r| r.secret == secret)
            .map(|r| r.cancel.clone());
        match c {
            Some(c) => c(),
            None => tracing::debug!(pid, "cancel request for an unknown process"),
        }
    }

    fn cancel_all(&self) {
        let all: Vec<Canceller> = self
            .running
            .lock()
            .values()
            .map(|r| r.cancel.clone())
            .collect();
        for c in all {
            c();
        }
    }

    /// Begins the shutdown: every session thread sees the flag, and those waiting for their
    /// client wake up (their socket's read side is shut).
    fn begin_shutdown(&self) {
        self.shutting_down
            .store(true, std::sync::atomic::Ordering::Release);
        for r in self.running.lock().values() {
            r.shut.shutdown_read();
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    state: Arc<State>,
    tcp: TcpListener,
    unix: Option<(UnixListener, PathBuf)>,
}

impl Server {
    /// Opens the database and binds the listeners (port 0 picks a free port).
    pub async fn bind(config: Config) -> Result<Server, ServerError> {
        std::fs::create_dir_all(&config.data)
            .map_err(|e| ServerError::Io(format!("cannot create {}", config.data.display()), e))?;
        let db = basalt::Database::open(&config.data)?;
        bootstrap(&db, &config)?;
        let hba = match &config.hba_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ServerError::Io(format!("cannot read {}", p.display()), e))?;
                Hba::parse(&text)
                    .map_err(|e| ServerError::Config(format!("{}: {e}", p.display())))?
            }
            None => Hba::default(),
        };
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(c), Some(k)) => Some(conn::tls_acceptor(c, k)?),
            (None, None) => None,
            _ => {
                return Err(ServerError::Config(
                    "TLS needs both a certificate and a key".into(),
                ));
            }
        };
        let tcp = TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServerError::Io(format!("cannot listen on {}", config.listen), e))?;
        let port = tcp
            .local_addr()
            .map_err(|e| ServerError::Io("local address".into(), e))?
            .port();
        let unix = match &config.socket_dir {
            Some(dir) => {
                let path = dir.join(format!(".s.PGSQL.{port}"));
                // A socket file left by a server that died is in the way.
                if path.exists() {
                    let _ = std::fs::remove_file(&path);
                }
                let l = UnixListener::bind(&path).map_err(|e| {
                    ServerError::Io(format!("cannot listen on {}", path.display()), e)
                })?;
                Some((l, path))
            }
            None => None,
        };
        let state = Arc::new(State {
            config,
            db,
            hba,
            tls,
            connections: AtomicUsize::new(0),
            per_role: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(
                i32::try_from(std::process::id() % 100_000).unwrap_or(0) * 1000 + 1,
            ),
            running: Mutex::new(HashMap::new()),
            shutting_down: Arc::default(),
            secret: rand::random(),
        });
        Ok(Server { state, tcp, unix })
    }

    /// The TCP address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.local_addr().ok()
    }

    /// Serves connections until `stop` completes, then shuts down gracefully: stops
    /// accepting, lets running statements finish for up to the shutdown timeout (then
    /// cancels them), ends the connections and checkpoints the database.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) -> Result<(), ServerError> {
        let Server { state, tcp, unix } = self;
        let listen = tcp
            .local_addr()
            .map_or_else(|_| state.config.listen.to_string(), |a| a.to_string());
        tracing::info!(
            listen = %listen,
            socket = ?unix.as_ref().map(|u| u.1.display().to_string()),
            "ready to accept connections"
        );
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                r = tcp.accept() => match r {
                    Ok((s, peer)) => {
                        let _ = s.set_nodelay(true);
                        let st = state.clone();
                        tokio::spawn(async move { conn::tcp(s, peer, st).await });
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
                r = async { match &unix { Some((l, _)) => l.accept().await, None => std::future::pending().await } } => match r {
                    Ok((s, _)) => {
                        let st = state.clone();
                        tokio::spawn(async move { conn::unix(s, st).await });
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
        tracing::info!("shutting down");
        drop(tcp);
        if let Some((l, path)) = unix {
            drop(l);
            let _ = std::fs::remove_file(path);
        }
        state.begin_shutdown();
        let deadline = tokio::time::Instant::now() + state.config.shutdown_timeout;
        let mut cancelled = false;
        while state.connections.load(Ordering::Acquire) > 0 {
            if !cancelled && tokio::time::Instant::now() >= deadline {
                tracing::warn!("cancelling running statements");
                state.cancel_all();
                cancelled = true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let db = state.db.clone();
        tokio::task::spawn_blocking(move || db.checkpoint())
            .await
            .map_err(|e| ServerError::Config(format!("checkpoint task failed: {e}")))??;
        tracing::info!("shut down");
        Ok(())
    }
}

/// On first start, gives the bootstrap superuser (`config.user`) its password: from
/// `config.password`, else the first line of `config.password_file`, else a generated one
/// printed once, and creates a database of its name. A role that has a password already is
/// left alone.
fn bootstrap(db: &basalt::Database, config: &Config) -> Result<(), ServerError> {
    let mut s = db.session();
    let info = s.login_info(&config.user).map_err(basalt::Error::from)?;
    if info.as_ref().is_some_and(|i| i.verifier.is_some()) {
        return Ok(());
    }
    let (password, generated) = match (&config.password, &config.password_file) {
        (Some(p), _) => (p.clone(), false),
        (None, Some(f)) => {
            let text = std::fs::read_to_string(f)
                .map_err(|e| ServerError::Io(format!("cannot read {}", f.display()), e))?;
            let p = text.lines().next().unwrap_or("").to_string();
            if p.is_empty() {
                return Err(ServerError::Config(format!(
                    "{}: the password file is empty",
                    f.display()
                )));
            }
            (p, false)
        }
        (None, None) => {
            let bytes: [u8; 18] = rand::random();
            use base64::Engine as _;
            (
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
                true,
            )
        }
    };
    let ident = basalt_sql::parse::quote_identifier(&config.user);
    let literal = basalt_func::string::quote_literal(&password);
    let sql = if info.is_some() {
        format!("ALTER ROLE {ident} WITH LOGIN PASSWORD {literal}")
    } else {
        format!("CREATE ROLE {ident} WITH SUPERUSER LOGIN PASSWORD {literal}")
    };
    s.execute(&sql).map_err(basalt::Error::from)?;
    // As PostgreSQL's images do, the superuser gets a database of its name, which clients
    // connect to when they name none (`postgres` is the directory's first database).
    let shared = db.cluster().shared_catalog().map_err(basalt::Error::from)?;
    if shared.database(&config.user).is_none() {
        s.execute(&format!("CREATE DATABASE {ident} OWNER {ident}"))
            .map_err(basalt::Error::from)?;
        tracing::info!(database = %config.user, "created the superuser's database");
    }
    if generated {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "basalt: the superuser \"{}\" was given the password: {password}\n\
                 basalt: (shown only now; change it with ALTER ROLE ... PASSWORD)",
                config.user
            );
        }
    }
    tracing::info!(user = %config.user, "bootstrap superuser has a password");
    Ok(())
}

/// Runs a server until SIGINT or SIGTERM (building its own runtime).
pub fn serve(config: Config) -> Result<(), ServerError> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| ServerError::Io("runtime".into(), e))?;
    rt.block_on(async move {
        let server = Server::bind(config).await?;
        server.run(shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("cannot watch SIGTERM: {e}");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
