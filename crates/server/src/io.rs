//! A connection's socket once the session runs: blocking reads and writes on the session's own
//! thread, as PostgreSQL's backends do.
//!
//! Startup, TLS handshake and authentication run on the async runtime; then the socket
//! (with its TLS state) moves to the connection's thread, which reads a batch of messages,
//! runs them and writes the answers with no hand-over between threads (measured: with the
//! socket on the runtime and the session on a thread, two thread wake-ups per round trip
//! took a third of the time of a prepared point select).
//!
//! What the runtime used to watch is done with the socket itself: the server's shutdown
//! shuts the socket's read side (a blocked read returns end of stream, and the thread sees
//! the shutdown flag), and `idle_in_transaction_session_timeout` is a read timeout set while
//! a transaction block is open.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage};

/// Writes what is buffered once it is this large.
const FLUSH_AT: usize = 64 * 1024;

/// The socket, plain or under TLS.
pub(crate) enum SyncStream {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, std::net::TcpStream>>),
}

impl SyncStream {
    fn set_read_timeout(&self, d: Option<Duration>) -> std::io::Result<()> {
        match self {
            SyncStream::Tcp(s) => s.set_read_timeout(d),
            SyncStream::Unix(s) => s.set_read_timeout(d),
            SyncStream::Tls(s) => s.sock.set_read_timeout(d),
        }
    }

    /// A second handle on the socket, to shut its read side from another thread.
    pub(crate) fn shutdown_handle(&self) -> std::io::Result<ShutdownHandle> {
        Ok(match self {
            SyncStream::Tcp(s) => ShutdownHandle::Tcp(s.try_clone()?),
            SyncStream::Unix(s) => ShutdownHandle::Unix(s.try_clone()?),
            SyncStream::Tls(s) => ShutdownHandle::Tcp(s.sock.try_clone()?),
        })
    }
}

impl Read for SyncStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            SyncStream::Tcp(s) => s.read(buf),
            SyncStream::Unix(s) => s.read(buf),
            SyncStream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for SyncStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            SyncStream::Tcp(s) => s.write(buf),
            SyncStream::Unix(s) => s.write(buf),
            SyncStream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            SyncStream::Tcp(s) => s.flush(),
            SyncStream::Unix(s) => s.flush(),
            SyncStream::Tls(s) => s.flush(),
        }
    }
}

/// Shuts a connection's read side from another thread (server shutdown).
pub(crate) enum ShutdownHandle {
    Tcp(std::net::TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl ShutdownHandle {
    pub(crate) fn shutdown_read(&self) {
        let _ = match self {
            ShutdownHandle::Tcp(s) => s.shutdown(std::net::Shutdown::Read),
            ShutdownHandle::Unix(s) => s.shutdown(std::net::Shutdown::Read),
        };
    }
}

/// What the next read brought.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A message from the client.
    Msg(PgWireFrontendMessage),
    /// The client is gone (end of stream or a read error).
    Closed,
    /// End the connection with a FATAL error (SQLSTATE, message): a malformed message, the
    /// server shuts down, or an idle-in-transaction timeout expired.
    Fatal(&'static str, String),
    /// Nothing arrived for a while, and the session listens (time to look for
    /// notifications) or waits for COPY data (time to look for a cancel).
    Tick,
}

/// How often an idle session that LISTENs looks for notifications.
const NOTIFY_POLL: Duration = Duration::from_millis(20);

/// How often a COPY FROM STDIN waiting for data looks for a cancel or a statement timeout.
const COPY_POLL: Duration = Duration::from_millis(50);

/// The connection's socket with its input and output buffers.
pub(crate) struct Io {
    stream: SyncStream,
    out: BytesMut,
    input: BytesMut,
    ctx: DecodeContext,
    max_message: usize,
    /// Writing failed: the client is gone, output is dropped.
    closed: bool,
    /// The read timeout in force on the socket.
    read_timeout: Option<Duration>,
    /// The idle-in-transaction timeout to apply while a transaction block is open.
    pub(crate) idle_timeout: Option<Duration>,
    /// A transaction block is open (the idle timeout applies to reads).
    pub(crate) in_transaction: bool,
    /// The session listens for notifications: reads wake up every [`NOTIFY_POLL`] while
    /// idle outside a transaction block.
    pub(crate) listening: bool,
    /// A COPY FROM STDIN is reading: reads wake up every [`COPY_POLL`], and the idle
    /// timeout does not apply (a statement is running).
    pub(crate) copy_in: bool,
    shutting_down: Arc<AtomicBool>,
    /// Set when this connection is ended from outside (`DROP DATABASE ... WITH (FORCE)`).
    terminated: Arc<AtomicBool>,
}

impl Io {
    /// The flag that ends this connection at its next read ([`Io::next`]).
    pub(crate) fn terminated(&self) -> Arc<AtomicBool> {
        self.terminated.clone()
    }

    fn stopping(&self) -> bool {
        self.shutting_down.load(Ordering::Acquire) || self.terminated.load(Ordering::Acquire)
    }

    pub(crate) fn new(
        stream: SyncStream,
        max_message: usize,
        shutting_down: Arc<AtomicBool>,
    ) -> Io {
        Io {
            stream,
            out: BytesMut::with_capacity(8192),
            input: BytesMut::with_capacity(8192),
            ctx: crate::frame::context(),
            max_message,
            closed: false,
            read_timeout: None,
            idle_timeout: None,
            in_transaction: false,
            listening: false,
            copy_in: false,
            shutting_down,
            terminated: Arc::default(),
        }
    }

    /// Encodes `msg` into the output buffer.
    pub(crate) fn push(&mut self, msg: PgWireBackendMessage) {
        // Encoding fails only for values that do not fit the protocol's length fields,
        // which the session never produces; such a message is dropped and logged.
        if let Err(e) = msg.encode(&mut self.out) {
            tracing::warn!("could not encode a message: {e}");
        }
        self.maybe_flush();
    }

    /// The output buffer, to write a message by hand (DataRow).
    pub(crate) fn raw(&mut self) -> &mut BytesMut {
        &mut self.out
    }

    /// Writes the buffer out once it is large.
    pub(crate) fn maybe_flush(&mut self) {
        if self.out.len() >= FLUSH_AT {
            self.flush();
        }
    }

    /// Writes what is buffered to the client.
    pub(crate) fn flush(&mut self) {
        if self.out.is_empty() {
            return;
        }
        if !self.closed
            && let Err(e) = self
                .stream
                .write_all(&self.out)
                .and_then(|()| self.stream.flush())
        {
            tracing::debug!("write to client failed: {e}");
            self.closed = true;
        }
        self.out.clear();
    }

    /// Whether the client is known to be gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// A handle to shut the read side from another thread.
    pub(crate) fn shutdown_handle(&self) -> std::io::Result<ShutdownHandle> {
        self.stream.shutdown_handle()
    }

    /// The next message, reading (and waiting) for more when the buffer holds no whole one.
    /// Output is flushed before waiting.
    pub(crate) fn next(&mut self) -> Inbound {
        loop {
            match crate::frame::next_message(&mut self.input, &self.ctx, self.max_message) {
                Ok(Some(m)) => return Inbound::Msg(m),
                Ok(None) => {}
                Err(e) => return Inbound::Fatal("08P01", e),
            }
            self.flush();
            if self.stopping() {
                return shutdown_fatal();
            }
            let idle = self
                .idle_timeout
                .filter(|_| self.in_transaction && !self.copy_in);
            let poll = if self.copy_in {
                Some(COPY_POLL)
            } else {
                (self.listening && !self.in_transaction).then_some(NOTIFY_POLL)
            };
            let timeout = idle.or(poll);
            if timeout != self.read_timeout {
                if let Err(e) = self.stream.set_read_timeout(timeout) {
                    tracing::debug!("cannot set a read timeout: {e}");
                }
                self.read_timeout = timeout;
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    if self.stopping() {
                        return shutdown_fatal();
                    }
                    return Inbound::Closed;
                }
                Ok(n) => self.input.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) && poll.is_some() =>
                {
                    return Inbound::Tick;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) && idle.is_some() =>
                {
                    return Inbound::Fatal(
                        "25P03",
                        "terminating connection due to idle-in-transaction timeout".into(),
                    );
                }
                Err(e) => {
                    tracing::debug!("read from client failed: {e}");
                    return Inbound::Closed;
                }
            }
        }
    }
}

fn shutdown_fatal() -> Inbound {
    Inbound::Fatal(
        "57P01",
        "terminating connection due to administrator command".into(),
    )
}
