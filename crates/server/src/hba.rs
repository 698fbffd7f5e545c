//! Host-based access rules in the spirit of PostgreSQL's `pg_hba.conf`.
//!
//! One rule per line, fields separated by blanks, `#` starts a comment:
//!
//! ```text
//! # TYPE     DATABASE  USER   ADDRESS        METHOD
//! local      all       all                   trust
//! hostssl    all       all    0.0.0.0/0      scram-sha-256
//! host       sales     ada    10.0.0.0/8     scram-sha-256
//! host       all       all    ::/0           reject
//! ```
//!
//! `TYPE` is `local` (the Unix-domain socket), `host` (TCP, with or without TLS), `hostssl`
//! (TCP with TLS) or `hostnossl`; `DATABASE` and `USER` are `all` or comma-separated names;
//! `ADDRESS` (not for `local`) is an address with a prefix length, or `all`; `METHOD` is
//! `trust`, `reject`, `scram-sha-256` or `password` (the password in clear text, checked
//! against the stored SCRAM verifier: only sensible over TLS). The first rule that matches the
//! connection decides; none matching rejects it (28000), as in PostgreSQL.
//!
//! Without a file the rules are: trust over the Unix-domain socket, SCRAM-SHA-256 over TCP
//! (127.0.0.1 included).

use std::net::IpAddr;

/// How a connection came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnKind {
    /// The Unix-domain socket.
    Local,
    /// TCP from this address, with TLS or not.
    Host {
        /// The client's address.
        addr: IpAddr,
        /// Whether the connection is encrypted.
        tls: bool,
    },
}

/// What a matching rule asks of the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Let in without a password.
    Trust,
    /// Turn away.
    Reject,
    /// SCRAM-SHA-256 (RFC 7677) against the role's stored verifier.
    ScramSha256,
    /// The password in clear text, checked against the stored verifier.
    Password,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleType {
    Local,
    Host,
    HostSsl,
    HostNoSsl,
}

#[derive(Debug, Clone)]
struct Rule {
    kind: RuleType,
    databases: Option<Vec<String>>,
    users: Option<Vec<String>>,
    /// Network and prefix length; `None`: any address.
    net: Option<(IpAddr, u8)>,
    method: Method,
}

/// A parsed rule file.
#[derive(Debug, Clone)]
pub struct Hba {
    rules: Vec<Rule>,
}

impl Default for Hba {
    fn default() -> Self {
        // Parsing constant text that is known to be valid.
        Hba::parse(DEFAULT_RULES).unwrap_or(Hba { rules: Vec::new() })
    }
}

/// The rules without a file.
pub const DEFAULT_RULES: &str = "\
local all all trust
host all all 0.0.0.0/0 scram-sha-256
host all all ::/0 scram-sha-256
";

impl Hba {
    /// Parses rule text; an error names the line.
    pub fn parse(text: &str) -> Result<Hba, String> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("");
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.is_empty() {
                continue;
            }
            let bad = |what: &str| format!("line {}: {what}", n + 1);
            let kind = match f[0] {
                "local" => RuleType::Local,
                "host" => RuleType::Host,
                "hostssl" => RuleType::HostSsl,
                "hostnossl" => RuleType::HostNoSsl,
                other => return Err(bad(&format!("unknown connection type \"{other}\""))),
            };
            let want = if kind == RuleType::Local { 4 } else { 5 };
            if f.len() != want {
                return Err(bad(&format!("expected {want} fields, found {}", f.len())));
            }
            let names = |s: &str| -> Option<Vec<String>> {
                (s != "all").then(|| s.split(',').map(str::to_string).collect())
            };
            let net = if kind == RuleType::Local {
                None
            } else {
                parse_net(f[3]).map_err(|e| bad(&e))?
            };
            let method = match f[want - 1] {
                "trust" => Method::Trust,
                "reject" => Method::Reject,
                "scram-sha-256" => Method::ScramSha256,
                "password" => Method::Password,
                other => return Err(bad(&format!("unknown authentication method \"{other}\""))),
            };
            rules.push(Rule {
                kind,
                databases: names(f[1]),
                users: names(f[2]),
                net,
                method,
            });
        }
        Ok(Hba { rules })
    }

    /// The method for a connection of `kind` asking for `database` as `user`; `None`: no rule
    /// matches (the connection is refused).
    pub fn method(&self, kind: ConnKind, database: &str, user: &str) -> Option<Method> {
        self.rules
            .iter()
            .find(|r| {
                let kind_ok = match (r.kind, kind) {
                    (RuleType::Local, ConnKind::Local) => true,
                    (RuleType::Host, ConnKind::Host { .. }) => true,
                    (RuleType::HostSsl, ConnKind::Host { tls, .. }) => tls,
                    (RuleType::HostNoSsl, ConnKind::Host { tls, .. }) => !tls,
                    _ => false,
                };
                let addr_ok = match (r.net, kind) {
                    (Some((net, bits)), ConnKind::Host { addr, .. }) => in_net(addr, net, bits),
                    _ => true,
                };
                kind_ok
                    && addr_ok
                    && r.databases
                        .as_ref()
                        .is_none_or(|d| d.iter().any(|d| d == database))
                    && r.users.as_ref().is_none_or(|u| u.iter().any(|u| u == user))
            })
            .map(|r| r.method)
    }
}

fn parse_net(s: &str) -> Result<Option<(IpAddr, u8)>, String> {
    if s == "all" {
        return Ok(None);
    }
    let (a, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let addr: IpAddr = a
        .parse()
        .map_err(|_| format!("invalid IP address \"{a}\""))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(b) => b
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("invalid prefix length \"{b}\""))?,
        None => max,
    };
    Ok(Some((addr, bits)))
}

fn in_net(addr: IpAddr, net: IpAddr, bits: u8) -> bool {
    // An IPv4 client over an IPv6 socket arrives mapped: compare as IPv4.
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(a: &str, tls: bool) -> ConnKind {
        ConnKind::Host {
            addr: a.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            tls,
        }
    }

    #[test]
    fn defaults_trust_the_socket_and_ask_tcp_for_a_password() {
        let h = Hba::default();
        assert_eq!(h.method(ConnKind::Local, "x", "y"), Some(Method::Trust));
        assert_eq!(
            h.method(host("127.0.0.1", false), "x", "y"),
            Some(Method::ScramSha256)
        );
        assert_eq!(
            h.method(host("::1", true), "x", "y"),
            Some(Method::ScramSha256)
        );
    }

    #[test]
    fn first_matching_rule_decides() {
        let h = Hba::parse(
            "# comment\nhostssl all all 0.0.0.0/0 scram-sha-256\nhost sales ada,bob 10.0.0.0/8 trust\nhost all all all reject\n",
        )
        .unwrap_or_default();
        assert_eq!(
            h.method(host("10.1.2.3", false), "sales", "bob"),
            Some(Method::Trust)
        );
        assert_eq!(
            h.method(host("10.1.2.3", false), "sales", "eve"),
            Some(Method::Reject)
        );
        assert_eq!(
            h.method(host("11.1.2.3", true), "x", "eve"),
            Some(Method::ScramSha256)
        );
        assert_eq!(
            h.method(host("::ffff:10.0.0.1", false), "sales", "ada"),
            Some(Method::Trust)
        );
        assert_eq!(h.method(ConnKind::Local, "x", "y"), None);
    }

    #[test]
    fn bad_rules_name_their_line() {
        assert!(
            Hba::parse("local all all trust\nhost all all 1.2.3.4/40 trust")
                .is_err_and(|e| e.starts_with("line 2"))
        );
        assert!(Hba::parse("host all all trust").is_err());
        assert!(Hba::parse("local all all kerberos").is_err());
    }
}
