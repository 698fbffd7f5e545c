//! Ctrl-C while a statement runs cancels the statement, not the shell.
//!
//! While rustyline reads a line the terminal is in raw mode and Ctrl-C arrives as a key
//! (the editor clears the line); while a statement runs the terminal is in its normal mode
//! and Ctrl-C raises SIGINT. A thread waits for SIGINT (signal-hook: no code runs in the
//! signal handler itself) and calls the canceller of the statement running at that moment,
//! if any; the statement then fails with 57014 and the shell carries on.

use std::sync::{Arc, Mutex};

use crate::client::Canceller;

/// The statement that Ctrl-C would cancel now.
#[derive(Clone, Default)]
pub struct Guard {
    current: Arc<Mutex<Option<Canceller>>>,
}

impl Guard {
    /// Starts the thread that turns SIGINT into a cancel. Without it (the signal could not be
    /// registered) Ctrl-C keeps its default effect. With `exit_when_idle` (a script read from
    /// a pipe), Ctrl-C also ends the process, as psql does, when a cancelled statement has not
    /// ended it within a second (status 130, the shells' code for SIGINT): a script waiting
    /// for its next line has no statement to cancel. Interactively the editor takes Ctrl-C as
    /// a key at the prompt instead.
    pub fn install(exit_when_idle: bool) -> std::io::Result<Guard> {
        let g = Guard::default();
        let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])?;
        let current = g.current.clone();
        std::thread::Builder::new()
            .name("sigint".into())
            .spawn(move || {
                for _ in signals.forever() {
                    let c = current.lock().ok().and_then(|c| c.clone());
                    if let Some(cancel) = c {
                        cancel();
                    }
                    if exit_when_idle {
                        // A cancelled statement stops the script (exit 3) at once; a script
                        // waiting for its next line has nothing to cancel: leave after a grace.
                        std::thread::sleep(std::time::Duration::from_secs(1));
                        std::process::exit(130);
                    }
                }
            })?;
        Ok(g)
    }

    /// Runs `f` with `cancel` as what Ctrl-C calls.
    pub fn during<T>(&self, cancel: Canceller, f: impl FnOnce() -> T) -> T {
        if let Ok(mut c) = self.current.lock() {
            *c = Some(cancel);
        }
        let r = f();
        if let Ok(mut c) = self.current.lock() {
            *c = None;
        }
        r
    }
}
