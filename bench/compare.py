#!/usr/bin/env python3
"""Basalt against its references, in one run: the comparison harness.

    python3 bench/compare.py [--quick] [--pairs N] [--duration S] [--scale N]
                             [--only pgbench,sysbench,embedded,idle] [--basalt PATH]
                             [--out-dir docs/benchmarks] [--build]

Server side: a temporary PostgreSQL 15 cluster (initdb's defaults: fsync and
synchronous_commit on) and `basalt serve` (durable commits, its default) over temporary
directories, both on 127.0.0.1 with trust authentication (bench/servers.py).

- idle: a fresh server of each kind with 100 connections that each ran `SELECT 1` and then
  sit idle: the server's memory (PSS summed over its processes; RSS too).
- pgbench: `pgbench -i -s SCALE` into both (timed, and the on-disk size after it), then TPC-B
  (`-M prepared` and `-M simple`; 1, 8 and 32 clients) and select-only (`-S -M prepared`,
  8 clients).
- sysbench: `oltp_read_write` and `oltp_point_select` (Debian's sysbench, its pgsql driver),
  8 threads, after `prepare` on both sides.
- embedded: `embedded_compare` (crates/bench; Basalt embedded against SQLite through
  rusqlite), which runs its own pairs and writes rows of the same schema.

Each server workload runs once on each side as a warm-up, then PAIRS times interleaved
(reference, Basalt, reference, Basalt ...). Each pair gives a ratio, turned so that above 1 is
Basalt better (Basalt/reference for throughput, reference/Basalt for time, memory and size);
a row reports the median ratio with its min-max. Machine noise here (fsync latency drifts
several-fold within minutes) makes single runs meaningless: only pair ratios are compared.

Writes OUT_DIR/results.json (every row), OUT_DIR/results.md (the tables, the machine, the exact
commands) and, through the `bench_chart` binary, one PNG per group. Exits non-zero when any
workload erred (a failed run, a failed or retried transaction, a reconnect), never for speed:
`--quick` (scale 1, 3 s runs, one pair) is the CI smoke test.

Nothing is built unless `--build` is given; otherwise the binaries are expected where `--basalt`
points (default: $CARGO_TARGET_DIR or target, /release/basalt), with `bench_chart` and
`embedded_compare` beside it:  cargo build --release -p basalt-cli -p basalt-bench
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Basalt, Postgres, open_idle, pg_bindir, psql  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GROUPS = ("idle", "pgbench", "sysbench", "embedded")

# The goals the issue set for Basalt against PostgreSQL, as ratios (above 1 = Basalt better);
# None where there is none. Drawn as a line on the charts and checked in the tables.
IDLE_TARGET_MB = 150  # Basalt's RSS with 100 idle connections
DISK_TARGET = 1.0  # pgbench's database no larger than PostgreSQL's

PGBENCH = [
    # (name, pgbench arguments, target): issue 6 — TPC-B prepared at 8 clients 2x, the simple
    # protocol 1.5x, 32 clients 1.5x, select-only 1.5x; none at 1 client.
    ("TPC-B prepared, 1 client", ["-M", "prepared", "-c", "1", "-j", "1"], None),
    ("TPC-B prepared, 8 clients", ["-M", "prepared", "-c", "8", "-j", "2"], 2.0),
    ("TPC-B prepared, 32 clients", ["-M", "prepared", "-c", "32", "-j", "2"], 1.5),
    ("TPC-B simple, 1 client", ["-M", "simple", "-c", "1", "-j", "1"], None),
    ("TPC-B simple, 8 clients", ["-M", "simple", "-c", "8", "-j", "2"], 1.5),
    ("TPC-B simple, 32 clients", ["-M", "simple", "-c", "32", "-j", "2"], 1.5),
    ("select-only prepared, 8 clients", ["-S", "-M", "prepared", "-c", "8", "-j", "2"], 1.5),
]

SYSBENCH = [
    # (name, sysbench test, threads, target): oltp_read_write 1.5x; none for point selects.
    ("oltp_read_write, 8 threads", "oltp_read_write", 8, 1.5),
    ("oltp_point_select, 8 threads", "oltp_point_select", 8, None),
]

IDLE_CONNECTIONS = 100


class Run:
    """The result of one client run: a figure, or None when the run failed; its errors."""

    def __init__(self, value, errors, retried=0, text=""):
        self.value = value
        self.errors = errors  # failed runs, failed transactions, reconnects
        self.retried = retried  # transactions rolled back and retried by the client
        self.text = text


def log(msg):
    print(msg, flush=True)


def pgbench_cmd(side, args):
    return [f"{pg_bindir()}/pgbench", "-h", "127.0.0.1", "-p", str(side.port), "-U", side.user] + args + [side.db]


def pgbench(side, args):
    out = subprocess.run(pgbench_cmd(side, args), capture_output=True, text=True)
    text = out.stdout + out.stderr
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    failed = re.search(r"number of failed transactions: (\d+)", text)
    errors = int(failed.group(1)) if failed else 0
    if out.returncode != 0 or not m:
        log(f"  pgbench {' '.join(args)} failed on {side.name} (exit {out.returncode}):\n{text[-2000:]}")
        return Run(None, errors + 1, text=text)
    return Run(float(m.group(1)), errors, text=text)


def sysbench_cmd(side, test, tables, size, extra):
    return ["sysbench", test, "--db-driver=pgsql", "--pgsql-host=127.0.0.1",
            f"--pgsql-port={side.port}", f"--pgsql-user={side.user}", f"--pgsql-db={side.db}",
            f"--tables={tables}", f"--table-size={size}"] + extra


def sysbench(side, test, tables, size, extra):
    out = subprocess.run(sysbench_cmd(side, test, tables, size, extra), capture_output=True, text=True)
    text = out.stdout + out.stderr
    m = re.search(r"transactions:\s+(\d+)\s+\(([0-9.]+) per sec", text)
    ignored = re.search(r"ignored errors:\s+(\d+)", text)
    reconnects = re.search(r"reconnects:\s+(\d+)", text)
    retried = int(ignored.group(1)) if ignored else 0
    errors = int(reconnects.group(1)) if reconnects else 0
    if out.returncode != 0 or ("run" in extra and not m):
        log(f"  sysbench {test} {extra[-1]} failed on {side.name} (exit {out.returncode}):\n{text[-2000:]}")
        return Run(None, errors + 1, retried, text)
    return Run(float(m.group(2)) if m else 0.0, errors, retried, text)


def row(group, workload, metric, higher, reference, ref_values, b_values, target=None,
        errors=(0, 0), note=""):
    """A row of the common schema; ratios pair by pair, above 1 = Basalt better."""
    ratios = []
    for r, b in zip(ref_values, b_values):
        if r is None or b is None or r <= 0 or b <= 0:
            continue
        ratios.append(b / r if higher else r / b)
    return {
        "group": group, "workload": workload, "metric": metric, "higher_is_better": higher,
        "reference": reference, "reference_values": ref_values, "basalt_values": b_values,
        "ratios": [round(x, 4) for x in ratios],
        "median": round(statistics.median(ratios), 4) if ratios else None,
        "min": round(min(ratios), 4) if ratios else None,
        "max": round(max(ratios), 4) if ratios else None,
        "target": target, "errors": {"reference": errors[0], "basalt": errors[1]}, "note": note,
    }


class MemorySampler(threading.Thread):
    """Samples both servers' memory (PSS and RSS summed over their processes) every half
    second while the workloads run; the peaks are what the report gives."""

    def __init__(self, sides):
        super().__init__(daemon=True)
        self.sides = sides
        self.peak_pss = {s.name: 0 for s in sides}
        self.peak_rss = {s.name: 0 for s in sides}
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(0.5):
            for s in self.sides:
                self.peak_pss[s.name] = max(self.peak_pss[s.name], s.pss_kb())
                self.peak_rss[s.name] = max(self.peak_rss[s.name], s.rss_kb())


def interleave(name, pairs, warm, one):
    """Warm-up on each side, then `pairs` interleaved pairs of `one(side, seconds)`."""
    ref_runs, b_runs = [], []
    for side in ("ref", "basalt"):
        one(side, warm)
    for i in range(pairs):
        r = one("ref", None)
        b = one("basalt", None)
        ref_runs.append(r)
        b_runs.append(b)
        ratio = f"{b.value / r.value:.2f}" if r.value and b.value else "n/a"
        log(f"{name}: pair {i + 1}: reference {fmt(r.value)}, Basalt {fmt(b.value)}, ratio {ratio}"
            f"{'' if not (r.errors or b.errors) else f', errors {r.errors} / {b.errors}'}")
    return ref_runs, b_runs


def fmt(v):
    return "failed" if v is None else f"{v:.0f}"


def run_rows(group, name, metric, reference, ref_runs, b_runs, target, note=""):
    retried = (sum(r.retried for r in ref_runs), sum(r.retried for r in b_runs))
    out = row(group, name, metric, True, reference, [r.value for r in ref_runs],
              [r.value for r in b_runs], target,
              (sum(r.errors for r in ref_runs), sum(r.errors for r in b_runs)), note)
    # sysbench's "ignored errors": a deadlock, serialization failure or unique violation that
    # the client rolled back and retried. Reported, but not a failure of the run.
    out["retried"] = {"reference": retried[0], "basalt": retried[1]}
    return out


def idle_rows(pg_bindir_path, basalt_bin, root):
    """Fresh servers, 100 connections each that ran SELECT 1 and then sit idle."""
    rows = []
    mem = {}
    for kind in ("ref", "basalt"):
        side = Postgres(pg_bindir_path, root, "pg-idle") if kind == "ref" else Basalt(basalt_bin, root, "basalt-idle")
        try:
            before = (side.pss_kb(), side.rss_kb())
            conns, err = [], 0
            try:
                for _ in range(IDLE_CONNECTIONS):
                    conns.append(open_idle(side))
            except (OSError, ConnectionError) as e:
                err = 1
                log(f"idle: {side.name} refused connection {len(conns) + 1}: {e}")
            time.sleep(1.0)
            after = (side.pss_kb(), side.rss_kb())
            for c in conns:
                c.close()
            mem[kind] = (before, after, len(conns), err)
            log(f"idle: {side.name}: {len(conns)} connections: PSS {before[0] / 1024:.0f} -> "
                f"{after[0] / 1024:.0f} MB, RSS (summed) {before[1] / 1024:.0f} -> {after[1] / 1024:.0f} MB")
        finally:
            side.stop()
    (rb, ra, rn, re_), (bb, ba, bn, be) = mem["ref"], mem["basalt"]
    met = "met" if ba[1] / 1024 < IDLE_TARGET_MB and be == 0 else "MISSED"
    rows.append(row(
        "memory", f"server with {IDLE_CONNECTIONS} idle connections (PSS, all processes)", "MB", False,
        "PostgreSQL 15", [round(ra[0] / 1024, 1)], [round(ba[0] / 1024, 1)], None, (re_, be),
        f"RSS summed over processes: PostgreSQL {ra[1] / 1024:.0f} MB (counts shared buffers once per "
        f"process), Basalt {ba[1] / 1024:.0f} MB; target Basalt RSS < {IDLE_TARGET_MB} MB: {met}; "
        f"fresh servers before the connections: PSS PostgreSQL {rb[0] / 1024:.0f} MB, Basalt {bb[0] / 1024:.0f} MB; "
        f"connections opened: {rn} / {bn}"))
    rows.append(row(
        "memory", f"memory per idle connection (PSS growth / {IDLE_CONNECTIONS})", "MB", False,
        "PostgreSQL 15", [round((ra[0] - rb[0]) / 1024 / max(rn, 1), 3)],
        [round((ba[0] - bb[0]) / 1024 / max(bn, 1), 3)], None, (re_, be), ""))
    return rows


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = f"{len(models)} x {models[0]}" if models else cpu
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": cpu, "memory": mem, "kernel": f"Linux {platform.release()}",
            "load_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def markdown(meta, rows):
    lines = [
        "# Basalt against PostgreSQL 15 and SQLite: one run of `bench/compare.py`",
        "",
        "Written by the harness; docs/benchmarks.md says how to read it. Ratios are taken pair by "
        "pair from interleaved runs and turned so that **above 1 means Basalt is better** "
        "(Basalt/reference for throughput, reference/Basalt for time, memory and size).",
        "",
        f"- Run: {meta['started']} to {meta['finished']} UTC; the harness at {meta['commit']}; "
        f"the basalt binary built {meta.get('basalt_built', '?')} UTC",
        f"- Machine: {meta['machine']['cpu']}, {meta['machine']['memory']}, {meta['machine']['kernel']}, "
        f"load average at start {meta['machine']['load_at_start']}",
        f"- Versions: {meta['versions']['postgres']}; {meta['versions']['sysbench']}; "
        f"{meta['versions']['basalt']} (`{meta['basalt']}`)",
        f"- Command: `{meta['command']}`",
        f"- Settings: {meta['settings']}",
    ]
    for s in meta.get("skipped", []):
        lines.append(f"- Skipped: {s}")
    titles = {"pgbench": "pgbench", "sysbench": "sysbench", "embedded": "Embedded: Basalt against SQLite",
              "memory": "Memory", "disk": "On disk"}
    order = [g for g in ("pgbench", "sysbench", "embedded", "memory", "disk") if any(r["group"] == g for r in rows)]
    order += sorted({r["group"] for r in rows} - set(order))
    for g in order:
        lines += ["", f"## {titles.get(g, g)}", "", f"![{g}]({g}.png)", "",
                  "| workload | metric | reference | reference (median) | Basalt (median) | ratio (median) | min-max | target | errors (ref / Basalt) | note |",
                  "| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- | --- |"]
        for r in rows:
            if r["group"] != g:
                continue
            rv = [v for v in r["reference_values"] if v is not None]
            bv = [v for v in r["basalt_values"] if v is not None]
            med = ratio_text(r["median"]) if r["median"] is not None else "**no ratio**"
            rng = f"{ratio_text(r['min'])}-{ratio_text(r['max'])}" if r["median"] is not None else ""
            if r["target"] is None:
                tgt = ""
            elif r["median"] is not None and r["median"] >= r["target"]:
                tgt = f"{r['target']:g}: met"
            else:
                tgt = f"{r['target']:g}: **missed**"
            err = r["errors"]
            errs = f"{err.get('reference', 0)} / {err.get('basalt', 0)}"
            if any(err.values()):
                errs = f"**{errs}**"
            retried = r.get("retried")
            if retried and any(retried.values()):
                errs += f" (retried: {retried.get('reference', 0)} / {retried.get('basalt', 0)})"
            lines.append(f"| {r['workload']} | {r['metric']} | {r['reference']} | {num(rv)} | {num(bv)} | "
                         f"{med} | {rng} | {tgt} | {errs} | {r.get('note', '')} |")
    lines += ["", "## Commands", "", "Each run, with the ports of that run's servers:", "", "```sh"]
    lines += meta["commands"]
    lines += ["```", ""]
    return "\n".join(lines)


def ratio_text(x):
    """Two decimals, or two significant digits below 0.1 (a miss of 1000x is not 0.00)."""
    return f"{x:.2f}" if x >= 0.1 else f"{x:.2g}"


def num(values):
    if not values:
        return "failed"
    v = statistics.median(values)
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: pgbench scale 1, small sysbench tables, 3 s runs, one pair")
    ap.add_argument("--pairs", type=int, help="interleaved pairs per workload (default 3)")
    ap.add_argument("--duration", type=int, help="seconds per run (default 20)")
    ap.add_argument("--scale", type=int, help="pgbench scale (default 10)")
    ap.add_argument("--only", default=",".join(GROUPS), help=f"groups to run, of {','.join(GROUPS)}")
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    ap.add_argument("--basalt", help="the basalt binary; bench_chart and embedded_compare are "
                                     "looked for beside it (default: TARGET/release/basalt)")
    ap.add_argument("--out-dir", help="where results.json, results.md and the charts go "
                                      "(default docs/benchmarks; with --quick, TARGET/bench-quick)")
    ap.add_argument("--build", action="store_true",
                    help="cargo build --release -p basalt-cli -p basalt-bench first")
    a = ap.parse_args()
    only = [g.strip() for g in a.only.split(",") if g.strip()]
    unknown = set(only) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown groups: {', '.join(sorted(unknown))} (known: {', '.join(GROUPS)})")
    pairs = a.pairs or (1 if a.quick else 3)
    duration = a.duration or (3 if a.quick else 20)
    scale = a.scale or (1 if a.quick else 10)
    warm = 1 if a.quick else max(2, duration // 5)
    sb_tables, sb_size = (2, 1000) if a.quick else (4, 100000)
    out_dir = a.out_dir or (os.path.join(target_dir, "bench-quick") if a.quick
                            else os.path.join(REPO, "docs", "benchmarks"))
    if a.build:
        subprocess.run(["cargo", "build", "--release", "-p", "basalt-cli", "-p", "basalt-bench"],
                       cwd=REPO, check=True)
    basalt_bin = os.path.abspath(a.basalt or os.path.join(target_dir, "release", "basalt"))
    if not os.path.exists(basalt_bin):
        sys.exit(f"{basalt_bin} not found: build it with "
                 f"`cargo build --release -p basalt-cli -p basalt-bench` (or pass --build)")
    bin_dir = os.path.dirname(basalt_bin)
    if "sysbench" in only and not shutil.which("sysbench"):
        sys.exit("sysbench not found: install Debian's `sysbench` package (or leave it out with --only)")

    started = datetime.datetime.now(datetime.timezone.utc)
    meta = {
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(),
        "machine": machine(),
        "versions": {"postgres": version([f"{pg_bindir()}/postgres", "--version"]),
                     "sysbench": version(["sysbench", "--version"]),
                     "basalt": version([basalt_bin, "--version"])},
        "basalt": os.path.relpath(basalt_bin, REPO) if basalt_bin.startswith(REPO) else basalt_bin,
        # The binary may be older than the checkout (or from another one): its build time says so.
        "basalt_built": datetime.datetime.fromtimestamp(
            os.path.getmtime(basalt_bin), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": "python3 bench/compare.py " + " ".join(shlex.quote(x) for x in sys.argv[1:]),
        "settings": (f"{pairs} interleaved pair(s) per workload after a warm-up of {warm} s on each side, "
                     f"{duration} s per run; pgbench scale {scale}; sysbench {sb_tables} tables of {sb_size} "
                     f"rows; synchronous commit on both sides (PostgreSQL's defaults, Basalt's default); "
                     f"clients over TCP on 127.0.0.1"),
        "skipped": [],
        "commands": [],
    }
    rows = []
    root = tempfile.mkdtemp(prefix="basalt-compare-")
    pg = bs = sampler = None
    try:
        if "idle" in only:
            rows += idle_rows(pg_bindir(), basalt_bin, root)
            meta["commands"].append(f"# idle: {IDLE_CONNECTIONS} connections per fresh server, each "
                                    "runs SELECT 1 (simple query) and stays open; PSS from /proc/PID/smaps_rollup")
        if "pgbench" in only or "sysbench" in only:
            pg = Postgres(pg_bindir(), root)
            bs = Basalt(basalt_bin, root)
            sides = {"ref": pg, "basalt": bs}
            sampler = MemorySampler([pg, bs])
            sampler.start()
        if "pgbench" in only:
            rows += run_pgbench(sides, scale, pairs, duration, warm, meta)
        if "sysbench" in only:
            rows += run_sysbench(sides, sb_tables, sb_size, pairs, duration, warm, meta)
        if sampler is not None:
            sampler.done.set()
            sampler.join()
            rows.append(row(
                "memory", "peak during the server workloads (PSS, all processes)", "MB", False, "PostgreSQL 15",
                [round(sampler.peak_pss[pg.name] / 1024, 1)], [round(sampler.peak_pss[bs.name] / 1024, 1)],
                note=(f"sampled every 0.5 s; peak of RSS summed over processes: PostgreSQL "
                      f"{sampler.peak_rss[pg.name] / 1024:.0f} MB, Basalt {sampler.peak_rss[bs.name] / 1024:.0f} MB; "
                      f"Basalt's VmHWM {bs.hwm_kb() / 1024:.0f} MB")))
            rows.append(row("disk", "data directory at the end of the server workloads", "MB", False,
                            "PostgreSQL 15", [round(pg.dir_size() / 2**20, 1)], [round(bs.dir_size() / 2**20, 1)],
                            note="whole directories: PostgreSQL's includes its WAL and template databases"))
        if "embedded" in only:
            rows += run_embedded(bin_dir, a.quick, pairs, root, meta)
    finally:
        if sampler is not None:
            sampler.done.set()
        for side in (bs, pg):
            if side is not None:
                side.stop()
        shutil.rmtree(root, ignore_errors=True)

    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    os.makedirs(out_dir, exist_ok=True)
    results = os.path.join(out_dir, "results.json")
    with open(results, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown(meta, rows))
    log(f"wrote {results} and results.md")
    chart_ok = draw_charts(bin_dir, results, out_dir)

    erred = [r for r in rows if any(r["errors"].values()) or r["median"] is None]
    for r in erred:
        log(f"ERROR: {r['group']} / {r['workload']}: errors {r['errors']}, median {r['median']}")
    if erred or not chart_ok:
        sys.exit(1)


def run_pgbench(sides, scale, pairs, duration, warm, meta):
    pg, bs = sides["ref"], sides["basalt"]
    rows = []
    loads, errs = {}, {}
    for kind, side in sides.items():
        start = time.time()
        out = subprocess.run(pgbench_cmd(side, ["-i", "-s", str(scale), "-q"]), capture_output=True, text=True)
        ok = out.returncode == 0
        loads[kind] = time.time() - start if ok else None
        errs[kind] = 0 if ok else 1
        if not ok:
            log(f"  pgbench -i failed on {side.name}:\n{(out.stdout + out.stderr)[-2000:]}")
    meta["commands"].append(" ".join(pgbench_cmd(pg, ["-i", "-s", str(scale), "-q"])))
    rows.append(row("pgbench", f"pgbench -i (load, scale {scale})", "s", False, "PostgreSQL 15",
                    [round_or_none(loads["ref"])], [round_or_none(loads["basalt"])], None,
                    (errs["ref"], errs["basalt"])))
    rows.append(row("disk", f"pgbench database after pgbench -i -s {scale}", "MB", False, "PostgreSQL 15",
                    [round(pg.size() / 2**20, 1)], [round(bs.size() / 2**20, 1)], DISK_TARGET,
                    note=(f"PostgreSQL: pg_database_size (no WAL); Basalt: its directory (with its log); "
                          f"PostgreSQL's whole data directory: {pg.dir_size() / 2**20:.0f} MB")))
    for name, args, target in PGBENCH:
        def one(kind, secs, args=args):
            return pgbench(sides[kind], args + ["-T", str(secs or duration)])
        ref_runs, b_runs = interleave(name, pairs, warm, one)
        meta["commands"].append(" ".join(pgbench_cmd(pg, args + ["-T", str(duration)])))
        rows.append(run_rows("pgbench", name, "tps", "PostgreSQL 15", ref_runs, b_runs, target))
    return rows


def round_or_none(v):
    return None if v is None else round(v, 2)


def run_sysbench(sides, tables, size, pairs, duration, warm, meta):
    pg = sides["ref"]
    rows = []
    prep, errs = {}, {}
    for kind, side in sides.items():
        start = time.time()
        r = sysbench(side, "oltp_common", tables, size, ["prepare"])
        prep[kind] = time.time() - start if r.value is not None else None
        errs[kind] = r.errors
    meta["commands"].append(" ".join(sysbench_cmd(pg, "oltp_common", tables, size, ["prepare"])))
    rows.append(row("sysbench", f"sysbench prepare ({tables} tables x {size} rows)", "s", False,
                    "PostgreSQL 15", [round_or_none(prep["ref"])], [round_or_none(prep["basalt"])], None,
                    (errs["ref"], errs["basalt"])))
    for name, test, threads, target in SYSBENCH:
        def one(kind, secs, test=test, threads=threads):
            return sysbench(sides[kind], test, tables, size,
                            [f"--threads={threads}", f"--time={secs or duration}", "run"])
        ref_runs, b_runs = interleave(name, pairs, warm, one)
        meta["commands"].append(" ".join(sysbench_cmd(pg, test, tables, size,
                                                      [f"--threads={threads}", f"--time={duration}", "run"])))
        note = "a transaction is one point SELECT" if test == "oltp_point_select" else \
            "a transaction is BEGIN, 14 SELECTs, 2 UPDATEs, a DELETE and an INSERT, COMMIT"
        rows.append(run_rows("sysbench", name, "tps", "PostgreSQL 15", ref_runs, b_runs, target, note))
    for side in sides.values():
        sysbench(side, "oltp_common", tables, size, ["cleanup"])
    return rows


def run_embedded(bin_dir, quick, pairs, root, meta):
    binary = os.path.join(bin_dir, "embedded_compare")
    if not os.path.exists(binary):
        msg = (f"embedded: {binary} not found (built by "
               f"`cargo build --release -p basalt-bench`); the group is skipped")
        log(msg)
        meta["skipped"].append(msg)
        return []
    out = os.path.join(root, "embedded.json")
    cmd = [binary, "--pairs", str(pairs), "--json", out] + (["--quick"] if quick else [])
    meta["commands"].append(" ".join(cmd).replace(root, "$TMP"))
    log(f"embedded: {' '.join(cmd)}")
    proc = subprocess.run(cmd)
    try:
        with open(out) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        log(f"embedded: no results from {binary} (exit {proc.returncode}): {e}")
        return [row("embedded", "embedded_compare", "ops/s", True, "SQLite", [None], [None], None, (0, 1),
                    f"the binary exited {proc.returncode} without results")]
    got = data["rows"] if isinstance(data, dict) else data
    rows = []
    for r in got:
        r.setdefault("errors", {"reference": 0, "basalt": 0})
        r.setdefault("note", "")
        rows.append(r)
    if proc.returncode != 0:
        rows.append(row("embedded", "embedded_compare exit status", "ops/s", True, "SQLite", [None], [None],
                        None, (0, 1), f"the binary exited {proc.returncode}"))
    return rows


def draw_charts(bin_dir, results, out_dir):
    chart = os.path.join(bin_dir, "bench_chart")
    if not os.path.exists(chart):
        log(f"charts: {chart} not found (`cargo build --release -p basalt-bench`): no PNG written")
        return True
    proc = subprocess.run([chart, results, out_dir])
    if proc.returncode != 0:
        log(f"charts: bench_chart failed (exit {proc.returncode})")
        return False
    return True


if __name__ == "__main__":
    main()
