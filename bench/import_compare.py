#!/usr/bin/env python3
"""`basalt import` of a CSV file against PostgreSQL 15's `COPY ... FROM` of the same file.

Generates a CSV of ROWS rows (id integer, name text, amount numeric(12,2), created
timestamp; a tenth of the names quoted with a comma inside), starts a temporary PostgreSQL 15
cluster (Debian's binaries, found with `pg_config --bindir`; default settings: fsync and
synchronous_commit on), then loads the file PAIRS times on each side, interleaved
(PostgreSQL, Basalt, PostgreSQL, Basalt ...):

- PostgreSQL: `DROP TABLE IF EXISTS t; CREATE TABLE t (...)` untimed, then
  `COPY t FROM '/path/file.csv' (FORMAT csv, HEADER)` timed (the server reads the file).
- Basalt: `basalt import DIR --table t --create --types ... file.csv --quiet` into a fresh
  directory, timed as a whole (opening the database, creating the table, every batch's
  commit), and its peak RSS taken from wait4().

Each pair gives a ratio Basalt time / PostgreSQL time; the report gives the median ratio with
its min-max, the median times, and Basalt's peak RSS (which must stay bounded whatever ROWS).

Usage: bench/import_compare.py [--rows 10000000] [--pairs 3] [--basalt target/release/basalt]
                               [--batch-size N] [--out FILE.md]
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import Postgres, pg_bindir, psql  # noqa: E402

TYPES = "id=integer,name=text,amount=numeric(12,2),created=timestamp"
DDL = "CREATE TABLE t (id integer, name text, amount numeric(12,2), created timestamp)"


def generate(path, rows):
    """Writes the CSV (deterministic: the same rows for every run)."""
    with open(path, "w", buffering=1 << 20) as f:
        f.write("id,name,amount,created\n")
        chunk = []
        for i in range(1, rows + 1):
            name = f'"Smith, customer {i % 99991}"' if i % 10 == 0 else f"customer {i % 99991}"
            amount = f"{(i * 7919) % 1000000 / 100:.2f}"
            s = i % 86400
            day = 1 + (i // 86400) % 28
            created = f"2024-02-{day:02d} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            chunk.append(f"{i},{name},{amount},{created}\n")
            if len(chunk) == 100000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def run_pg(pg, csv):
    psql(pg, f"DROP TABLE IF EXISTS t; {DDL}")
    start = time.perf_counter()
    out = psql(pg, f"COPY t FROM '{csv}' (FORMAT csv, HEADER)")
    secs = time.perf_counter() - start
    return secs, out.strip()


def run_basalt(binary, root, csv, batch_size):
    db = os.path.join(root, "basalt-db")
    shutil.rmtree(db, ignore_errors=True)
    cmd = [binary, "import", db, "--table", "t", "--create", "--types", TYPES, csv, "--quiet"]
    if batch_size:
        cmd += ["--batch-size", str(batch_size)]
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - start
    out = p.stdout.read().decode() + p.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"basalt import failed: {out}")
    return secs, usage.ru_maxrss, out.strip()  # ru_maxrss is in KiB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--basalt", default="target/release/basalt")
    ap.add_argument("--batch-size", type=int, default=0)
    ap.add_argument("--out")
    a = ap.parse_args()
    binary = os.path.abspath(a.basalt)
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: cargo build --release -p basalt-cli")
    root = tempfile.mkdtemp(prefix="import-bench-")
    os.chmod(root, 0o755)
    pg = None
    try:
        csv = os.path.join(root, "data.csv")
        t = time.perf_counter()
        generate(csv, a.rows)
        os.chmod(csv, 0o644)
        size = os.path.getsize(csv)
        print(f"generated {a.rows} rows, {size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s",
              flush=True)
        pg = Postgres(pg_bindir(), root)
        os.chmod(root, 0o755)
        ratios, pg_times, b_times, rss = [], [], [], []
        for i in range(a.pairs):
            p, pout = run_pg(pg, csv)
            b, kb, bout = run_basalt(binary, root, csv, a.batch_size)
            ratios.append(b / p)
            pg_times.append(p)
            b_times.append(b)
            rss.append(kb)
            print(f"pair {i + 1}: PostgreSQL {p:.2f} s ({pout}), Basalt {b:.2f} s, ratio "
                  f"{b / p:.2f}, Basalt peak RSS {kb / 1024:.0f} MiB ({bout})", flush=True)
        lines = [
            f"CSV import, {a.rows} rows ({size / 1e6:.0f} MB), {a.pairs} interleaved pairs "
            f"({platform.node()}, {os.cpu_count()} cores)",
            "",
            "| | median | min | max |",
            "|---|---|---|---|",
            f"| PostgreSQL 15 COPY FROM (s) | {statistics.median(pg_times):.2f} | "
            f"{min(pg_times):.2f} | {max(pg_times):.2f} |",
            f"| basalt import (s) | {statistics.median(b_times):.2f} | {min(b_times):.2f} | "
            f"{max(b_times):.2f} |",
            f"| ratio Basalt / PostgreSQL | {statistics.median(ratios):.2f} | {min(ratios):.2f} | "
            f"{max(ratios):.2f} |",
            f"| basalt import peak RSS (MiB) | {statistics.median(rss) / 1024:.0f} | "
            f"{min(rss) / 1024:.0f} | {max(rss) / 1024:.0f} |",
        ]
        report = "\n".join(lines)
        print(report)
        if a.out:
            with open(a.out, "w") as f:
                f.write(report + "\n")
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
