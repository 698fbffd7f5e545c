//! The line editor's helper: highlighting and completion for rustyline.
//!
//! The shell reads one line at a time, so the helper is told what came before the line
//! (the statement text still pending and the splitter's state) through [`Context`], which
//! the loop updates before each read.

use std::borrow::Cow;
use std::cell::RefCell;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context as RlContext, Helper};

use super::complete::{self, Catalog, Completion};
use super::highlight::{self, Start};

/// What the helper knows about the statement around the line being edited.
#[derive(Default)]
pub struct Context {
    /// The text of the statement's earlier lines.
    pub pending: String,
    /// psql's `%R` for that text.
    pub state: char,
    /// The names to complete.
    pub catalog: Catalog,
}

/// rustyline's helper for the shell.
pub struct ShellHelper {
    /// Updated by the loop before each line.
    pub ctx: RefCell<Context>,
    /// Whether to colour the line (a terminal, `NO_COLOR` unset).
    pub colour: bool,
    files: FilenameCompleter,
}

impl ShellHelper {
    /// A helper that colours when `colour` is set.
    pub fn new(colour: bool) -> ShellHelper {
        ShellHelper {
            ctx: RefCell::new(Context {
                state: '=',
                ..Context::default()
            }),
            colour,
            files: FilenameCompleter::new(),
        }
    }
}

impl Completer for ShellHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &RlContext<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let c = self.ctx.borrow();
        let pending = if c.state == '=' {
            ""
        } else {
            c.pending.as_str()
        };
        match complete::complete(&c.catalog, pending, line, pos) {
            Completion::File => self.files.complete(line, pos, ctx),
            Completion::Words(start, words) => Ok((
                start,
                words
                    .into_iter()
                    .map(|w| Pair {
                        display: w.clone(),
                        replacement: w,
                    })
                    .collect(),
            )),
        }
    }
}

impl Hinter for ShellHelper {
    type Hint = String;
}

impl Validator for ShellHelper {}

impl Highlighter for ShellHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        let state = self.ctx.borrow().state;
        Cow::Owned(highlight::highlight(line, Start::from_prompt(state)))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.colour && kind != CmdKind::MoveCursor
    }
}

impl Helper for ShellHelper {}
