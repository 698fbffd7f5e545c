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
//!        │                    │
//!        │              reader task ──Inbound──► session thread (blocking: Session, protocol
//!        │                                         state, statements, portals) ──bytes──►
//!        │                                         writer (the connection's task) ──► socket
//!        ▼
//!  cancel requests: by (process id, secret) to the session's interrupt
//! ```
//!
//! Each connection's session runs on its own blocking thread ([`worker`]): the engine blocks
//! on row locks and commit fsyncs, and a statement's whole run (or a pipeline of messages up
//! to Sync) costs one hand-over between the async side and that thread. See
//! docs/server.md for the protocol coverage and the choices made.

pub mod config;
mod conn;
pub mod frame;
pub mod hba;
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
use tokio::sync::watch;

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

/// State shared by all connections.
pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) db: basalt::Database,
    pub(crate) hba: Hba,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    /// Open client connections (for max_connections).
    pub(crate) connections: AtomicUsize,
    next_pid: AtomicI32,
    /// Running connections by process id: their cancel secret and canceller.
    cancels: Mutex<HashMap<i32, (i32, Canceller)>>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl State {
    /// A new process id for a connection.
    pub(crate) fn next_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn register_cancel(&self, pid: i32, secret: i32, cancel: Canceller) {
        self.cancels.lock().insert(pid, (secret, cancel));
    }

    pub(crate) fn unregister_cancel(&self, pid: i32) {
        self.cancels.lock().remove(&pid);
    }

    /// A cancel request: cancels the connection's running statement if the secret matches
    /// (a wrong one is ignored without a word, as in PostgreSQL).
    pub(crate) fn cancel(&self, pid: i32, secret: i32) {
        let c = self
            .cancels
            .lock()
            .get(&pid)
            .filter(|(s, _)| *s == secret)
            .map(|(_, c)| c.clone());
        match c {
            Some(c) => c(),
            None => tracing::debug!(pid, "cancel request for an unknown process"),
        }
    }

    fn cancel_all(&self) {
        let all: Vec<Canceller> = self
            .cancels
            .lock()
            .values()
            .map(|(_, c)| c.clone())
            .collect();
        for c in all {
            c();
        }
    }
}

/// A bound server, ready to run.
pub struct Server {
    state: Arc<State>,
    tcp: TcpListener,
    unix: Option<(UnixListener, PathBuf)>,
    shutdown_tx: watch::Sender<bool>,
}

impl Server {
    /// Opens the database and binds the listeners (port 0 picks a free port).
    pub async fn bind(config: Config) -> Result<Server, ServerError> {
        std::fs::create_dir_all(&config.data)
            .map_err(|e| ServerError::Io(format!("cannot create {}", config.data.display()), e))?;
        let db = basalt::Database::open(&config.data)?;
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
        let (shutdown_tx, shutdown) = watch::channel(false);
        let state = Arc::new(State {
            config,
            db,
            hba,
            tls,
            connections: AtomicUsize::new(0),
            next_pid: AtomicI32::new(
                i32::try_from(std::process::id() % 100_000).unwrap_or(0) * 1000 + 1,
            ),
            cancels: Mutex::new(HashMap::new()),
            shutdown,
        });
        Ok(Server {
            state,
            tcp,
            unix,
            shutdown_tx,
        })
    }

    /// The TCP address the server listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.local_addr().ok()
    }

    /// Serves connections until `stop` completes, then shuts down gracefully: stops
    /// accepting, lets running statements finish for up to the shutdown timeout (then
    /// cancels them), ends the connections and checkpoints the database.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) -> Result<(), ServerError> {
        let Server {
            state,
            tcp,
            unix,
            shutdown_tx,
        } = self;
        tracing::info!(
            listen = %state.config.listen,
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
        let _ = shutdown_tx.send(true);
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

/// Runs a server until SIGINT or SIGTERM (building its own runtime).
pub fn serve(config: Config) -> Result<(), ServerError> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        // Every connection's session holds a blocking thread while it is open.
        .max_blocking_threads(config.max_connections + 16)
        .thread_stack_size(4 << 20)
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
