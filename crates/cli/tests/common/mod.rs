//! Starting `basalt serve` on a free port for end-to-end tests, and running PostgreSQL's
//! client programs (psql, pgbench) against it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running server over a temporary data directory; killed when dropped.
pub struct Server {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub port: u16,
}

/// The directory of PostgreSQL's client programs (`pg_config --bindir`), else `PATH`.
pub fn pg_bin(name: &str) -> PathBuf {
    let dir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match dir {
        Some(d) if d.join(name).exists() => d.join(name),
        _ => PathBuf::from(name),
    }
}

/// Host-based rules for tests: trust over the socket and over TCP from this machine.
pub const TRUST_ALL: &str = "local all all trust\nhost all all 127.0.0.1/32 trust\n";

impl Server {
    /// Starts a server with `hba` rules and extra flags, and waits until it answers.
    pub fn start_with(hba: &str, extra: &[&str]) -> Server {
        Server::start_opts(Some(hba), extra, &[])
    }

    /// Starts a server with `hba` rules (`None`: the built-in ones), extra flags and
    /// environment variables.
    pub fn start_opts(hba: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("db");
        let hba_file = hba.map(|h| {
            let f = dir.path().join("hba.conf");
            std::fs::write(&f, h).unwrap();
            f
        });
        Server::launch(dir, &data, hba_file.as_deref(), extra, env)
    }

    /// Starts a server in an existing directory (a restart).
    pub fn start_in(
        dir: tempfile::TempDir,
        data: &Path,
        hba_file: &Path,
        extra: &[&str],
    ) -> Server {
        Server::launch(dir, data, Some(hba_file), extra, &[])
    }

    fn launch(
        dir: tempfile::TempDir,
        data: &Path,
        hba_file: Option<&Path>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_basalt"));
        // Port 0: the server picks a free port and logs it (no race between tests).
        cmd.arg("serve")
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--log-json");
        if let Some(h) = hba_file {
            cmd.arg("--hba-file").arg(h);
        }
        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = cmd
            .args(extra)
            .env_remove("BASALT_PASSWORD")
            .envs(env.iter().copied())
            .env("BASALT_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut s = Server {
            child,
            dir,
            port: 0,
        };
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(port) = text
                .split("\"listen\":\"127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|p| p.parse().ok())
            {
                s.port = port;
                break;
            }
            if let Some(status) = s.child.try_wait().unwrap() {
                panic!("server exited ({status}) while starting: {text}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "server did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        s
    }

    /// What the server wrote to its standard error so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn start() -> Server {
        Server::start_with(TRUST_ALL, &[])
    }

    /// The data directory (also the Unix-domain socket's directory).
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// Runs psql over TCP with `args`, returning its output.
    pub fn psql(&self, args: &[&str]) -> Output {
        self.psql_command()
            .args(["-v", "ON_ERROR_STOP=1"])
            .args(args)
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .unwrap()
    }

    /// psql connected over TCP as `basalt` to the database `basalt`, to add arguments to.
    pub fn psql_command(&self) -> Command {
        let mut c = Command::new(pg_bin("psql"));
        c.args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "basalt",
            "-d",
            "basalt",
        ]);
        c
    }

    /// psql's standard output for `-c sql` (asserting success).
    pub fn sql(&self, sql: &str) -> String {
        let o = self.psql(&["-Atc", sql]);
        assert!(
            o.status.success(),
            "psql -c {sql:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs pgbench over TCP with `args` against the database `basalt`, asserting success;
    /// its standard output and error.
    pub fn pgbench(&self, args: &[&str]) -> String {
        let o = Command::new(pg_bin("pgbench"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "basalt",
            ])
            .args(args)
            .arg("basalt")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "pgbench {args:?}: {text}");
        text
    }

    /// Sends SIGTERM and waits for the server to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "server did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hand-driven protocol connection, for sending what no well-behaved client sends.
pub struct Raw {
    pub s: std::net::TcpStream,
}

impl Raw {
    /// Connects and completes the startup (trust authentication) up to ReadyForQuery.
    pub fn connect(port: u16) -> Raw {
        Raw::connect_db(port, "basalt")
    }

    /// [`Raw::connect`] to database `db`.
    pub fn connect_db(port: u16, db: &str) -> Raw {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut body = Vec::new();
        body.extend_from_slice(&196_608i32.to_be_bytes());
        for (k, v) in [("user", "basalt"), ("database", db)] {
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut packet = ((body.len() + 4) as i32).to_be_bytes().to_vec();
        packet.extend_from_slice(&body);
        s.write_all(&packet).unwrap();
        let mut raw = Raw { s };
        let msgs = raw.until_ready();
        assert!(msgs.iter().any(|(t, _)| *t == b'R'), "{msgs:?}");
        raw
    }

    /// Sends a message of type `t` with `body`.
    pub fn send(&mut self, t: u8, body: &[u8]) {
        use std::io::Write;
        let mut m = vec![t];
        m.extend_from_slice(&((body.len() + 4) as i32).to_be_bytes());
        m.extend_from_slice(body);
        self.s.write_all(&m).unwrap();
    }

    /// Sends a simple query.
    pub fn query(&mut self, sql: &str) {
        let mut b = sql.as_bytes().to_vec();
        b.push(0);
        self.send(b'Q', &b);
    }

    /// Reads one message; `None` at end of stream.
    pub fn read(&mut self) -> Option<(u8, Vec<u8>)> {
        use std::io::Read;
        let mut head = [0u8; 5];
        self.s.read_exact(&mut head).ok()?;
        let len = i32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len - 4];
        self.s.read_exact(&mut body).ok()?;
        Some((head[0], body))
    }

    /// Reads messages through ReadyForQuery.
    pub fn until_ready(&mut self) -> Vec<(u8, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(m) = self.read() {
            let done = m.0 == b'Z';
            out.push(m);
            if done {
                break;
            }
        }
        out
    }
}

/// The SQLSTATE of an ErrorResponse body.
pub fn sqlstate(body: &[u8]) -> String {
    body.split(|b| *b == 0)
        .find_map(|f| f.strip_prefix(b"C"))
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default()
}

/// A throwaway PostgreSQL 15 cluster (from `pg_config --bindir`) on a free port, its socket in
/// its own temporary directory; stopped when dropped. The reference for tests that compare
/// with PostgreSQL: each test starts its own, so nothing depends on a server left running.
pub struct Pg {
    pub dir: tempfile::TempDir,
    pub port: u16,
    run_as: Option<String>,
}

/// How a [`Pg`] cluster is set up beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct PgOptions {
    /// TLS: the server's certificate and key files, and the CA file client certificates are
    /// checked against (copied into the cluster's directory, owned by the server's user).
    pub ssl: Option<PgSsl>,
    /// The pg_hba.conf to use instead of initdb's (trust for everything).
    pub hba: Option<String>,
    /// More settings (`name`, `value`), given to the server with `-c`.
    pub settings: Vec<(String, String)>,
}

/// The files of [`PgOptions::ssl`].
#[derive(Debug, Clone)]
pub struct PgSsl {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: Option<PathBuf>,
}

impl Pg {
    /// Starts a cluster, or `None` (the test skips) when PostgreSQL's server programs are not
    /// installed; under CI (`BASALT_REQUIRE_CLIENTS`) their absence is a failure.
    pub fn start() -> Option<Pg> {
        Pg::start_with(&PgOptions::default())
    }

    /// [`Pg::start`] with TLS, host-based rules or settings of the test's choosing.
    pub fn start_with(opts: &PgOptions) -> Option<Pg> {
        let initdb = pg_bin("initdb");
        if !initdb.is_absolute() {
            assert!(
                std::env::var_os("BASALT_REQUIRE_CLIENTS").is_none(),
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed"
            );
            eprintln!("skipped: PostgreSQL's server programs are not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        // PostgreSQL refuses to run as root.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let run_as = root.then(|| "postgres".to_string());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let pg = Pg { dir, port, run_as };
        let path = pg.dir.path().to_str().expect("utf-8 temp path").to_string();
        if let Some(u) = &pg.run_as {
            for args in [["755", path.as_str()], [u.as_str(), path.as_str()]] {
                let prog = if args[0] == "755" { "chmod" } else { "chown" };
                let st = Command::new(prog).args(args).status().expect(prog);
                assert!(st.success(), "{prog} {args:?}");
            }
        }
        let data = format!("{path}/data");
        let o = pg
            .cmd(&initdb)
            .args(["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8"])
            .arg("--locale=C.UTF-8")
            .output()
            .expect("initdb");
        assert!(o.status.success(), "initdb: {o:?}");
        let mut settings = format!(
            "-p {port} -k {path} -c listen_addresses=127.0.0.1 -c TimeZone=UTC -c fsync=off"
        );
        // Files the server reads: in the cluster's directory, owned by the server's user,
        // readable by it only (PostgreSQL refuses a key others may read).
        let install = |from: &Path, name: &str| -> String {
            let to = format!("{path}/{name}");
            std::fs::copy(from, &to).expect("copy a file for the server");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            if let Some(u) = &pg.run_as {
                let st = Command::new("chown")
                    .args([u, &to])
                    .status()
                    .expect("chown");
                assert!(st.success(), "chown {to}");
            }
            to
        };
        if let Some(ssl) = &opts.ssl {
            let cert = install(&ssl.cert, "server.crt");
            let key = install(&ssl.key, "server.key");
            settings += &format!(" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}");
            if let Some(ca) = &ssl.ca {
                settings += &format!(" -c ssl_ca_file={}", install(ca, "ca.crt"));
            }
        }
        if let Some(hba) = &opts.hba {
            let tmp = tempfile::NamedTempFile::new().expect("temp file");
            std::fs::write(tmp.path(), hba).expect("write pg_hba.conf");
            let to = install(tmp.path(), "pg_hba.conf");
            settings += &format!(" -c hba_file={to}");
        }
        for (k, v) in &opts.settings {
            settings += &format!(" -c {k}={v}");
        }
        let opts = settings;
        let o = pg
            .cmd(&pg_bin("pg_ctl"))
            .args(["-D", &data, "-l", &format!("{path}/log"), "-w"])
            .args(["-o", &opts, "start"])
            .output()
            .expect("pg_ctl");
        assert!(o.status.success(), "pg_ctl start: {o:?}");
        Some(pg)
    }

    fn cmd(&self, bin: &Path) -> Command {
        match &self.run_as {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(bin);
                c
            }
            None => Command::new(bin),
        }
    }

    /// The directory holding the server's Unix-domain socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// psql on database `db` over TCP, stopping at the first error, with `args` after.
    pub fn psql(&self, db: &str, args: &[&str]) -> Output {
        Command::new(pg_bin("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db])
            .args(args)
            .output()
            .expect("psql")
    }

    /// A psql command over the Unix-domain socket as `postgres`, without options after.
    pub fn psql_socket(&self) -> Command {
        let mut c = Command::new(pg_bin("psql"));
        c.arg("-X").arg("-h").arg(self.dir.path());
        c.args(["-p", &self.port.to_string(), "-U", "postgres"]);
        c
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let _ = self
            .cmd(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
