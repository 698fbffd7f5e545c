//! The interleaved comparison the `embedded_compare` binary runs: each workload as SQLite,
//! Basalt, SQLite, Basalt, ... (one unmeasured warm-up pair, then `pairs` measured pairs;
//! shared machines drift, so a ratio is taken within each pair), reported per workload as the
//! median of the pair ratios with their min–max, in the rows of the comparison harness's
//! common JSON schema.
//!
//! Every ratio is oriented so that above 1 means Basalt is better: Basalt/SQLite for rates.
//! A failed run is counted in the row's `errors` for its side and leaves its pair without a
//! ratio; [`Row::errors`] lets the caller fail.
//!
//! Peak memory: before each run the process's peak RSS is reset (`/proc/self/clear_refs`,
//! Linux) and its RSS read; after it, the growth is the new peak less that RSS. Both sides
//! run in this one process, one after the other, so each run's growth is its own; a row
//! reports the largest growth of each side over its measured pairs (`null` where `/proc`
//! does not allow it).

use std::path::Path;
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::{
    BasaltSide, BenchResult, BulkRun, Keys, Sizes, SqliteSide, basalt_bulk_fresh, sqlite_bulk_fresh,
};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tiny sizes and operation counts (a smoke test).
    pub quick: bool,
    /// Measured pairs per workload.
    pub pairs: usize,
    /// Whether an unmeasured pair runs first.
    pub warmup: bool,
    /// Rows of each bulk load.
    pub bulk_rows: i64,
    /// Workload ids to run (all when `None`); see [`WORKLOADS`].
    pub only: Option<Vec<String>>,
}

impl Options {
    /// The full comparison: 5 pairs after a warm-up, 1M-row bulk loads.
    pub fn full() -> Options {
        Options {
            quick: false,
            pairs: 5,
            warmup: true,
            bulk_rows: 1_000_000,
            only: None,
        }
    }

    /// The smoke test: tiny sizes, one pair, no warm-up.
    pub fn quick() -> Options {
        Options {
            quick: true,
            pairs: 1,
            warmup: false,
            bulk_rows: 2_000,
            only: None,
        }
    }
}

const FULL: &str = "SQLite (WAL, synchronous=FULL)";
const OFF: &str = "SQLite (WAL, synchronous=OFF)";

/// One workload of the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Short name for `--only`.
    pub id: &'static str,
    /// The row's `workload` text.
    pub name: &'static str,
    /// `ops/s` or `rows/s`.
    pub metric: &'static str,
    /// The SQLite configuration compared against.
    pub reference: &'static str,
    /// The target for the median ratio, if it sets one.
    pub target: Option<f64>,
    /// Operations (or rows) per run: full size, quick size. Bulk loads take
    /// [`Options::bulk_rows`] instead.
    pub ops: (u64, u64),
    /// Threads of a multi-threaded workload (operations are per thread), 1 otherwise.
    pub threads: usize,
    /// What the row measures, for its note.
    pub note: &'static str,
}

/// The workloads, in the order they run.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        id: "point",
        name: "prepared point select",
        metric: "ops/s",
        reference: FULL,
        target: Some(2.0),
        ops: (20_000, 200),
        threads: 1,
        note: "SELECT name, price FROM items WHERE id = $1, random ids of 10k rows (checkpointed), 1 thread",
    },
    Workload {
        id: "range_index",
        name: "range scan, 100 rows via an index",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (2_000, 20),
        threads: 1,
        note: "SELECT id, price FROM items WHERE cat >= $1 AND cat < $1 + 100 (secondary index; rows spread over the table), scans/s",
    },
    Workload {
        id: "range_pk",
        name: "range scan, 100 rows via the primary key",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (2_000, 20),
        threads: 1,
        note: "SELECT id, price FROM items WHERE id >= $1 AND id < $1 + 100, scans/s",
    },
    Workload {
        id: "insert",
        name: "single-row durable insert, 1 thread",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (300, 10),
        threads: 1,
        note: "prepared INSERT, autocommit per row; Basalt synchronous_commit=on: an fsync per commit on both sides",
    },
    Workload {
        id: "insert16",
        name: "single-row durable insert, 16 threads",
        metric: "ops/s",
        reference: FULL,
        target: Some(10.0),
        ops: (64, 5),
        threads: 16,
        note: "16 threads, each its own connection, prepared INSERT autocommit per row; Basalt synchronous_commit=on (group commit: one fsync serves the commits waiting for it); SQLite runs one writer at a time, the others wait in its busy handler (busy_timeout 30 s)",
    },
    Workload {
        id: "insert_relaxed",
        name: "single-row relaxed insert, 1 thread",
        metric: "ops/s",
        reference: OFF,
        target: None,
        ops: (10_000, 50),
        threads: 1,
        note: "prepared INSERT, autocommit per row, no fsync wait: Basalt synchronous_commit=off, SQLite synchronous=OFF",
    },
    Workload {
        id: "bulk_copy",
        name: "bulk load, COPY FROM STDIN",
        metric: "rows/s",
        reference: FULL,
        target: Some(1.0),
        ops: (0, 0),
        threads: 1,
        note: "Basalt COPY FROM STDIN (CSV in memory) against SQLite's prepared INSERT in one transaction, each into a fresh database; timed until the data is durable (Basalt: the commit's log fsync, no checkpoint needed for durability and none timed; SQLite: the commit's WAL fsync, its automatic checkpoints inside the load timed)",
    },
    Workload {
        id: "bulk_insert",
        name: "bulk load, prepared INSERT in one transaction",
        metric: "rows/s",
        reference: FULL,
        target: Some(1.0),
        ops: (0, 0),
        threads: 1,
        note: "prepared INSERT per row in one transaction on both sides, each into a fresh database; timed until the data is durable (as the COPY row)",
    },
    Workload {
        id: "ycsb1",
        name: "YCSB-A-like 50% read / 50% update, zipfian, 1 thread",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (1_000, 40),
        threads: 1,
        note: "point read or point update (autocommit, durable) of a 100-byte field, 100k rows, keys scrambled zipfian θ=0.99 (YCSB's default), same key sequence on both sides",
    },
    Workload {
        id: "ycsb8",
        name: "YCSB-A-like 50% read / 50% update, zipfian, 8 threads",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (200, 10),
        threads: 8,
        note: "as the 1-thread row, 8 threads each with its own connection",
    },
    Workload {
        id: "join",
        name: "join + aggregate (3 tables, GROUP BY)",
        metric: "ops/s",
        reference: FULL,
        target: None,
        ops: (10, 2),
        threads: 1,
        note: "orders (10k) ⋈ customers (100) ⋈ items (10k), count and sum by region; queries/s",
    },
];

/// One row of the report, in the common schema ([`Row::to_json`]).
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload.
    pub workload: Workload,
    /// SQLite's rate per measured pair (pairs where it failed left out).
    pub reference_values: Vec<f64>,
    /// Basalt's rate per measured pair.
    pub basalt_values: Vec<f64>,
    /// Basalt/SQLite per pair where both ran.
    pub ratios: Vec<f64>,
    /// Failed runs: SQLite's, Basalt's (warm-up included).
    pub errors: (u64, u64),
    /// The first error message of each side.
    pub error_messages: (Option<String>, Option<String>),
    /// Retried serialization failures or busy answers: SQLite's, Basalt's.
    pub retries: (u64, u64),
    /// Largest peak-RSS growth of a measured run, bytes: SQLite's, Basalt's.
    pub rss_growth: (Option<u64>, Option<u64>),
    /// Bulk loads: bytes on disk right after the last measured load's commit, and after its
    /// close: SQLite's, Basalt's.
    pub disk: Option<((u64, u64), (u64, u64))>,
    /// Sizes of the run (for the note).
    pub detail: String,
}

/// The median of `v` (mean of the middle two for an even count), `None` when empty.
pub fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / 1_048_576.0 * 100.0).round() / 100.0
}

impl Row {
    /// Median, min and max of the ratios.
    pub fn summary(&self) -> Option<(f64, f64, f64)> {
        let med = median(&self.ratios)?;
        let min = self.ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self
            .ratios
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        Some((med, min, max))
    }

    /// Failed runs of both sides.
    pub fn error_count(&self) -> u64 {
        self.errors.0 + self.errors.1
    }

    /// The row's note: what it measures, sizes, retries, memory, disk, errors.
    pub fn note(&self) -> String {
        let mut note = format!("{}; {}", self.workload.note, self.detail);
        if self.retries != (0, 0) {
            note.push_str(&format!(
                "; retried (serialization failure / busy): SQLite {}, Basalt {}",
                self.retries.0, self.retries.1
            ));
        }
        if let (Some(r), Some(b)) = self.rss_growth {
            note.push_str(&format!(
                "; peak RSS growth (largest of the pairs): SQLite {} MiB, Basalt {} MiB",
                mib(r),
                mib(b)
            ));
        }
        if let Some(((rc, bc), (rx, bx))) = self.disk {
            note.push_str(&format!(
                "; on disk after the commit: SQLite {} MiB, Basalt {} MiB; after close (checkpointed): SQLite {} MiB, Basalt {} MiB",
                mib(rc),
                mib(bc),
                mib(rx),
                mib(bx)
            ));
        }
        for (side, msg) in [
            ("SQLite", &self.error_messages.0),
            ("Basalt", &self.error_messages.1),
        ] {
            if let Some(m) = msg {
                note.push_str(&format!("; {side} error: {m}"));
            }
        }
        note
    }

    /// The row in the common JSON schema (plus `id`, `rss_growth_mib` and, for bulk loads,
    /// `disk_mib`).
    pub fn to_json(&self) -> Json {
        let (median, min, max) = match self.summary() {
            Some((a, b, c)) => (json!(a), json!(b), json!(c)),
            None => (Json::Null, Json::Null, Json::Null),
        };
        let mut row = json!({
            "group": "embedded",
            "id": self.workload.id,
            "workload": self.workload.name,
            "metric": self.workload.metric,
            "higher_is_better": true,
            "reference": self.workload.reference,
            "reference_values": self.reference_values,
            "basalt_values": self.basalt_values,
            "ratios": self.ratios,
            "median": median,
            "min": min,
            "max": max,
            "target": self.workload.target,
            "errors": {"reference": self.errors.0, "basalt": self.errors.1},
            "note": self.note(),
            "rss_growth_mib": {
                "reference": self.rss_growth.0.map(mib),
                "basalt": self.rss_growth.1.map(mib),
            },
        });
        if let (Some(((rc, bc), (rx, bx))), Some(obj)) = (self.disk, row.as_object_mut()) {
            obj.insert(
                "disk_mib".into(),
                json!({
                    "reference": mib(rc), "basalt": mib(bc),
                    "reference_after_close": mib(rx), "basalt_after_close": mib(bx),
                }),
            );
        }
        row
    }
}

/// Rate with three significant figures and a k/M suffix.
fn rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.3}k", v / 1e3)
    } else {
        format!("{v:.3}")
    }
}

/// The rows as a Markdown table: medians of each side's rates, the median ratio with its
/// min–max, the target and the errors.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| workload | metric | SQLite | SQLite (median) | Basalt (median) | Basalt/SQLite, median (min–max) | target | errors (SQLite/Basalt) |\n\
         | --- | --- | --- | ---: | ---: | --- | --- | --- |\n",
    );
    for r in rows {
        let side = |v: &[f64]| median(v).map_or_else(|| "–".to_string(), rate);
        let ratio = match r.summary() {
            Some((m, lo, hi)) => format!("**{m:.2}×** ({lo:.2}–{hi:.2})"),
            None => "–".into(),
        };
        let target = match (r.workload.target, r.summary()) {
            (Some(t), Some((m, _, _))) => {
                format!("≥ {t}× ({})", if m >= t { "met" } else { "missed" })
            }
            (Some(t), None) => format!("≥ {t}×"),
            (None, _) => String::new(),
        };
        let mode = if r.workload.reference == OFF {
            "sync=OFF"
        } else {
            "sync=FULL"
        };
        out.push_str(&format!(
            "| {} | {} | {mode} | {} | {} | {ratio} | {target} | {}/{} |\n",
            r.workload.name,
            r.workload.metric,
            side(&r.reference_values),
            side(&r.basalt_values),
            r.errors.0,
            r.errors.1
        ));
    }
    out
}

/// What one run of one side measured.
struct Sample {
    rate: f64,
    retries: u64,
    bulk: Option<BulkRun>,
}

fn per_second(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// The process's RSS after resetting its peak, bytes (`None` off Linux or where `/proc`
/// refuses).
fn reset_peak_rss() -> Option<u64> {
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    proc_status_kib("VmRSS:").map(|k| k * 1024)
}

fn peak_rss() -> Option<u64> {
    proc_status_kib("VmHWM:").map(|k| k * 1024)
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Both sides and what the workloads share.
struct Ctx<'a> {
    dir: &'a Path,
    basalt: BasaltSide,
    sqlite: SqliteSide,
    bulk_rows: i64,
    fresh: u32,
}

impl Ctx<'_> {
    /// One run of workload `w`, `seed` choosing its keys (the same for both sides of a pair).
    fn run(&mut self, w: &Workload, basalt: bool, n: u64, seed: u64) -> BenchResult<Sample> {
        let plain = |d: Duration, ops: u64| Sample {
            rate: per_second(ops, d),
            retries: 0,
            bulk: None,
        };
        let (b, s) = (&mut self.basalt, &mut self.sqlite);
        let mut keys = Keys(seed);
        Ok(match (w.id, basalt) {
            ("point", true) => plain(b.point_selects(&mut keys, n)?, n),
            ("point", false) => plain(s.point_selects(&mut keys, n)?, n),
            ("range_index", true) => plain(b.range_scans(&mut keys, n, true)?, n),
            ("range_index", false) => plain(s.range_scans(&mut keys, n, true)?, n),
            ("range_pk", true) => plain(b.range_scans(&mut keys, n, false)?, n),
            ("range_pk", false) => plain(s.range_scans(&mut keys, n, false)?, n),
            ("insert", true) => plain(b.inserts(n, true)?, n),
            ("insert", false) => plain(s.inserts(n, true)?, n),
            ("insert_relaxed", true) => plain(b.inserts(n, false)?, n),
            ("insert_relaxed", false) => plain(s.inserts(n, false)?, n),
            ("insert16", true) => plain(b.inserts_threads(w.threads, n)?, n * w.threads as u64),
            ("insert16", false) => plain(s.inserts_threads(w.threads, n)?, n * w.threads as u64),
            ("ycsb1" | "ycsb8", side) => {
                let (d, retries) = if side {
                    b.ycsb(w.threads, n, seed)?
                } else {
                    s.ycsb(w.threads, n, seed)?
                };
                Sample {
                    rate: per_second(n * w.threads as u64, d),
                    retries,
                    bulk: None,
                }
            }
            ("join", true) => plain(b.joins(n)?, n),
            ("join", false) => plain(s.joins(n)?, n),
            ("bulk_copy" | "bulk_insert", side) => {
                self.fresh += 1;
                let path = self.dir.join(format!("bulk-{}", self.fresh));
                let rows = self.bulk_rows;
                let run = if side {
                    basalt_bulk_fresh(&path, rows, w.id == "bulk_copy")?
                } else {
                    sqlite_bulk_fresh(&path, rows)?
                };
                Sample {
                    rate: per_second(rows as u64, run.elapsed),
                    retries: 0,
                    bulk: Some(run),
                }
            }
            (other, _) => return Err(format!("unknown workload {other}").into()),
        })
    }
}

fn describe(w: &Workload, n: u64, bulk_rows: i64, sizes: &Sizes) -> String {
    match w.id {
        "bulk_copy" | "bulk_insert" => format!("{bulk_rows} rows per load"),
        "ycsb1" | "ycsb8" => format!(
            "{n} operations per thread per run, {} rows",
            sizes.ycsb_rows
        ),
        "insert16" => format!("{n} rows per thread per run"),
        "join" => format!("{n} queries per run"),
        _ => format!("{n} operations per run"),
    }
}

/// Runs the selected workloads in `dir` (which should be empty) and returns their rows.
/// `progress` hears a line per run. Fails only if the setup fails or `only` names an unknown
/// workload; a workload's failures are counted in its row.
pub fn run(opts: &Options, dir: &Path, progress: &mut dyn FnMut(&str)) -> BenchResult<Vec<Row>> {
    let selected: Vec<&Workload> = match &opts.only {
        None => WORKLOADS.iter().collect(),
        Some(ids) => {
            for id in ids {
                if !WORKLOADS.iter().any(|w| w.id == id) {
                    let known: Vec<_> = WORKLOADS.iter().map(|w| w.id).collect();
                    return Err(
                        format!("unknown workload {id:?}; known: {}", known.join(", ")).into(),
                    );
                }
            }
            WORKLOADS
                .iter()
                .filter(|w| ids.iter().any(|i| i == w.id))
                .collect()
        }
    };
    let sizes = if opts.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    progress("setting up both databases");
    let mut ctx = Ctx {
        dir,
        sqlite: SqliteSide::open(dir, sizes)?,
        basalt: BasaltSide::open(dir, sizes)?,
        bulk_rows: opts.bulk_rows,
        fresh: 0,
    };
    let mut rows = Vec::new();
    for w in selected {
        let n = if opts.quick { w.ops.1 } else { w.ops.0 };
        if w.id.starts_with("ycsb") {
            progress("loading usertable on both sides");
            ctx.sqlite.ensure_ycsb()?;
            ctx.basalt.ensure_ycsb()?;
        }
        let mut row = Row {
            workload: *w,
            reference_values: Vec::new(),
            basalt_values: Vec::new(),
            ratios: Vec::new(),
            errors: (0, 0),
            error_messages: (None, None),
            retries: (0, 0),
            rss_growth: (None, None),
            disk: None,
            detail: describe(w, n, opts.bulk_rows, &sizes),
        };
        let warm = usize::from(opts.warmup);
        for pair in 0..warm + opts.pairs {
            let measured = pair >= warm;
            let seed = 0x9e37_79b9_7f4a_7c15 ^ ((pair as u64 + 1) * 1_000_003);
            let label = if measured {
                format!("pair {}", pair + 1 - warm)
            } else {
                "warm-up".to_string()
            };
            let mut values = [None, None];
            let mut bulk = [None, None];
            // SQLite first, then Basalt, in every pair.
            for (i, basalt) in [false, true].into_iter().enumerate() {
                let before = reset_peak_rss();
                let result = ctx.run(w, basalt, n, seed);
                let growth = before.zip(peak_rss()).map(|(b, p)| p.saturating_sub(b));
                let side = if basalt { "Basalt" } else { "SQLite" };
                match result {
                    Ok(sample) => {
                        progress(&format!(
                            "{} {side} {label}: {} {}",
                            w.id,
                            rate(sample.rate),
                            w.metric
                        ));
                        if measured {
                            values[i] = Some(sample.rate);
                            bulk[i] = sample.bulk;
                            let (retries, rss) = if basalt {
                                (&mut row.retries.1, &mut row.rss_growth.1)
                            } else {
                                (&mut row.retries.0, &mut row.rss_growth.0)
                            };
                            *retries += sample.retries;
                            if let Some(g) = growth {
                                *rss = Some(rss.map_or(g, |r: u64| r.max(g)));
                            }
                        }
                    }
                    Err(e) => {
                        progress(&format!("{} {side} {label}: ERROR {e}", w.id));
                        let (count, msg) = if basalt {
                            (&mut row.errors.1, &mut row.error_messages.1)
                        } else {
                            (&mut row.errors.0, &mut row.error_messages.0)
                        };
                        *count += 1;
                        msg.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            if let Some(r) = values[0] {
                row.reference_values.push(r);
            }
            if let Some(b) = values[1] {
                row.basalt_values.push(b);
            }
            if let [Some(r), Some(b)] = values {
                row.ratios.push(b / r);
            }
            if let [Some(r), Some(b)] = bulk {
                row.disk = Some((
                    (r.disk_after_commit, b.disk_after_commit),
                    (r.disk_after_close, b.disk_after_close),
                ));
            }
        }
        rows.push(row);
    }
    Ok(rows)
}
