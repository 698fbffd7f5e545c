//! The `basalt` command.

// Errors carry all of PostgreSQL's fields (client::Message) for the shell's messages; a
// command-line tool does not mind moving them.
#![allow(clippy::result_large_err)]

mod check;
// Used by the subcommands that run SQL (shell, sql, import/export, dump/restore) as they land.
#[allow(dead_code)]
mod client;
mod export;
mod import;
mod sample;
// The printer, splitter and script runner serve `basalt sql` now and the shell and restore
// as they land.
mod dump;
#[allow(dead_code)]
mod print;
mod restore;
#[allow(dead_code)]
mod script;
mod shell;
#[allow(dead_code)]
mod split;
mod vars;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Basalt: an embedded, transactional, PostgreSQL-compatible database.
#[derive(Parser)]
#[command(name = "basalt", version, about)]
struct Cli {
    /// Without a subcommand: the shell on the database in ./basalt-data, created on first use
    /// holding the sample shop (docs/tutorial.md).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a database over the PostgreSQL wire protocol.
    ///
    /// Examples:
    ///   basalt serve --data ./db
    ///   basalt serve --data ./db --listen 0.0.0.0:5433 --tls-cert cert.pem --tls-key key.pem
    ///   psql -h ./db -p 5433 -U basalt basalt      (over the Unix-domain socket in the data directory)
    #[command(verbatim_doc_comment)]
    Serve(Box<ServeArgs>),
    /// Make a certificate pair for TLS in development: a certificate authority and a server
    /// certificate it signed (not for production: the CA's key is written next to it).
    ///
    /// Examples:
    ///   basalt cert --out ./tls --host localhost --host 127.0.0.1
    ///   basalt serve --data ./db --tls-cert ./tls/server.crt --tls-key ./tls/server.key
    ///   psql "host=localhost port=5433 user=basalt sslmode=verify-full sslrootcert=./tls/ca.crt"
    #[command(verbatim_doc_comment)]
    Cert(CertArgs),
    /// Load a CSV, JSON lines or SQLite file into a table (in batches, one transaction each,
    /// resumable; bad rows go to a reject file).
    ///
    /// Examples:
    ///   basalt import ./db --table sales sales.csv
    ///   basalt import ./db --table sales --create --types id=int,note=text sales.csv
    ///   basalt import ./db -t sales --delimiter ';' --null NA --no-header data.txt --format csv
    ///   basalt import ./db -t events --create events.jsonl --reject bad.txt --max-errors 100
    ///   basalt import ./db -t sales sales.csv --resume          (after an interruption)
    ///   basalt import ./db app.sqlite                            (every table, keys and indexes)
    ///   basalt import postgres://user@host/db -t users,orders app.sqlite
    #[command(verbatim_doc_comment)]
    Import(Box<import::ImportArgs>),
    /// Write a table's or a query's rows as CSV or JSON lines.
    ///
    /// Examples:
    ///   basalt export ./db --table sales -o sales.csv
    ///   basalt export ./db --query "SELECT id, total FROM sales WHERE total > 100" > big.csv
    ///   basalt export ./db -t events -o events.jsonl
    ///   basalt export ./db -t sales --delimiter '|' --null NULL --no-header
    #[command(verbatim_doc_comment)]
    Export(export::ExportArgs),
    /// Run SQL statements and scripts against a database (non-interactive, psql-style).
    ///
    /// Exits 0 when every statement succeeded, 3 when one failed, 2 when the database could
    /// not be opened, 1 when a script file could not be read.
    ///
    /// Examples:
    ///   basalt sql ./db -c "CREATE TABLE t (id int PRIMARY KEY, v text)"
    ///   basalt sql ./db -f schema.sql -f data.sql --on-error continue
    ///   basalt sql :memory: -c "SELECT 1 AS one" --format csv
    ///   basalt sql postgres://basalt@localhost:5433/postgres -c "SELECT * FROM t" -x
    ///   cat script.sql | basalt sql ./db -f -
    #[command(verbatim_doc_comment)]
    Sql(script::SqlArgs),
    /// An interactive SQL shell (psql's ways: meta-commands, completion, history).
    ///
    /// Without a target the database lives in memory and is gone when the shell exits.
    /// When standard input is not a terminal, it runs it as `basalt sql -f -` does.
    ///
    /// Examples:
    ///   basalt shell                                   (an in-memory database to try things)
    ///   basalt shell ./db                              (a database directory, created if missing)
    ///   basalt shell postgres://basalt@localhost:5433/basalt
    ///   basalt shell ./db --format csv < queries.sql
    #[command(verbatim_doc_comment)]
    Shell(shell::ShellArgs),
    /// Dump a database as a SQL script (schema, then COPY data) that `basalt restore` and
    /// PostgreSQL's psql load; read in one snapshot, without blocking writers.
    ///
    /// Examples:
    ///   basalt dump ./db -o db.sql
    ///   basalt dump postgres://basalt@localhost:5433/basalt > db.sql
    ///   basalt dump ./db --schema-only -n app
    ///   basalt dump ./db --data-only -t 'app.orders' -t 'app.order_*'
    ///   psql -v ON_ERROR_STOP=1 -d newdb -f db.sql      (load it into PostgreSQL)
    #[command(verbatim_doc_comment)]
    Dump(DumpArgs),
    /// Restore a dump (a SQL script with COPY data) into a database, stopping at the first
    /// error; a dump cut short is refused.
    ///
    /// Examples:
    ///   basalt restore ./copy -f db.sql
    ///   basalt restore ./copy --single-transaction < db.sql
    ///   basalt restore postgres://basalt@localhost:5433/basalt -f db.sql
    #[command(verbatim_doc_comment)]
    Restore(RestoreArgs),
    /// Verify a database's integrity: the commit log's records and checksums (read only),
    /// then every index of every database against its table.
    ///
    /// Exits 0 when all is well, 1 when a problem was found, 2 when the check could not run
    /// (a directory a running server holds: check it through the server's URL).
    ///
    /// Examples:
    ///   basalt check ./db
    ///   basalt check ./db --database app --verbose
    ///   basalt check postgres://basalt@localhost:5433/postgres
    #[command(verbatim_doc_comment)]
    Check(check::CheckArgs),
    /// Create the sample shop (customers, products with JSON details, orders, order_items)
    /// in a new database directory, as docs/tutorial.md uses it.
    ///
    /// Examples:
    ///   basalt sample ./shop
    ///   basalt sql ./shop -c "SELECT * FROM products"
    #[command(verbatim_doc_comment)]
    Sample(sample::SampleArgs),
    /// Print the version.
    Version,
}

#[derive(clap::Args)]
struct DumpArgs {
    /// The database: a directory, or a postgres:// URL.
    target: String,
    /// Write the script to this file instead of standard output.
    #[arg(short = 'o', long = "output", short_alias = 'f', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only the schema: no data, no sequence values.
    #[arg(short = 's', long, conflicts_with = "data_only")]
    schema_only: bool,
    /// Only the data (COPY blocks and sequence values), for a database that has the schema.
    #[arg(short = 'a', long)]
    data_only: bool,
    /// Only these tables, views and sequences (repeatable; `schema.name`, `*` and `?`
    /// wildcards).
    #[arg(short = 't', long = "table", value_name = "TABLE")]
    tables: Vec<String>,
    /// Only objects of these schemas (repeatable; wildcards as for --table).
    #[arg(short = 'n', long = "schema", value_name = "SCHEMA")]
    schemas: Vec<String>,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// The database: a directory (created if missing), or a postgres:// URL.
    target: String,
    /// The script to run [default: standard input].
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    /// Run the whole script in one transaction: all of it or nothing.
    #[arg(short = '1', long)]
    single_transaction: bool,
}

fn run_restore(a: RestoreArgs) -> Result<(), String> {
    let opts = restore::Options {
        single_transaction: a.single_transaction,
    };
    let c = client::open(&a.target).map_err(|e| message(&e))?;
    let (mut input, source): (Box<dyn std::io::BufRead>, String) = match &a.file {
        Some(p) if p.as_os_str() != "-" => {
            let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
            (
                Box::new(std::io::BufReader::with_capacity(256 * 1024, f)),
                p.display().to_string(),
            )
        }
        _ => (Box::new(std::io::stdin().lock()), "<stdin>".to_string()),
    };
    // The error has been printed with its line; the exit status says it failed.
    restore::restore(c, &mut input, &source, &opts)
        .map(|_| ())
        .map_err(|_| "restore failed".to_string())
}

fn run_dump(a: DumpArgs) -> Result<(), String> {
    let opts = dump::Options {
        schema_only: a.schema_only,
        data_only: a.data_only,
        tables: a.tables,
        schemas: a.schemas,
    };
    let mut c = client::open(&a.target).map_err(|e| message(&e))?;
    let stats = match &a.output {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
            dump::dump(c.as_mut(), &opts, &mut out).map_err(|e| message(&e))?
        }
        Some(path) => dump::dump_to_file(c.as_mut(), &opts, path)?,
    };
    for n in &stats.not_dumped {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("basalt: warning: not dumped: {n}");
        }
    }
    Ok(())
}

/// An error of a SQL-running subcommand as psql prints it (SQLSTATE, detail, context).
fn message(e: &client::Message) -> String {
    print::format_error(e, None).trim_end().to_string()
}

#[derive(clap::Args)]
struct CertArgs {
    /// The directory to write ca.crt, ca.key, server.crt and server.key into.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Names and addresses the server certificate is valid for (repeatable).
    #[arg(long = "host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
    hosts: Vec<String>,
}

fn cert(a: &CertArgs) -> Result<(), String> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let e = |e: rcgen::Error| e.to_string();
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "Basalt development CA");
    let ca_key = KeyPair::generate().map_err(e)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let mut server = CertificateParams::new(a.hosts.clone()).map_err(e)?;
    server.distinguished_name.push(
        DnType::CommonName,
        a.hosts
            .first()
            .cloned()
            .unwrap_or_else(|| "localhost".into()),
    );
    let key = KeyPair::generate().map_err(e)?;
    let issuer = Issuer::new(ca, ca_key);
    let cert = server.signed_by(&key, &issuer).map_err(e)?;
    std::fs::create_dir_all(&a.out).map_err(|e| format!("{}: {e}", a.out.display()))?;
    let write = |name: &str, text: String, private: bool| -> Result<(), String> {
        let p = a.out.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        if private {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
        Ok(())
    };
    write("ca.crt", ca_cert.pem(), false)?;
    write("ca.key", issuer.key().serialize_pem(), true)?;
    write("server.crt", cert.pem(), false)?;
    write("server.key", key.serialize_pem(), true)?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "wrote {0}/ca.crt, {0}/ca.key, {0}/server.crt, {0}/server.key (valid for {1})",
            a.out.display(),
            a.hosts.join(", ")
        );
    }
    Ok(())
}

#[derive(clap::Args)]
struct ServeArgs {
    /// The database directory (created if missing).
    #[arg(long, env = "BASALT_DATA")]
    data: Option<PathBuf>,
    /// The TCP address to listen on [default: 127.0.0.1:5433].
    #[arg(long, env = "BASALT_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// A TOML configuration file; flags and environment variables override it.
    #[arg(long, env = "BASALT_CONFIG")]
    config: Option<PathBuf>,
    /// The directory for the Unix-domain socket [default: the data directory].
    #[arg(long, env = "BASALT_SOCKET_DIR")]
    socket_dir: Option<PathBuf>,
    /// At most this many connections [default: 300].
    #[arg(long, env = "BASALT_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// The largest message a client may send, in bytes [default: 1 GiB].
    #[arg(long, env = "BASALT_MAX_MESSAGE_SIZE")]
    max_message_size: Option<usize>,
    /// Seconds a shutdown waits for running statements [default: 30].
    #[arg(long, env = "BASALT_SHUTDOWN_TIMEOUT")]
    shutdown_timeout: Option<f64>,
    /// Host-based access rules (pg_hba.conf style).
    #[arg(long, env = "BASALT_HBA_FILE")]
    hba_file: Option<PathBuf>,
    /// TLS certificate chain (PEM).
    #[arg(long, env = "BASALT_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "BASALT_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// The bootstrap superuser's name [default: basalt].
    #[arg(long, env = "BASALT_USER")]
    user: Option<String>,
    /// A file holding the bootstrap superuser's password.
    #[arg(long, env = "BASALT_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Log JSON lines instead of the human format.
    #[arg(long, env = "BASALT_LOG_JSON")]
    log_json: bool,
}

fn serve(a: ServeArgs) -> Result<(), String> {
    let mut c = match &a.config {
        Some(p) => basalt_server::Config::from_file(p).map_err(|e| e.to_string())?,
        None => basalt_server::Config::default(),
    };
    if let Some(v) = a.data {
        c.data = v;
    }
    if let Some(v) = a.listen {
        c.listen = v;
    }
    c.socket_dir = a
        .socket_dir
        .or(c.socket_dir)
        .or_else(|| Some(c.data.clone()));
    if let Some(v) = a.max_connections {
        c.max_connections = v;
    }
    if let Some(v) = a.max_message_size {
        c.max_message_size = v;
    }
    if let Some(v) = a.shutdown_timeout {
        c.shutdown_timeout =
            std::time::Duration::try_from_secs_f64(v).map_err(|e| e.to_string())?;
    }
    c.hba_file = a.hba_file.or(c.hba_file);
    c.tls_cert = a.tls_cert.or(c.tls_cert);
    c.tls_key = a.tls_key.or(c.tls_key);
    if let Some(v) = a.user {
        c.user = v;
    }
    c.password_file = a.password_file.or(c.password_file);
    c.password = std::env::var("BASALT_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    c.log_json |= a.log_json;
    init_logging(c.log_json);
    basalt_server::serve(c).map_err(|e| e.to_string())
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BASALT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if json {
        b.json().init();
    } else {
        b.init();
    }
}

/// The server allocates and frees many small objects per statement (parse trees, rows, keys);
/// mimalloc does that for a fraction of glibc's cost (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        return std::process::ExitCode::from(sample::first_run());
    };
    let r = match command {
        Command::Serve(a) => serve(*a),
        Command::Cert(a) => cert(&a),
        Command::Import(a) => import::run(*a),
        Command::Export(a) => export::run(a),
        Command::Sql(a) => return std::process::ExitCode::from(script::sql_command(&a)),
        Command::Shell(a) => return std::process::ExitCode::from(shell::run(&a)),
        Command::Dump(a) => run_dump(a),
        Command::Restore(a) => run_restore(a),
        Command::Check(a) => return std::process::ExitCode::from(check::run(&a)),
        Command::Sample(a) => sample::command(&a),
        Command::Version => {
            #[allow(clippy::print_stdout)]
            {
                println!("basalt {}", env!("CARGO_PKG_VERSION"));
            }
            Ok(())
        }
    };
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("basalt: {e}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
