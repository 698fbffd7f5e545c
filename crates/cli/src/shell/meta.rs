//! Backslash commands, with psql's names, arguments and messages.
//!
//! A meta-command runs at the end of its line; the statement typed before it on earlier
//! lines stays in the query buffer (the splitter's pending text) unless the command uses it
//! (`\g` sends it, `\r` clears it, `\e` edits it, `\p` prints it). Messages go where psql
//! sends them: informational ones to the output, errors to stderr.

use std::io::Write;
use std::path::PathBuf;

use crate::client::Message;
use crate::print::{self, Format};
use crate::script::{self, State};

use super::Shell;
use super::describe::{self, Table};

/// psql's `\?`, for the commands the shell has.
const HELP: &str = r#"General
  \q                     quit basalt
  \?                     this help
  \h [COMMAND]           syntax of SQL commands
  \conninfo              display information about the current connection
  \c[onnect] [DBNAME]    connect to another database (same directory or server)

Query Buffer
  \e [FILE]              edit the query buffer (or file) with $VISUAL / $EDITOR (vi)
  \g [FILE]              execute the query buffer (or the last query); results to FILE
  \gx [FILE]             as \g, with expanded output
  \p                     show the contents of the query buffer
  \r                     reset (clear) the query buffer

Input/Output
  \echo [STRING]         write string to standard output
  \gset [PREFIX]         execute the query and store its row's values in variables
  \i FILE                execute commands from file
  \o [FILE]              send all query results to file; \o alone: back to stdout

Informational (options: S = show system objects)
  \d[S]                  list tables, views and sequences
  \d[S]  NAME            describe table, view, sequence or index
  \df[S] [PATTERN]       list functions
  \di[S] [PATTERN]       list indexes
  \dn[S] [PATTERN]       list schemas
  \ds[S] [PATTERN]       list sequences
  \dt[S] [PATTERN]       list tables
  \dT[S] [PATTERN]       list data types
  \du[S] [PATTERN]       list roles
  \dv[S] [PATTERN]       list views
  \l [PATTERN]           list databases
  \sf[+] FUNCNAME        show a function's definition
  (+ after \d, \dt, \di, \dv, \dn, \dT, \l shows more: size, description...)

Variables
  \set [NAME [VALUE]]    set a variable, or list them all (:NAME, :'NAME', :"NAME"
                         interpolate it); ON_ERROR_STOP, QUIET, ECHO, AUTOCOMMIT...
  \unset NAME            unset (delete) a variable

Conditionals
  \if EXPR               begin a conditional block
  \elif EXPR             alternative within the current conditional block
  \else                  final alternative within the current conditional block
  \endif                 end a conditional block

Formatting
  \a                     toggle between unaligned and aligned output mode
  \pset [NAME [VALUE]]   set a printing option: format (aligned, unaligned, csv, json,
                         markdown), null, expanded, tuples_only, footer, fieldsep
  \t [on|off]            show only rows
  \x [on|off|auto]       toggle expanded output
  \timing [on|off]       toggle timing of commands

Keys: Tab completes keywords and names; Ctrl-C cancels a running query or clears the
input; Ctrl-D on an empty line quits; Up/Down and Ctrl-R search the history.
Patterns: * matches any text, ? one character, schema.name, "Quoted" keeps case.
"#;

fn invalid(name: &str) -> Message {
    Message::client("42601", format!("invalid command \\{name}"))
}

impl Shell {
    /// Runs the meta-command `cmd` (from its backslash to the end of its line): the shell's
    /// own (`\d` family, `\l`, `\e`, `\?`, `\i`), then [`script::meta_common`]'s.
    pub(crate) fn meta(&mut self, state: &mut State, cmd: &str) -> Result<(), Message> {
        let cmd = cmd.trim();
        let body = cmd.strip_prefix('\\').unwrap_or(cmd);
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let (name, rest) = body.split_at(name_end);
        let a = script::meta_args(rest);
        let arg = a.first().map(String::as_str);
        match name {
            "?" => {
                writeln!(state.out, "{}", HELP.trim_end()).map_err(io_error)?;
                Ok(())
            }
            "h" | "help" => {
                let text = super::help::help(rest);
                state.out.write_all(text.as_bytes()).map_err(io_error)
            }
            "i" | "include" | "ir" | "include_relative" => {
                let Some(p) = arg else {
                    return Err(Message::client(
                        "42601",
                        format!("\\{name}: missing required argument"),
                    ));
                };
                let mut path = PathBuf::from(p);
                if (name.starts_with("ir") || name == "include_relative")
                    && path.is_relative()
                    && let Some(dir) = state.source.as_ref().and_then(|s| s.parent())
                {
                    path = dir.join(path);
                }
                script::run_file(state, &path, &mut |s, c| self.meta(s, c)).map(|_| ())
            }
            "e" | "edit" => self.edit(state, arg),
            // psql's \echo writes to the terminal even while \o sends results to a file.
            "echo" if self.output_file => {
                let (newline, words) = match arg {
                    Some("-n") => (false, &a[1..]),
                    _ => (true, &a[..]),
                };
                let mut out = std::io::stdout();
                let text = format!("{}{}", words.join(" "), if newline { "\n" } else { "" });
                out.write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(io_error)
            }
            "l" | "list" | "l+" | "list+" | "sf" | "sf+" => {
                catalog_meta(state, cmd).unwrap_or(Ok(()))
            }
            n if n.starts_with('d') => describe_command(state, n, arg),
            "c" | "connect" => {
                let r = script::meta_common(state, cmd).unwrap_or(Ok(()));
                if r.is_ok() {
                    self.superuser = super::is_superuser(state);
                }
                self.catalog_stale = true;
                r
            }
            "o" | "out" => {
                let r = script::meta_common(state, cmd).unwrap_or(Ok(()));
                if r.is_ok() {
                    self.output_file = arg.is_some();
                }
                r
            }
            _ => match script::meta_common(state, cmd) {
                Some(r) => r,
                None => Err(invalid(name)),
            },
        }
    }

    /// `\e [FILE]`: edits the query buffer (or the last query, or FILE) in `$VISUAL`,
    /// `$EDITOR` or `vi`; what comes back is typed in: statements ending with `;` run, the
    /// rest stays in the buffer.
    fn edit(&mut self, state: &mut State, file: Option<&str>) -> Result<(), Message> {
        let editor = std::env::var("VISUAL")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "vi".to_string());
        let (path, temporary) = match file {
            Some(f) => (PathBuf::from(f), false),
            None => {
                let p = std::env::temp_dir().join(format!(
                    "basalt-edit-{}-{}.sql",
                    std::process::id(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos())
                ));
                let mut text = if state.splitter.pending().trim().is_empty() {
                    state.last_query.clone().unwrap_or_default()
                } else {
                    state.splitter.pending().to_string()
                };
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                std::fs::write(&p, text).map_err(|e| {
                    Message::client("58030", format!("could not write {}: {e}", p.display()))
                })?;
                (p, true)
            }
        };
        // The editor may carry arguments (`code --wait`): run it through sh, as psql does.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(&path)
            .status();
        let text = match status {
            Ok(s) if s.success() => std::fs::read_to_string(&path)
                .map_err(|e| format!("could not read {}: {e}", path.display())),
            Ok(s) => Err(format!("editor \"{editor}\" failed: {s}")),
            Err(e) => Err(format!("could not start editor \"{editor}\": {e}")),
        };
        if temporary {
            let _ = std::fs::remove_file(&path);
        }
        let text = text.map_err(|e| Message::client("58030", e))?;
        state.splitter.clear();
        for line in text.lines() {
            let pieces = state.push_line(line);
            self.run_pieces(state, pieces);
            if state.quit {
                return Ok(());
            }
        }
        // An unterminated statement stays in the buffer; psql shows it.
        let pending = state.splitter.pending().trim_end().to_string();
        if !pending.is_empty() {
            writeln!(state.out, "{pending}").map_err(io_error)?;
        }
        Ok(())
    }
}

fn io_error(e: std::io::Error) -> Message {
    Message::client("58030", format!("could not write the output: {e}"))
}

/// Prints what a describe command found; psql's notes (`Did not find any relation named
/// "x".`) go to stderr and are no error.
/// `\d`, `\d NAME`, `\dt`, `\di`, `\dv`, `\ds`, `\dn`, `\df`, `\du` (with `S` and `+`).
fn describe_command(state: &mut State, name: &str, pattern: Option<&str>) -> Result<(), Message> {
    let mods = &name[1..];
    let system = mods.contains('S');
    let verbose = mods.contains('+');
    let letters: String = mods.chars().filter(|c| !matches!(c, 'S' | '+')).collect();
    let c = state.client.as_mut();
    let r = match letters.as_str() {
        "" => match pattern {
            None => describe::list_relations(c, "", system, verbose, None).map(|t| vec![t]),
            Some(p) => describe::describe(c, system, verbose, p),
        },
        "n" => describe::list_schemas(c, system, verbose, pattern).map(|t| vec![t]),
        "f" => describe::list_functions(c, system, pattern).map(|t| vec![t]),
        "T" => describe::list_types(c, system, verbose, pattern).map(|t| vec![t]),
        "u" | "g" => describe::list_roles(c, system, pattern).map(|t| vec![t]),
        l if l.chars().all(|x| "tivmsE".contains(x)) => {
            describe::list_relations(c, l, system, verbose, pattern).map(|t| vec![t])
        }
        _ => return Err(invalid(name)),
    };
    show(state, r)
}

/// The catalog meta-commands (`\d` family, `\l`), which need no terminal: for the shell and
/// for `basalt sql` alike. `None`: `cmd` is another command.
pub(crate) fn catalog_meta(state: &mut State, cmd: &str) -> Option<Result<(), Message>> {
    let body = cmd.trim().strip_prefix('\\').unwrap_or(cmd.trim());
    let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let (name, rest) = body.split_at(name_end);
    let a = script::meta_args(rest);
    let arg = a.first().map(String::as_str);
    match name {
        "l" | "list" | "l+" | "list+" => {
            let r = describe::list_databases(state.client.as_mut(), name.ends_with('+'), arg);
            Some(show(state, r.map(|t| vec![t])))
        }
        "sf" | "sf+" => {
            let r = describe::function_source(state.client.as_mut(), name == "sf+", rest);
            Some(match r {
                Ok(text) => state
                    .out
                    .write_all(text.as_bytes())
                    .and_then(|()| state.out.flush())
                    .map_err(io_error),
                Err(e) => show(state, Err(e)),
            })
        }
        n if n.starts_with('d') => Some(describe_command(state, n, arg)),
        _ => None,
    }
}

fn show(state: &mut State, r: Result<Vec<Table>, describe::Error>) -> Result<(), Message> {
    match r {
        Ok(tables) => {
            for t in tables {
                print_table(state, &t).map_err(io_error)?;
            }
            state.out.flush().map_err(io_error)
        }
        Err(describe::Error::NotFound(m)) => {
            let _ = state.out.flush();
            let _ = writeln!(state.err, "{m}");
            Ok(())
        }
        Err(describe::Error::Sql(m)) => Err(m),
    }
}

/// Prints a describe table: psql's title centred over an aligned table, then the footer
/// lines; the other formats print the rows as they print any result.
fn print_table(state: &mut State, t: &Table) -> std::io::Result<()> {
    let mut opts = state.print.clone();
    let aligned = opts.format == Format::Aligned;
    opts.footer = false;
    let mut buf = Vec::new();
    print::print_rows(&t.outcome, &opts, &mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let out = &mut state.out;
    if !aligned || opts.tuples_only {
        return out.write_all(text.as_bytes());
    }
    // The table ends with an empty line; the footers go before it.
    if text.ends_with("\n\n") {
        text.pop();
    }
    let width = text.lines().next().map_or(0, print::display_width);
    let title_w = print::display_width(&t.title);
    if text.starts_with("-[ RECORD") || title_w >= width {
        writeln!(out, "{}", t.title)?;
    } else {
        writeln!(out, "{:pad$}{}", "", t.title, pad = (width - title_w) / 2)?;
    }
    out.write_all(text.as_bytes())?;
    for f in &t.footers {
        writeln!(out, "{f}")?;
    }
    if t.row_count && state.print.footer {
        let n = t.outcome.rows.len();
        writeln!(out, "({n} row{})", if n == 1 { "" } else { "s" })?;
    }
    writeln!(out)
}
