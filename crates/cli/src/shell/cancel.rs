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
    /// registered) Ctrl-C keeps its default effect.
    pub fn install() -> std::io::Result<Guard> {
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
