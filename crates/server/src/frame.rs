//! Splitting the client's byte stream into messages (after the startup phase).
//!
//! Public for the fuzz target (`crates/server/fuzz`): whatever the bytes, this returns a
//! message, "need more", or an error that ends the connection; it never panics and never
//! allocates for a message larger than the configured limit.

use bytes::BytesMut;
use pgwire::messages::{DecodeContext, PgWireFrontendMessage, ProtocolVersion};

/// The decoding context of a connection past its startup packet.
pub fn context() -> DecodeContext {
    let mut ctx = DecodeContext::new(ProtocolVersion::default());
    ctx.awaiting_frontend_ssl = false;
    ctx.awaiting_frontend_startup = false;
    ctx
}

/// The next whole message at the front of `buf` (removed from it), `Ok(None)` if more
/// bytes are needed, or why the stream is malformed: a length below 4 or above
/// `max_message`, an unknown message type, or a body that does not parse.
pub fn next_message(
    buf: &mut BytesMut,
    ctx: &DecodeContext,
    max_message: usize,
) -> Result<Option<PgWireFrontendMessage>, String> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let len = i32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]);
    let Some(len) = usize::try_from(len)
        .ok()
        .filter(|l| *l >= 4 && *l <= max_message)
    else {
        return Err(format!(
            "invalid message length {len} (the limit is {max_message} bytes)"
        ));
    };
    if buf.len() < len + 1 {
        buf.reserve(len + 1 - buf.len());
        return Ok(None);
    }
    // The framing crate's decoders trust the body's layout; it is checked here first.
    if !well_formed(buf[0], &buf[5..len + 1]) {
        return Err(format!(
            "invalid frontend message: malformed message of type '{}'",
            char::from(buf[0]).escape_default()
        ));
    }
    PgWireFrontendMessage::decode(buf, ctx).map_err(|e| format!("invalid frontend message: {e}"))
}

/// Reads a body field by field.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn cstring(&mut self) -> Option<()> {
        let end = self.0.iter().position(|b| *b == 0)?;
        std::str::from_utf8(&self.0[..end]).ok()?;
        self.0 = &self.0[end + 1..];
        Some(())
    }
    fn i16(&mut self) -> Option<i16> {
        self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Option<i32> {
        self.take(4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.i16()?).ok()
    }
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

/// Whether a frontend message body of type `t` has the layout the protocol defines (every
/// string terminated and UTF-8, every count and length within the body, nothing after).
fn well_formed(t: u8, body: &[u8]) -> bool {
    let mut c = Cursor(body);
    let ok = match t {
        b'Q' | b'f' => c.cstring().and_then(|()| c.end()),
        b'P' => (|| {
            c.cstring()?;
            c.cstring()?;
            let n = c.count()?;
            c.take(n.checked_mul(4)?)?;
            c.end()
        })(),
        b'B' => (|| {
            c.cstring()?;
            c.cstring()?;
            let nf = c.count()?;
            c.take(nf.checked_mul(2)?)?;
            let np = c.count()?;
            for _ in 0..np {
                match c.i32()? {
                    -1 => {}
                    n => {
                        c.take(usize::try_from(n).ok()?)?;
                    }
                }
            }
            let nr = c.count()?;
            c.take(nr.checked_mul(2)?)?;
            c.end()
        })(),
        b'D' | b'C' => (|| {
            let kind = c.take(1)?[0];
            (kind == b'S' || kind == b'P').then_some(())?;
            c.cstring()?;
            c.end()
        })(),
        b'E' => (|| {
            c.cstring()?;
            c.i32()?;
            c.end()
        })(),
        b'S' | b'H' | b'X' | b'c' => c.end(),
        b'd' | b'p' => Some(()),
        _ => None,
    };
    ok.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random bytes, fed in random pieces, never panic: each call gives a message,
        /// needs more bytes, or fails, and a failure ends the stream.
        #[test]
        fn random_streams_never_panic(
            data in proptest::collection::vec(any::<u8>(), 0..2048),
            cuts in proptest::collection::vec(1usize..64, 1..32),
        ) {
            let ctx = context();
            let mut buf = BytesMut::new();
            let mut rest = &data[..];
            let mut cut = cuts.iter().cycle();
            while !rest.is_empty() {
                let n = (*cut.next().unwrap_or(&1)).min(rest.len());
                buf.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                loop {
                    match next_message(&mut buf, &ctx, 4096) {
                        Ok(Some(_)) => {}
                        Ok(None) => break,
                        Err(_) => return Ok(()),
                    }
                }
            }
        }

        /// Well-formed messages with random bodies of every frontend type.
        #[test]
        fn typed_messages_with_random_bodies_never_panic(
            t in proptest::sample::select(b"QPBDECSHXdcfp".to_vec()),
            body in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut buf = BytesMut::new();
            buf.extend_from_slice(&[t]);
            buf.extend_from_slice(&i32::try_from(body.len() + 4).unwrap_or(0).to_be_bytes());
            buf.extend_from_slice(&body);
            let _ = next_message(&mut buf, &context(), 1 << 20);
        }
    }

    #[test]
    fn lengths_out_of_range_are_errors() {
        let ctx = context();
        let mut b = BytesMut::from(&[b'Q', 0, 0, 0, 3][..]);
        assert!(next_message(&mut b, &ctx, 100).is_err());
        let mut b = BytesMut::from(&[b'Q', 0, 0, 1, 0][..]);
        assert!(next_message(&mut b, &ctx, 100).is_err());
        let mut b = BytesMut::from(&[b'Q', 0, 0, 0, 10, b'S', b'E'][..]);
        assert!(matches!(next_message(&mut b, &ctx, 100), Ok(None)));
        b.extend_from_slice(b"L 1\0");
        let m = next_message(&mut b, &ctx, 100);
        assert!(
            matches!(m, Ok(Some(PgWireFrontendMessage::Query(_)))),
            "{m:?}"
        );
    }
}
