//! Password verifiers and the server side of SCRAM-SHA-256 (RFC 5802, RFC 7677), as
//! PostgreSQL stores and checks them.
//!
//! # Stored form
//!
//! A role's password is never kept in clear: `CREATE ROLE ... PASSWORD 'x'` stores
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64, 4096 iterations,
//! 16-byte random salt), byte for byte PostgreSQL's `pg_authid.rolpassword` format, so a
//! verifier made by either system authenticates in the other. A password given already in
//! that form (psql's `\password` sends one) or as an MD5 hash (`md5` + 32 hex digits) is
//! stored as given ([`stored_password`]); an MD5 one can never pass a SCRAM exchange.
//!
//! # Password normalization
//!
//! The password is SASLprep'ed (RFC 4013) before hashing, as PostgreSQL's `pg_saslprep`
//! does: pure ASCII is taken as is; otherwise, when the text is not valid SASLprep input
//! (prohibited or unassigned characters, bidirectional rules), the raw bytes are used.
//!
//! # The exchange
//!
//! The server (the wire protocol adapter) sends and parses the messages; this module holds the
//! pure functions over them: with `AuthMessage` = client-first-message-bare + "," +
//! server-first-message + "," + client-final-message-without-proof,
//! [`verify_client_proof`] checks `H(ClientProof XOR HMAC(StoredKey, AuthMessage)) ==
//! StoredKey` and [`server_signature`] computes `HMAC(ServerKey, AuthMessage)` for the
//! server-final-message.

use std::borrow::Cow;
use std::num::NonZeroU32;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::{digest, hmac, pbkdf2, rand::SecureRandom};

/// PostgreSQL's default `scram_iterations`.
pub const ITERATIONS: u32 = 4096;
/// Salt length PostgreSQL uses (`SCRAM_DEFAULT_SALT_LEN`).
pub const SALT_LEN: usize = 16;
/// The SASL mechanism name.
pub const MECHANISM: &str = "SCRAM-SHA-256";

/// A parsed SCRAM-SHA-256 verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// PBKDF2 iteration count.
    pub iterations: u32,
    /// Salt (raw bytes).
    pub salt: Vec<u8>,
    /// `H(ClientKey)`.
    pub stored_key: [u8; 32],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; 32],
}

impl Verifier {
    /// The salt in base64, as the server-first-message carries it (`s=`).
    pub fn salt_base64(&self) -> String {
        B64.encode(&self.salt)
    }
}

impl std::fmt::Display for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{MECHANISM}${}:{}${}:{}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(self.stored_key),
            B64.encode(self.server_key)
        )
    }
}

/// `n` random bytes from the system's secure generator.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The system generator fails only if the OS has no entropy source at all; zeros would
    // then make a weak salt, not a wrong answer, and PostgreSQL refuses in that case too, but
    // a verifier must still be produced: fall back to time-derived bytes.
    if ring::rand::SystemRandom::new().fill(&mut buf).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let d = digest::digest(&digest::SHA256, &t.to_le_bytes());
        for (b, x) in buf.iter_mut().zip(d.as_ref().iter().cycle()) {
            *b = *x;
        }
    }
    buf
}

/// A fresh server nonce for the server-first-message (printable, no comma).
pub fn random_nonce() -> String {
    B64.encode(random_bytes(18))
}

/// The password as it is hashed: SASLprep'ed, or the raw bytes where that fails
/// (PostgreSQL's `pg_saslprep` and its caller).
pub fn prepare_password(password: &str) -> Cow<'_, [u8]> {
    if password.is_ascii() {
        return Cow::Borrowed(password.as_bytes());
    }
    match stringprep::saslprep(password) {
        Ok(Cow::Borrowed(s)) => Cow::Borrowed(s.as_bytes()),
        Ok(Cow::Owned(s)) => Cow::Owned(s.into_bytes()),
        Err(_) => Cow::Borrowed(password.as_bytes()),
    }
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    to32(hmac::sign(&k, msg).as_ref())
}

fn sha256(data: &[u8]) -> [u8; 32] {
    to32(digest::digest(&digest::SHA256, data).as_ref())
}

fn to32(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, x) in out.iter_mut().zip(b) {
        *o = *x;
    }
    out
}

/// The verifier of `password` with the given salt and iteration count (at least 1).
pub fn verifier_with(password: &str, salt: &[u8], iterations: u32) -> Verifier {
    let iterations = iterations.max(1);
    let mut salted = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN),
        salt,
        &prepare_password(password),
        &mut salted,
    );
    let client_key = hmac_sha256(&salted, b"Client Key");
    Verifier {
        iterations,
        salt: salt.to_vec(),
        stored_key: sha256(&client_key),
        server_key: hmac_sha256(&salted, b"Server Key"),
    }
}

/// A new verifier of `password` (random 16-byte salt, 4096 iterations), in PostgreSQL's
/// `rolpassword` format.
pub fn make_verifier(password: &str) -> String {
    verifier_with(password, &random_bytes(SALT_LEN), ITERATIONS).to_string()
}

/// Parses a stored `SCRAM-SHA-256$...` verifier; `None` if `s` is not one.
pub fn parse_verifier(s: &str) -> Option<Verifier> {
    let rest = s.strip_prefix(MECHANISM)?.strip_prefix('$')?;
    let (params, keys) = rest.split_once('$')?;
    let (iterations, salt) = params.split_once(':')?;
    let (stored, server) = keys.split_once(':')?;
    let iterations: u32 = iterations.parse().ok().filter(|i| *i > 0)?;
    let salt = B64.decode(salt).ok()?;
    let stored = B64.decode(stored).ok()?;
    let server = B64.decode(server).ok()?;
    if stored.len() != 32 || server.len() != 32 {
        return None;
    }
    Some(Verifier {
        iterations,
        salt,
        stored_key: to32(&stored),
        server_key: to32(&server),
    })
}

/// Whether `s` is an MD5 password hash as PostgreSQL stores one (`md5` + 32 hex digits).
pub fn is_md5_hash(s: &str) -> bool {
    s.len() == 35
        && s.starts_with("md5")
        && s[3..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What `PASSWORD 'x'` stores: `x` itself when it is already a SCRAM verifier or an MD5
/// hash, else a new SCRAM verifier of it.
pub fn stored_password(given: &str) -> String {
    if parse_verifier(given).is_some() || is_md5_hash(given) {
        given.to_string()
    } else {
        make_verifier(given)
    }
}

/// Server side of the client-final-message: whether `client_proof` (decoded from `p=`)
/// proves knowledge of the password for this `auth_message`.
pub fn verify_client_proof(v: &Verifier, auth_message: &[u8], client_proof: &[u8]) -> bool {
    if client_proof.len() != 32 {
        return false;
    }
    let signature = hmac_sha256(&v.stored_key, auth_message);
    let mut client_key = [0u8; 32];
    for ((k, p), s) in client_key.iter_mut().zip(client_proof).zip(signature) {
        *k = p ^ s;
    }
    same(&sha256(&client_key), &v.stored_key)
}

/// Compares two keys in time independent of where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `ServerSignature = HMAC(ServerKey, AuthMessage)`, sent base64'd as the server-final
/// message's `v=`.
pub fn server_signature(v: &Verifier, auth_message: &[u8]) -> [u8; 32] {
    hmac_sha256(&v.server_key, auth_message)
}

/// Whether a clear-text `password` (the `password` authentication method) matches a stored
/// SCRAM verifier.
pub fn verify_password(v: &Verifier, password: &str) -> bool {
    let w = verifier_with(password, &v.salt, v.iterations);
    same(&w.stored_key, &v.stored_key) && same(&w.server_key, &v.server_key)
}

/// The `AuthMessage` of an exchange from its three parts.
pub fn auth_message(
    client_first_bare: &str,
    server_first: &str,
    client_final_bare: &str,
) -> String {
    format!("{client_first_bare},{server_first},{client_final_bare}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 7677 section 3: user "user", password "pencil".
    #[test]
    fn rfc7677_vector() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = verifier_with("pencil", &salt, 4096);
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let am = auth_message(
            "n=user,r=rOprNGfwEbeRWgbNEkqO",
            server_first,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        );
        let proof = B64
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .unwrap();
        assert!(verify_client_proof(&v, am.as_bytes(), &proof));
        let mut bad = proof.clone();
        bad[0] ^= 1;
        assert!(!verify_client_proof(&v, am.as_bytes(), &bad));
        assert!(!verify_client_proof(&v, b"other", &proof));
        assert_eq!(
            B64.encode(server_signature(&v, am.as_bytes())),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        // The stored text round-trips.
        assert_eq!(parse_verifier(&v.to_string()), Some(v));
    }

    /// Verifiers a PostgreSQL 15 server produced (`CREATE ROLE x PASSWORD '...'`).
    #[test]
    fn postgres_verifiers() {
        let pg = "SCRAM-SHA-256$4096:IFmiECyHJmkTPZwkfElTxA==$9EhfTyrHGpX8TqhYpXMLqKBAYnH1gO6ikDbv+2yHk3U=:H895UNM32ZHq1WNlBabQFh4OsCV9+Rq6k9aWq+WQrqA=";
        let v = parse_verifier(pg).unwrap();
        assert_eq!(v.iterations, 4096);
        assert_eq!(v.salt.len(), 16);
        assert!(verify_password(&v, "pw"));
        assert!(!verify_password(&v, "pw "));
        assert_eq!(verifier_with("pw", &v.salt, 4096).to_string(), pg);
        // Non-ASCII: SASLprep maps U+2168 (ROMAN NUMERAL NINE) to "IX" (NFKC).
        let pg2 = "SCRAM-SHA-256$4096:wT3NhGgG6TLpDwnGOoA85Q==$BU6rsjMTbUUtiT7dGusQ6Gbeu/Ph2rrz58BDaUuNNyQ=:cFTy/05ah+x+/QOqzd0CzBkTIES7OIX4m+HSb5gTf38=";
        let v2 = parse_verifier(pg2).unwrap();
        assert!(verify_password(&v2, "\u{2168} p\u{e4}ssw\u{f6}rd"));
        assert!(verify_password(&v2, "IX p\u{e4}ssw\u{f6}rd"));
        // A whole exchange against the PostgreSQL verifier, the client side computed here.
        let salted = {
            let mut s = [0u8; 32];
            pbkdf2::derive(
                pbkdf2::PBKDF2_HMAC_SHA256,
                NonZeroU32::new(4096).unwrap(),
                &v.salt,
                b"pw",
                &mut s,
            );
            s
        };
        let client_key = hmac_sha256(&salted, b"Client Key");
        let am = b"n=,r=abc,r=abcdef,s=x,i=4096,c=biws,r=abcdef";
        let sig = hmac_sha256(&sha256(&client_key), am);
        let proof: Vec<u8> = client_key.iter().zip(sig).map(|(a, b)| a ^ b).collect();
        assert!(verify_client_proof(&v, am, &proof));
        assert_eq!(
            server_signature(&v, am),
            hmac_sha256(&hmac_sha256(&salted, b"Server Key"), am)
        );
    }

    #[test]
    fn stored_forms() {
        let v = make_verifier("secret");
        assert!(v.starts_with("SCRAM-SHA-256$4096:"));
        let parsed = parse_verifier(&v).unwrap();
        assert_eq!(parsed.salt.len(), SALT_LEN);
        assert!(verify_password(&parsed, "secret"));
        assert_ne!(make_verifier("secret"), v, "salts are random");
        // Given verifiers and MD5 hashes are kept as they are.
        assert_eq!(stored_password(&v), v);
        let md5 = "md5a3556571e93b0d20722ba62be61e8c2d";
        assert_eq!(stored_password(md5), md5);
        assert!(stored_password("md5abc").starts_with("SCRAM-SHA-256$"));
        assert_eq!(parse_verifier(md5), None);
        assert_eq!(parse_verifier("SCRAM-SHA-256$0:AA==$AA==:AA=="), None);
        // Prohibited characters: raw bytes, as PostgreSQL.
        assert_eq!(
            &*prepare_password("a\u{0}\u{e9}"),
            "a\u{0}\u{e9}".as_bytes()
        );
        assert_eq!(&*prepare_password("ctl\u{7}"), b"ctl\x07");
    }
}
