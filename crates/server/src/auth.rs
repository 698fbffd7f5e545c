//! Password authentication exchanges: SCRAM-SHA-256 (RFC 5802 / 7677, as PostgreSQL speaks it:
//! no channel binding offered, the user name taken from the startup packet) and the
//! clear-text `password` method, both checked against the role's stored SCRAM verifier
//! ([`basalt_sql::auth`]).
//!
//! A role that does not exist, has no password, or whose password expired goes through the
//! same exchange with a made-up salt (stable per user name, as PostgreSQL's mock
//! authentication) and fails the same way: 28P01 "password authentication failed for user",
//! which says nothing about whether the role exists.

use basalt_sql::auth::{self, Verifier};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::{Buf, Bytes};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::startup::Authentication;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// Why authentication failed: the SQLSTATE and message of the FATAL error.
pub(crate) struct Failed(pub(crate) &'static str, pub(crate) String);

fn failed(user: &str) -> Failed {
    Failed(
        "28P01",
        format!("password authentication failed for user \"{user}\""),
    )
}

fn protocol(msg: &str) -> Failed {
    Failed("08P01", msg.to_string())
}

/// The verifier to check against: the role's, if it may log in with one now.
pub(crate) fn usable_verifier(
    info: Option<&basalt_sql::roles::LoginInfo>,
    now: i64,
) -> Option<Verifier> {
    let info = info?;
    if info.valid_until.is_some_and(|t| t < now) {
        return None;
    }
    auth::parse_verifier(info.verifier.as_deref()?)
}

/// A verifier no password matches, with a salt that depends only on the user name and this
/// server's secret (so asking twice for a missing role shows the same salt).
fn mock_verifier(user: &str, secret: &[u8; 32]) -> Verifier {
    let mut seed = secret.to_vec();
    seed.extend_from_slice(user.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA256, &seed);
    let salt = digest.as_ref()[..16].to_vec();
    let mut v = auth::verifier_with(&B64.encode(auth::random_bytes(32)), &salt, 4096);
    // Keys no proof can produce.
    v.stored_key = [0; 32];
    v.server_key = [0; 32];
    v
}

/// Reads one password-family message ('p') and returns its body.
async fn read_p<S: AsyncRead + Unpin>(s: &mut S) -> Result<Bytes, Failed> {
    let t = s
        .read_u8()
        .await
        .map_err(|_| protocol("connection lost during authentication"))?;
    if t != b'p' {
        return Err(protocol(&format!(
            "expected password response, got message type {}",
            char::from(t).escape_default()
        )));
    }
    let len = s
        .read_i32()
        .await
        .map_err(|_| protocol("connection lost during authentication"))?;
    let len = usize::try_from(len)
        .ok()
        .filter(|l| (4..=10_000).contains(l))
        .ok_or_else(|| protocol("invalid password packet size"))?;
    let mut body = vec![0u8; len - 4];
    s.read_exact(&mut body)
        .await
        .map_err(|_| protocol("connection lost during authentication"))?;
    Ok(Bytes::from(body))
}

/// The clear-text `password` method.
pub(crate) async fn password<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    user: &str,
    verifier: Option<Verifier>,
) -> Result<(), Failed> {
    crate::conn::send(
        s,
        PgWireBackendMessage::Authentication(Authentication::CleartextPassword),
    )
    .await
    .map_err(|_| protocol("connection lost during authentication"))?;
    let body = read_p(s).await?;
    let Some(end) = body.iter().position(|b| *b == 0) else {
        return Err(protocol("invalid password packet"));
    };
    let given = std::str::from_utf8(&body[..end]).map_err(|_| failed(user))?;
    match verifier {
        Some(v) if auth::verify_password(&v, given) => Ok(()),
        _ => Err(failed(user)),
    }
}

/// The SCRAM-SHA-256 exchange; on success the server-final message has been sent (the
/// caller sends AuthenticationOk).
pub(crate) async fn scram<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    user: &str,
    verifier: Option<Verifier>,
    secret: &[u8; 32],
) -> Result<(), Failed> {
    let lost = || protocol("connection lost during authentication");
    crate::conn::send(
        s,
        PgWireBackendMessage::Authentication(Authentication::SASL(vec![
            "SCRAM-SHA-256".to_string(),
        ])),
    )
    .await
    .map_err(|_| lost())?;
    // SASLInitialResponse: mechanism, then the client-first-message with its length.
    let mut body = read_p(s).await?;
    let Some(end) = body.iter().position(|b| *b == 0) else {
        return Err(protocol("invalid SASL initial response"));
    };
    let mechanism = String::from_utf8_lossy(&body[..end]).into_owned();
    body.advance(end + 1);
    if mechanism != "SCRAM-SHA-256" {
        return Err(protocol(
            "client selected an invalid SASL authentication mechanism",
        ));
    }
    if body.remaining() < 4 {
        return Err(protocol("invalid SASL initial response"));
    }
    let n = body.get_i32();
    if usize::try_from(n).ok() != Some(body.remaining()) {
        return Err(protocol("invalid SASL initial response"));
    }
    let client_first =
        std::str::from_utf8(&body).map_err(|_| protocol("malformed SCRAM message"))?;
    // gs2-header: no channel binding ("n") or "client supports it but thinks we do not" ("y").
    let (gs2, bare) = match client_first.as_bytes().first() {
        Some(b'n' | b'y') => {
            let mut parts = client_first.splitn(3, ',');
            let flag = parts.next().unwrap_or("");
            let authzid = parts.next().unwrap_or("");
            let Some(bare) = parts.next() else {
                return Err(protocol("malformed SCRAM message"));
            };
            if !authzid.is_empty() {
                return Err(protocol(
                    "client uses authorization identity, but it is not supported",
                ));
            }
            (format!("{flag},,"), bare)
        }
        Some(b'p') => {
            return Err(protocol(
                "client selected channel binding, which this server does not offer",
            ));
        }
        _ => return Err(protocol("malformed SCRAM message")),
    };
    let client_nonce = bare
        .split(',')
        .find_map(|a| a.strip_prefix("r="))
        .filter(|r| !r.is_empty() && r.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b','))
        .ok_or_else(|| protocol("malformed SCRAM message"))?;
    if bare.split(',').any(|a| a.starts_with("m=")) {
        return Err(protocol(
            "malformed SCRAM message: extensions are not supported",
        ));
    }
    let real = verifier.is_some();
    let v = verifier.unwrap_or_else(|| mock_verifier(user, secret));
    let nonce = format!("{client_nonce}{}", auth::random_nonce());
    let server_first = format!("r={nonce},s={},i={}", v.salt_base64(), v.iterations);
    crate::conn::send(
        s,
        PgWireBackendMessage::Authentication(Authentication::SASLContinue(Bytes::from(
            server_first.clone(),
        ))),
    )
    .await
    .map_err(|_| lost())?;
    // SASLResponse: the client-final-message.
    let body = read_p(s).await?;
    let client_final =
        std::str::from_utf8(&body).map_err(|_| protocol("malformed SCRAM message"))?;
    let Some((without_proof, proof)) = client_final.rsplit_once(",p=") else {
        return Err(protocol("malformed SCRAM message"));
    };
    let mut attrs = without_proof.split(',');
    let binding = attrs.next().and_then(|a| a.strip_prefix("c="));
    if binding != Some(B64.encode(gs2.as_bytes()).as_str()) {
        return Err(protocol("SCRAM channel binding check failed"));
    }
    if attrs.next().and_then(|a| a.strip_prefix("r=")) != Some(nonce.as_str()) {
        return Err(protocol("SCRAM nonce mismatch"));
    }
    let proof = B64
        .decode(proof)
        .map_err(|_| protocol("malformed SCRAM message"))?;
    let am = auth::auth_message(bare, &server_first, without_proof);
    if !real || !auth::verify_client_proof(&v, am.as_bytes(), &proof) {
        return Err(failed(user));
    }
    let server_final = format!(
        "v={}",
        B64.encode(auth::server_signature(&v, am.as_bytes()))
    );
    crate::conn::send(
        s,
        PgWireBackendMessage::Authentication(Authentication::SASLFinal(Bytes::from(server_final))),
    )
    .await
    .map_err(|_| lost())?;
    Ok(())
}
