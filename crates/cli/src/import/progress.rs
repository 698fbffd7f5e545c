//! Progress of an import: an indicatif bar on a terminal (stderr), plain lines every few
//! seconds otherwise (logs, CI), nothing with `--quiet`.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the position counts.
#[derive(Clone, Copy)]
pub enum Unit {
    /// Bytes of the input file.
    Bytes,
    /// Rows of the source.
    Rows,
}

/// The reporter.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    unit: Unit,
    total: u64,
    start: Instant,
    last: Instant,
}

/// Seconds between plain progress lines.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// A reporter for `total` units (0 when unknown); `quiet` shows nothing.
    pub fn new(unit: Unit, total: u64, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = (!quiet && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let template = match unit {
                Unit::Bytes => {
                    "{spinner} [{bar:30}] {bytes}/{total_bytes} {msg} {binary_bytes_per_sec} ETA {eta}"
                }
                Unit::Rows => "{spinner} [{bar:30}] {pos}/{len} rows {msg} ETA {eta}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        let now = Instant::now();
        Progress {
            bar,
            plain: !quiet && !terminal,
            unit,
            total,
            start: now,
            last: now,
        }
    }

    /// Reports `rows` imported so far and the position `pos` (bytes or rows).
    pub fn update(&mut self, rows: u64, pos: u64) {
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let rate = rows as f64 / secs;
        if let Some(bar) = &self.bar {
            bar.set_position(pos);
            bar.set_message(format!("{rows} rows ({rate:.0} rows/s)"));
        } else if self.plain && self.last.elapsed() >= PLAIN_EVERY {
            self.last = Instant::now();
            let of = match (self.unit, self.total) {
                (_, 0) => String::new(),
                (Unit::Bytes, t) => format!(
                    ", {:.1} of {:.1} MB ({:.0}%)",
                    pos as f64 / 1e6,
                    t as f64 / 1e6,
                    pos as f64 * 100.0 / t as f64
                ),
                (Unit::Rows, t) => format!(
                    ", {pos} of {t} source rows ({:.0}%)",
                    pos as f64 * 100.0 / t as f64
                ),
            };
            #[allow(clippy::print_stderr)]
            {
                eprintln!("import: {rows} rows{of}, {rate:.0} rows/s");
            }
        }
    }

    /// Removes the bar (before the summary or an error is printed).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// The time since the start.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
