//! A connection's life on the async side: the startup packet (with TLS negotiation and
//! cancel requests) and authentication; then the socket moves to the session's own thread
//! ([`crate::io`], [`crate::worker`]).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::{Buf, BytesMut};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::startup::{
    Authentication, BackendKeyData, NegotiateProtocolVersion, SecretKey,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use crate::hba::{ConnKind, Method};
use crate::worker::Worker;
use crate::{ServerError, State};

/// A client stream after TLS negotiation, during startup and authentication.
enum AsyncConn {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    Unix(UnixStream),
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            AsyncConn::Tcp($s) => $e,
            AsyncConn::Tls($s) => $e,
            AsyncConn::Unix($s) => $e,
        }
    };
}

impl AsyncRead for AsyncConn {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        each!(self, s => std::pin::Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for AsyncConn {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        each!(self, s => std::pin::Pin::new(s).poll_write(cx, buf))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        each!(self, s => std::pin::Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        each!(self, s => std::pin::Pin::new(s).poll_shutdown(cx))
    }
}

impl AsyncConn {
    /// The socket for blocking use on the session's thread (TLS state included).
    fn into_sync(self) -> std::io::Result<crate::io::SyncStream> {
        use crate::io::SyncStream;
        Ok(match self {
            AsyncConn::Tcp(s) => {
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                SyncStream::Tcp(s)
            }
            AsyncConn::Unix(s) => {
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                SyncStream::Unix(s)
            }
            AsyncConn::Tls(t) => {
                let (s, conn) = t.into_inner();
                let s = s.into_std()?;
                s.set_nonblocking(false)?;
                SyncStream::Tls(Box::new(rustls::StreamOwned::new(conn, s)))
            }
        })
    }
}

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

/// Counts a connection against its role's `CONNECTION LIMIT` for as long as it lives.
struct RoleSlot(Arc<State>, String);

impl RoleSlot {
    /// Takes a slot of `user`'s limit (-1: none), or `None` if the role has used them all.
    fn take(state: &Arc<State>, user: &str, limit: i32) -> Option<Option<RoleSlot>> {
        let Ok(limit) = usize::try_from(limit) else {
            return Some(None);
        };
        let mut roles = state.per_role.lock();
        let n = roles.entry(user.to_string()).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Some(RoleSlot(state.clone(), user.to_string())))
    }
}

impl Drop for RoleSlot {
    fn drop(&mut self) {
        let mut roles = self.0.per_role.lock();
        if let Some(n) = roles.get_mut(&self.1) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                roles.remove(&self.1);
            }
        }
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
    let (packet, stream, tls): (Startup, AsyncConn, bool) = match first {
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
                    Ok(p) => (p, AsyncConn::Tls(Box::new(t)), true),
                    Err(e) => return tracing::debug!(%peer, "startup: {e}"),
                }
            }
            None => {
                if s.write_all(b"N").await.is_err() {
                    return;
                }
                match read_startup(&mut s).await {
                    Ok(p) => (p, AsyncConn::Tcp(s), false),
                    Err(e) => return tracing::debug!(%peer, "startup: {e}"),
                }
            }
        },
        other => (other, AsyncConn::Tcp(s), false),
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
    session(packet, AsyncConn::Unix(s), ConnKind::Local, state).await;
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

pub(crate) async fn send<S: AsyncWrite + Unpin>(
    s: &mut S,
    m: PgWireBackendMessage,
) -> std::io::Result<()> {
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
async fn session(packet: Startup, mut stream: AsyncConn, kind: ConnKind, state: Arc<State>) {
    let (minor, params) = match packet {
        Startup::Cancel(pid, secret) => return state.cancel(pid, secret),
        Startup::Ssl => {
            return fatal(&mut stream, "08P01", "duplicate SSL negotiation request").await;
        }
        Startup::Start { minor, params } => (minor, params),
    };
    let n = state.connections.fetch_add(1, Ordering::AcqRel) + 1;
    let slot = Slot(state.clone());
    if n > state.config.max_connections {
        return fatal(&mut stream, "53300", "sorry, too many clients already").await;
    }
    if state.shutting_down.load(Ordering::Acquire) {
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
    let superuser: bool;
    let mut role_slot = None;
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
        Some(method) => {
            let db = state.db.clone();
            let name = user.clone();
            let info = tokio::task::spawn_blocking(move || db.session().login_info(&name)).await;
            let info = match info {
                Ok(Ok(i)) => i,
                Ok(Err(e)) => return fatal(&mut stream, e.code().code(), &e.message()).await,
                Err(e) => return tracing::warn!("login lookup failed: {e}"),
            };
            superuser = info.as_ref().is_some_and(|i| i.superuser);
            let verifier =
                crate::auth::usable_verifier(info.as_ref(), basalt_sql::engine::now_micros());
            let outcome = match method {
                Method::Trust => Ok(()),
                // Refused above, before any exchange.
                Method::Reject => Err(crate::auth::Failed("28000", "connection rejected".into())),
                Method::ScramSha256 => {
                    crate::auth::scram(&mut stream, &user, verifier, &state.secret).await
                }
                Method::Password => crate::auth::password(&mut stream, &user, verifier).await,
            };
            if let Err(crate::auth::Failed(code, message)) = outcome {
                tracing::info!(%user, %host, "authentication failed: {message}");
                return fatal(&mut stream, code, &message).await;
            }
            match info {
                None => {
                    return fatal(
                        &mut stream,
                        "28000",
                        &format!("role \"{user}\" does not exist"),
                    )
                    .await;
                }
                Some(i) if !i.can_login => {
                    return fatal(
                        &mut stream,
                        "28000",
                        &format!("role \"{user}\" is not permitted to log in"),
                    )
                    .await;
                }
                // PostgreSQL's CONNECTION LIMIT binds every role but superusers.
                Some(i) if !i.superuser => {
                    match RoleSlot::take(&state, &user, i.connection_limit) {
                        Some(s) => role_slot = s,
                        None => {
                            return fatal(
                                &mut stream,
                                "53300",
                                &format!("too many connections for role \"{user}\""),
                            )
                            .await;
                        }
                    }
                }
                Some(_) => {}
            }
        }
    }
    // The session, with the startup packet's settings as its defaults.
    let mut session = match state.db.cluster().connect(&database, superuser) {
        Ok(s) => s,
        Err(e) => return fatal(&mut stream, e.code().code(), &e.message()).await,
    };
    if let Err(e) = session.set_session_user(&user) {
        return fatal(&mut stream, e.code().code(), &e.message()).await;
    }
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
    if stream.flush().await.is_err() {
        return;
    }
    let stream = match stream.into_sync() {
        Ok(s) => s,
        Err(e) => return tracing::warn!("cannot hand the socket to the session: {e}"),
    };
    let io = crate::io::Io::new(
        stream,
        state.config.max_message_size,
        state.shutting_down.clone(),
    );
    let shut = match io.shutdown_handle() {
        Ok(h) => Arc::new(h),
        Err(e) => return tracing::warn!("cannot clone the socket: {e}"),
    };
    session.set_process_id(pid);
    // DROP DATABASE ... WITH (FORCE) ends the connection: its statement is cancelled and
    // its next read ends it with 57P01.
    let terminated = io.terminated();
    let interrupt = session.interrupt_handle();
    let read_side = shut.clone();
    session.set_terminator(Arc::new(move || {
        terminated.store(true, Ordering::Release);
        interrupt.cancel();
        read_side.shutdown_read();
    }));
    let interrupt = session.interrupt_handle();
    state.register(pid, secret, Arc::new(move || interrupt.cancel()), shut);
    let worker = Worker::new(session, io);
    let st = state.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("conn-{pid}"))
        .stack_size(crate::SESSION_STACK)
        .spawn(move || {
            let _slot = slot;
            let _role_slot = role_slot;
            worker.run();
            st.unregister(pid);
            tracing::debug!(pid, "connection closed");
        });
    if let Err(e) = spawned {
        state.unregister(pid);
        tracing::warn!("cannot start a session thread: {e}");
    }
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
