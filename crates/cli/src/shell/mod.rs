//! The interactive shell (`basalt shell`): psql's way of working, on an embedded database
//! or a server.
//!
//! # Design
//!
//! The shell reads one line at a time with rustyline and feeds it to the statement splitter
//! ([`crate::split::Splitter`]), as psql does: a statement runs when its `;` arrives (outside
//! quotes, dollar quotes and comments), a backslash command runs at the end of its line, and
//! the prompt shows where the splitter is (`basalt=> `, `basalt-> `, `basalt'> `...) and the
//! transaction state (`basalt=*> ` in a block, `basalt=!> ` in a failed one; `#` instead of
//! `>` for a superuser). A statement typed over several lines becomes one history entry;
//! the history is read from `$BASALT_HISTORY` (else `~/.basalt_history`) at start and written
//! back when the shell leaves. rustyline keeps its input buffer from one line to the next
//! (its `buffer-redux` feature), so lines typed or pasted while a statement runs are not lost.
//!
//! Statements run through [`crate::script::run_sql`] with a [`crate::script::State`] (client,
//! print settings, output, timing, the query buffer), so the shell prints exactly what
//! `basalt sql` prints, and the meta-commands that need no terminal are
//! [`crate::script::meta_common`]'s; results print in the terminal's width for `\x auto`. While a
//! statement runs, Ctrl-C cancels it ([`cancel`]); at the prompt it clears the line and the
//! statement being typed; Ctrl-D on an empty line leaves.
//!
//! Completion ([`complete`]) and highlighting ([`highlight`]) live in the editor's helper
//! ([`editor`]); meta-commands in [`meta`]; the `\d` family's catalog queries in [`describe`].
//!
//! When standard input is not a terminal the shell reads it as a script (no prompts, no
//! colours, no history), as `basalt sql -f -` does, with the shell's meta-commands.

mod cancel;
mod complete;
mod describe;
mod editor;
mod help;
mod highlight;
mod keywords;
pub(crate) mod meta;
mod pattern;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};

use crate::client::{self, Message, TxStatus};
use crate::print::{self, Expanded, Format};
use crate::script::{self, OnError, State};
use crate::split::Piece;

/// `basalt shell`'s arguments.
#[derive(clap::Args)]
pub struct ShellArgs {
    /// A database directory (created if missing), `:memory:` (the default: nothing is
    /// kept), or a server's `postgres://user@host:port/db` URL.
    pub target: Option<String>,
    /// Output format: aligned, unaligned, csv, json or markdown.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Expanded output (one line per column).
    #[arg(short = 'x', long)]
    pub expanded: bool,
    /// What NULL prints as.
    #[arg(long, value_name = "TEXT")]
    pub null: Option<String>,
    #[command(flatten)]
    pub vars: script::SetArgs,
}

/// What the shell keeps besides the [`State`].
pub(crate) struct Shell {
    /// The names completion offers.
    pub catalog: complete::Catalog,
    /// Reload [`Shell::catalog`] before the next prompt.
    pub catalog_stale: bool,
    /// Ctrl-C's target while a statement runs.
    pub guard: Option<cancel::Guard>,
    /// Whether the user is a superuser (`#` in the prompt).
    pub superuser: bool,
    /// Whether stdout is a terminal (its width for `\x auto`).
    pub stdout_tty: bool,
    /// Results go to a file (`\o FILE`), not the terminal.
    pub output_file: bool,
}

/// Runs `basalt shell`; the exit status is `basalt sql`'s (0, or 3 when a statement of a
/// piped script failed, 2 when the database could not be opened).
pub fn run(args: &ShellArgs) -> u8 {
    let target = args
        .target
        .clone()
        .unwrap_or_else(|| ":memory:".to_string());
    let client = match client::open(&target) {
        Ok(c) => c,
        Err(m) => {
            #[allow(clippy::print_stderr)]
            {
                eprint!("basalt: {}", print::format_error(&m, None));
            }
            return script::EXIT_CONNECT;
        }
    };
    let mut state = State::new(client);
    if let Some(f) = &args.format {
        match Format::parse(f) {
            Some(f) => state.print.format = f,
            None => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!(
                        "basalt: unknown format \"{f}\" (aligned, unaligned, csv, json, markdown)"
                    );
                }
                return script::EXIT_FAILURE;
            }
        }
    }
    if args.expanded {
        state.print.expanded = Expanded::On;
    }
    if let Some(n) = &args.null {
        state.print.null = n.clone();
    }
    let mut shell = Shell {
        catalog: complete::Catalog::default(),
        catalog_stale: true,
        guard: cancel::Guard::install(!std::io::stdin().is_terminal()).ok(),
        superuser: false,
        stdout_tty: std::io::stdout().is_terminal(),
        output_file: false,
    };
    shell.superuser = is_superuser(&mut state);
    let tty = std::io::stdin().is_terminal();
    // Interactively, a failing statement of an `\i` file does not stop it (psql's default).
    if tty {
        state.on_error = OnError::Continue;
    }
    if let Err(m) = script::apply_set_options(&mut state, &args.vars.set) {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("basalt: {m}");
        }
        return script::EXIT_FAILURE;
    }
    if !tty {
        return shell.run_stdin(&mut state);
    }
    match shell.interactive(&mut state, &target) {
        Ok(()) => 0,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("basalt: {e}");
            }
            script::EXIT_FAILURE
        }
    }
}

/// The history file: `$BASALT_HISTORY`, else `~/.basalt_history`.
fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BASALT_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".basalt_history"))
}

/// Whether the statement `sql` may change the names completion offers.
fn changes_catalog(sql: &str) -> bool {
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    match first.as_str() {
        "CREATE" | "ALTER" | "DROP" | "COMMIT" | "ROLLBACK" | "ABORT" | "END" | "SET" | "RESET"
        | "IMPORT" | "BEGIN" | "START" => true,
        // SELECT ... INTO makes a table.
        "SELECT" => sql.to_ascii_uppercase().contains(" INTO "),
        _ => false,
    }
}

fn is_superuser(state: &mut State) -> bool {
    client::query(
        state.client.as_mut(),
        "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user",
    )
    .ok()
    .and_then(|r| r.into_iter().next())
    .and_then(|o| o.rows.into_iter().next())
    .and_then(|r| r.into_iter().next().flatten())
    .is_some_and(|v| v == "t")
}

impl Shell {
    /// psql's default prompt `%/%R%x%# `: the database, the splitter's state, the
    /// transaction's (`*` in a block, `!` in a failed one), `#` for a superuser.
    fn prompt(&self, state: &State) -> String {
        let tx = match state.client.status() {
            TxStatus::Idle => "",
            TxStatus::InTransaction => "*",
            TxStatus::Failed => "!",
        };
        // `@` in an inactive \if branch, as psql.
        let r = match state.splitter.prompt_state() {
            '=' if !state.active() => '@',
            c => c,
        };
        format!(
            "{}{r}{tx}{} ",
            state.client.database(),
            if self.superuser { '#' } else { '>' }
        )
    }

    /// Reloads the completion names if something may have changed them (not in a failed
    /// block, which refuses queries: the old names serve until it ends).
    fn refresh_catalog(&mut self, state: &mut State) {
        if !self.catalog_stale || state.client.status() == TxStatus::Failed {
            return;
        }
        if let Ok(c) = complete::Catalog::load(state.client.as_mut()) {
            self.catalog = c;
            self.catalog_stale = false;
        }
    }

    /// The terminal's width for `\x auto`, when results go to it.
    fn set_width(&self, state: &mut State) {
        if self.stdout_tty && !self.output_file {
            state.print.width = terminal_size::terminal_size().map(|(w, _)| w.0 as usize);
        }
    }

    /// Runs `f` with Ctrl-C cancelling the client's running statement.
    fn cancellable<T>(
        guard: Option<cancel::Guard>,
        state: &mut State,
        f: impl FnOnce(&mut State) -> T,
    ) -> T {
        match guard {
            Some(g) => {
                let c = state.client.canceller();
                g.during(c, || f(state))
            }
            None => f(state),
        }
    }

    /// Runs what a typed line completed: statements (errors are printed by
    /// [`script::run_sql`]) and meta-commands (their errors printed here, as psql).
    fn run_pieces(&mut self, state: &mut State, pieces: Vec<Piece>) {
        for p in pieces {
            self.set_width(state);
            let guard = self.guard.clone();
            match p {
                // An inactive \if branch drops its statements.
                Piece::Statement(_) if !state.active() => {}
                Piece::Statement(sql) => {
                    if changes_catalog(&sql) {
                        self.catalog_stale = true;
                    }
                    let _ = Shell::cancellable(guard, state, |s| script::run_sql(s, &sql));
                }
                Piece::Meta(cmd) => {
                    // \g and \i run statements: Ctrl-C cancels them too.
                    let r = Shell::cancellable(guard, state, |s| {
                        script::dispatch_meta(s, &cmd, &mut |s, c| self.meta(s, c))
                    });
                    if let Err(e) = r
                        && !state.already_reported(&e)
                    {
                        report_meta_error(state, &cmd, &e);
                    }
                    let name = cmd.split_whitespace().next().unwrap_or("");
                    if matches!(
                        name,
                        "\\c"
                            | "\\connect"
                            | "\\i"
                            | "\\ir"
                            | "\\include"
                            | "\\include_relative"
                            | "\\g"
                            | "\\gx"
                            | "\\e"
                            | "\\edit"
                    ) {
                        self.catalog_stale = true;
                    }
                }
            }
            let _ = state.out.flush();
            if state.quit {
                return;
            }
        }
    }

    fn interactive(&mut self, state: &mut State, target: &str) -> Result<(), String> {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let config = Config::builder()
            .auto_add_history(false)
            .history_ignore_dups(true)
            .map_err(|e| e.to_string())?
            .max_history_size(2000)
            .map_err(|e| e.to_string())?
            .completion_type(CompletionType::List)
            .build();
        let mut ed: Editor<editor::ShellHelper, DefaultHistory> =
            Editor::with_config(config).map_err(|e| e.to_string())?;
        ed.set_helper(Some(editor::ShellHelper::new(colour)));
        let history = history_path();
        if let Some(h) = &history {
            // A missing file is a first run.
            let _ = ed.load_history(h);
        }
        let what = if target == ":memory:" {
            "in-memory database (nothing is kept: give a directory to keep data)".to_string()
        } else {
            state.client.describe()
        };
        let _ = writeln!(
            state.out,
            "basalt {}, {what}\nType \\? for help, \\q to quit.",
            env!("CARGO_PKG_VERSION")
        );
        let _ = state.out.flush();
        // The lines of the statement being typed: one history entry when it completes.
        let mut entry: Vec<String> = Vec::new();
        while !state.quit {
            self.refresh_catalog(state);
            if let Some(h) = ed.helper_mut() {
                let mut c = h.ctx.borrow_mut();
                c.pending = state.splitter.pending().to_string();
                c.state = state.splitter.prompt_state();
                if !self.catalog_stale || c.catalog.relations.is_empty() {
                    c.catalog = self.catalog.clone();
                }
            }
            let prompt = self.prompt(state);
            match ed.readline(&prompt) {
                Ok(text) => {
                    // A history entry of several lines comes back as one string.
                    for line in text.split('\n') {
                        entry.push(line.to_string());
                        let pieces = state.push_line(line);
                        if !pieces.is_empty() || state.splitter.is_empty() {
                            let e = entry.join("\n");
                            if !e.trim().is_empty() {
                                let _ = ed.add_history_entry(e);
                            }
                            entry.clear();
                        }
                        self.run_pieces(state, pieces);
                        if state.quit {
                            break;
                        }
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    // Ctrl-C at the prompt forgets the statement being typed.
                    state.splitter.clear();
                    entry.clear();
                }
                Err(ReadlineError::Eof) => {
                    let _ = writeln!(state.out, "\\q");
                    break;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        let _ = state.out.flush();
        if let Some(h) = &history
            && let Err(e) = ed.save_history(h)
        {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("could not save history to file \"{}\": {e}", h.display());
            }
        }
        Ok(())
    }

    /// Standard input is not a terminal: run it as `basalt sql -f -` does (no prompts, no
    /// colours, stop at the first error and exit 3), with the shell's meta-commands.
    fn run_stdin(&mut self, state: &mut State) -> u8 {
        // Line by line, not holding stdin's lock: a statement that `\g` runs reads its COPY
        // data from stdin too.
        let mut input = script::StdinLines::default();
        self.set_width(state);
        let guard = self.guard.clone();
        let r = Shell::cancellable(guard, state, |s| {
            let on_error = s.on_error;
            script::run_script(s, &mut input, on_error, &mut |s, c| self.meta(s, c))
        });
        let _ = state.out.flush();
        match r {
            Ok(_) => 0,
            Err(_) => script::EXIT_SQL_ERROR,
        }
    }
}

/// A meta-command's error as psql shows it: its message alone (`invalid command \foo`),
/// SQL errors of `\g` having been shown already.
fn report_meta_error(state: &mut State, cmd: &str, e: &Message) {
    let name = cmd.split_whitespace().next().unwrap_or(cmd);
    if matches!(name, "\\g" | "\\gx" | "\\;") {
        return;
    }
    let _ = state.out.flush();
    // The shell's own checks (an unknown command, a bad \pset value) print as psql's do,
    // without a severity; errors from the database keep theirs.
    let text = if matches!(
        e.code.as_str(),
        "42601" | "22023" | "0A000" | "58030" | "58P01"
    ) {
        format!("{}\n", e.message)
    } else {
        print::format_error(e, None)
    };
    let _ = state.err.write_all(text.as_bytes());
    if e.message.starts_with("invalid command") {
        let _ = state.err.write_all(b"Try \\? for help.\n");
    }
    let _ = state.err.flush();
}
