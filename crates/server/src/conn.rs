//! A connection's life on the async side: the startup packet (with TLS negotiation and
//! cancel requests), authentication, then the pump between the socket and the session thread
//! ([`crate::worker`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use bytes::{Buf, Bytes, BytesMut};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::TransactionStatus as Rfq;
use pgwire::messages::startup::{
    Authentication, BackendKeyData, NegotiateProtocolVersion, SecretKey,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::mpsc;

use crate::hba::{ConnKind, Method};
use crate::worker::{Inbound, Worker};
use crate::{ServerError, State};

/// A client stream after TLS negotiation.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

const SSL_REQUEST: i32 = 80_877_103;
const GSSENC_REQUEST: i32 = 80_877_104;
const CANCEL_REQUEST: i32 = 80_877_102;
/// The largest startup packet accepted (PostgreSQL's MAX_STARTUP_PACKET_LENGTH).
const MAX_STARTUP: usize = 10_000;

/// Counts an open connection for as long as it lives.
struct Slot(Arc<State>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The TLS acceptor for a certificate chain and key in PEM files.
pub(crate) fn tls_acceptor(
    cert: &Path,
    key: &Path,
) -> Result<tokio_rustls::TlsAcceptor, ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| ServerError::Config(format!("{}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| ServerError::Config(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(ServerError::Config(format!(
            "{}: no certificate found",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServerError::Config(format!("{}: {e}", key.display())))?;
    // ring, not aws-lc (a C/CMake build); rustls marks ring's provider deprecated only
    // because it lacks post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServerError::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServerError::Config(format!("TLS: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A TCP connection.
pub(crate) async fn tcp(mut s: TcpStream, peer: SocketAddr, state: Arc<State>) {
    // SSL negotiation happens on the raw socket, before anything else.
    let first = match read_startup(&mut s).await {
        Ok(p) => p,
        Err(e) => return tracing::debug!(%peer, "startup: {e}"),
    };
    let (packet, stream, tls): (Startup, Box<dyn Stream>, bool) = match first {
        Startup::Ssl => match &state.tls {
            Some(acceptor) => {
                if s.write_all(b"S").await.is_err() {
                    return;
                }
                let mut t = match acceptor.accept(s).await {
                    Ok(t) => t,
                    Err(e) => return tracing::debug!(%peer, "TLS handshake: {e}"),
                };
                match read_startup(&mut t).await {
                    Ok(p) => (p, Box::new(t), true),
                    Err(e) => return tracing::debug!(%peer, "startup: {e}"),
                }
            }
            None => {
                if s.write_all(b"N").await.is_err() {
                    return;
                }
                match read_startup(&mut s).await {
                    Ok(p) => (p, Box::new(s), false),
                    Err(e) => return tracing::debug!(%peer, "startup: {e}"),
                }
            }
        },
        other => (other, Box::new(s), false),
    };
    let kind = ConnKind::Host {
        addr: peer.ip(),
        tls,
    };
    session(packet, stream, kind, state).await;
}

/// A Unix-domain socket connection.
pub(crate) async fn unix(mut s: UnixStream, state: Arc<State>) {
    let packet = match read_startup(&mut s).await {
        // No TLS over the local socket: refused, and the client goes on in clear.
        Ok(Startup::Ssl) => {
            if s.write_all(b"N").await.is_err() {
                return;
            }
            match read_startup(&mut s).await {
                Ok(p) => p,
                Err(e) => return tracing::debug!("startup: {e}"),
            }
        }
        Ok(p) => p,
        Err(e) => return tracing::debug!("startup: {e}"),
    };
    session(packet, Box::new(s), ConnKind::Local, state).await;
}

/// What the first packet asked.
enum Startup {
    Ssl,
    Cancel(i32, i32),
    Start {
        minor: u16,
        params: Vec<(String, String)>,
    },
}

/// Reads a startup-phase packet (length-prefixed, no type byte), answering GSSAPI
/// encryption requests with "no" on the way.
async fn read_startup<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> Result<Startup, String> {
    loop {
        let len = s.read_i32().await.map_err(|e| e.to_string())?;
        let len = usize::try_from(len)
            .ok()
            .filter(|l| (8..=MAX_STARTUP).contains(l))
            .ok_or("invalid length of startup packet")?;
        let mut body = vec![0u8; len - 4];
        s.read_exact(&mut body).await.map_err(|e| e.to_string())?;
        let mut b = &body[..];
        let code = b.get_i32();
        match code {
            SSL_REQUEST => return Ok(Startup::Ssl),
            GSSENC_REQUEST => {
                s.write_all(b"N").await.map_err(|e| e.to_string())?;
            }
            CANCEL_REQUEST => {
                if b.remaining() < 8 {
                    return Err("invalid cancel request".into());
                }
                let pid = b.get_i32();
                let secret = b.get_i32();
                return Ok(Startup::Cancel(pid, secret));
            }
            _ => {
                let major = (code >> 16) as u16;
                let minor = (code & 0xffff) as u16;
                if major != 3 {
                    let msg = format!(
                        "unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"
                    );
                    let _ = send(s, crate::wire::error_of("FATAL", "0A000", &msg)).await;
                    return Err(msg);
                }
                let mut params = Vec::new();
                let mut fields = b.split(|c| *c == 0);
                while let Some(k) = fields.next() {
                    if k.is_empty() {
                        break;
                    }
                    let v = fields.next().ok_or("invalid startup packet layout")?;
                    let k = String::from_utf8(k.to_vec()).map_err(|_| "invalid UTF-8")?;
                    let v = String::from_utf8(v.to_vec()).map_err(|_| "invalid UTF-8")?;
                    params.push((k, v));
                }
                return Ok(Startup::Start { minor, params });
            }
        }
    }
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, m: PgWireBackendMessage) -> std::io::Result<()> {
    let mut buf = BytesMut::new();
    if let Err(e) = m.encode(&mut buf) {
        return Err(std::io::Error::other(e.to_string()));
    }
    s.write_all(&buf).await?;
    s.flush().await
}

async fn fatal<S: AsyncWrite + Unpin>(s: &mut S, code: &str, message: &str) {
    let _ = send(s, crate::wire::error_of("FATAL", code, message)).await;
}

/// Startup through authentication, then the session.
async fn session(packet: Startup, mut stream: Box<dyn Stream>, kind: ConnKind, state: Arc<State>) {
    let (minor, params) = match packet {
        Startup::Cancel(pid, secret) => return state.cancel(pid, secret),
        Startup::Ssl => {
            return fatal(&mut stream, "08P01", "duplicate SSL negotiation request").await;
        }
        Startup::Start { minor, params } => (minor, params),
    };
    let n = state.connections.fetch_add(1, Ordering::AcqRel) + 1;
    let _slot = Slot(state.clone());
    if n > state.config.max_connections {
        return fatal(&mut stream, "53300", "sorry, too many clients already").await;
    }
    if *state.shutdown.borrow() {
        return fatal(&mut stream, "57P03", "the database system is shutting down").await;
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(user) = get("user").filter(|u| !u.is_empty()) else {
        return fatal(
            &mut stream,
            "28000",
            "no PostgreSQL user name specified in startup packet",
        )
        .await;
    };
    let database = get("database")
        .filter(|d| !d.is_empty())
        .unwrap_or(user.clone());
    if minor > 0 {
        // PostgreSQL 15 speaks 3.0; options it does not know (`_pq_.*`) are listed back.
        let unsupported = params
            .iter()
            .filter(|(k, _)| k.starts_with("_pq_."))
            .map(|(k, _)| k.clone())
            .collect();
        if send(
            &mut stream,
            PgWireBackendMessage::NegotiateProtocolVersion(NegotiateProtocolVersion::new(
                0,
                unsupported,
            )),
        )
        .await
        .is_err()
        {
            return;
        }
    }

    // Authentication.
    let host = match kind {
        ConnKind::Local => "[local]".to_string(),
        ConnKind::Host { addr, .. } => addr.to_string(),
    };
    let method = state.hba.method(kind, &database, &user);
    let encryption = match kind {
        ConnKind::Host { tls: true, .. } => "SSL encryption",
        _ => "no encryption",
    };
    match method {
        None => {
            return fatal(
                &mut stream,
                "28000",
                &format!(
                    "no pg_hba.conf entry for host \"{host}\", user \"{user}\", database \"{database}\", {encryption}"
                ),
            )
            .await;
        }
        Some(Method::Reject) => {
            return fatal(
                &mut stream,
                "28000",
                &format!(
                    "pg_hba.conf rejects connection for host \"{host}\", user \"{user}\", database \"{database}\", {encryption}"
                ),
            )
            .await;
        }
        Some(Method::Trust) => {}
        Some(Method::ScramSha256 | Method::Password) => {
            return fatal(
                &mut stream,
                "28000",
                &format!("password authentication failed for user \"{user}\""),
            )
            .await;
        }
    }
    if database != basalt_sql::system::tables::DATABASE_NAME {
        return fatal(
            &mut stream,
            "3D000",
            &format!("database \"{database}\" does not exist"),
        )
        .await;
    }

    // The session, with the startup packet's settings as its defaults.
    let mut session = state.db.session();
    for (k, v) in &params {
        let r = match k.as_str() {
            "user" | "database" | "replication" => Ok(()),
            "options" => apply_options(&mut session, v),
            k if k.starts_with("_pq_.") => Ok(()),
            k => session.set_default(k, v),
        };
        if let Err(e) = r {
            return fatal(&mut stream, e.code().code(), &e.message()).await;
        }
    }
    let pid = state.next_pid();
    let secret: i32 = rand::random();
    let mut hello = BytesMut::new();
    for m in [
        PgWireBackendMessage::Authentication(Authentication::Ok),
        PgWireBackendMessage::BackendKeyData(BackendKeyData::new(pid, SecretKey::I32(secret))),
    ] {
        if m.encode(&mut hello).is_err() {
            return;
        }
    }
    if stream.write_all(&hello).await.is_err() {
        return;
    }
    tracing::debug!(pid, %user, %host, "connection authorized");
    run(stream, session, user, pid, secret, state).await;
}

/// `options` of the startup packet: `-c name=value` and `--name=value` settings.
fn apply_options(
    session: &mut basalt_sql::Session<basalt_txn::LocalKv>,
    options: &str,
) -> Result<(), basalt_sql::SqlError> {
    let mut words = options.split_whitespace();
    while let Some(w) = words.next() {
        let setting = if w == "-c" {
            words.next().unwrap_or("")
        } else if let Some(s) = w.strip_prefix("-c") {
            s
        } else if let Some(s) = w.strip_prefix("--") {
            s
        } else {
            return Err(basalt_sql::SqlError::new(
                "42601",
                format!("invalid command-line argument for server process: {w}"),
            ));
        };
        let Some((k, v)) = setting.split_once('=') else {
            return Err(basalt_sql::SqlError::new(
                "42601",
                format!("-c {setting} requires a value"),
            ));
        };
        session.set_default(&k.replace('-', "_"), v)?;
    }
    Ok(())
}

/// The pump: a reader task feeding the session thread, and this task writing its output.
async fn run(
    stream: Box<dyn Stream>,
    session: basalt_sql::Session<basalt_txn::LocalKv>,
    user: String,
    pid: i32,
    secret: i32,
    state: Arc<State>,
) {
    let (rd, mut wr) = tokio::io::split(stream);
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(64);
    let (out_tx, mut out_rx) = mpsc::channel::<Bytes>(16);
    let status = Arc::new(AtomicU8::new(Rfq::Idle as u8));
    let idle_timeout = Arc::new(std::sync::atomic::AtomicU64::new(0));
    // Until statements can be interrupted, a cancel request is acknowledged by the log only.
    state.register_cancel(
        pid,
        secret,
        Arc::new(move || tracing::info!(pid, "cancel request")),
    );
    let reader = tokio::spawn(read_loop(
        rd,
        in_tx,
        state.config.max_message_size,
        status.clone(),
        idle_timeout.clone(),
        state.shutdown.clone(),
    ));
    let worker = Worker::new(
        session,
        crate::wire::Out::new(out_tx),
        in_rx,
        user,
        status,
        idle_timeout,
    );
    let worker = tokio::task::spawn_blocking(move || worker.run());
    while let Some(chunk) = out_rx.recv().await {
        if wr.write_all(&chunk).await.is_err() {
            break;
        }
    }
    drop(out_rx);
    let _ = wr.shutdown().await;
    reader.abort();
    let _ = worker.await;
    state.unregister_cancel(pid);
    tracing::debug!(pid, "connection closed");
}

/// Decodes frontend messages and queues them for the session thread.
async fn read_loop(
    mut rd: tokio::io::ReadHalf<Box<dyn Stream>>,
    tx: mpsc::Sender<Inbound>,
    max_message: usize,
    status: Arc<AtomicU8>,
    idle_timeout: Arc<std::sync::atomic::AtomicU64>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let ctx = crate::frame::context();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        // Every whole message in the buffer goes to the session thread.
        loop {
            match crate::frame::next_message(&mut buf, &ctx, max_message) {
                Ok(Some(m)) => {
                    if tx.send(Inbound::Msg(m)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Inbound::Fatal("08P01", e)).await;
                    return;
                }
            }
        }
        let in_tx_block = matches!(status.load(Ordering::Relaxed), b'T' | b'E');
        let timeout = idle_timeout.load(Ordering::Relaxed);
        let read = rd.read_buf(&mut buf);
        let n = tokio::select! {
            r = read => r,
            () = async {
                if in_tx_block && timeout > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(timeout)).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                let _ = tx.send(Inbound::Fatal(
                    "25P03",
                    "terminating connection due to idle-in-transaction timeout".into(),
                )).await;
                return;
            }
            () = shutting_down(&mut shutdown) => {
                let _ = tx.send(Inbound::Fatal(
                    "57P01",
                    "terminating connection due to administrator command".into(),
                )).await;
                return;
            }
        };
        match n {
            Ok(0) | Err(_) => {
                let _ = tx.send(Inbound::Closed).await;
                return;
            }
            Ok(_) => {}
        }
    }
}

/// Completes when the server begins to shut down.
async fn shutting_down(w: &mut tokio::sync::watch::Receiver<bool>) {
    loop {
        if *w.borrow_and_update() {
            return;
        }
        if w.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
