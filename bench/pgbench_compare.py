#!/usr/bin/env python3
"""pgbench against PostgreSQL 15 and Basalt's server, side by side in one run.

Starts a temporary PostgreSQL 15 cluster (Debian's binaries, found with `pg_config --bindir`;
default settings: fsync and synchronous_commit on) and `basalt serve` over a temporary
directory (commits durable: synchronous_commit on, the default), loads `pgbench -i -s SCALE`
into both, then runs each workload on PostgreSQL and on Basalt in turn (PostgreSQL, Basalt,
PostgreSQL, Basalt ...) for PAIRS pairs. Each pair gives a ratio Basalt TPS / PostgreSQL TPS;
the table reports the median ratio with its min-max, and the median TPS of each side.

fsync latency on this kind of machine drifts several-fold within minutes, so only ratios
taken pair by pair from interleaved runs mean anything; single runs prove nothing.

Usage: bench/pgbench_compare.py [--scale 10] [--duration 30] [--pairs 3] [--quick]
                                [--basalt target/release/basalt] [--out FILE.md]
"""

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

WORKLOADS = [
    # (name, pgbench arguments)
    ("TPC-B prepared, 1 client", ["-M", "prepared", "-c", "1", "-j", "1"]),
    ("TPC-B prepared, 8 clients", ["-M", "prepared", "-c", "8", "-j", "2"]),
    ("TPC-B simple, 1 client", ["-M", "simple", "-c", "1", "-j", "1"]),
    ("TPC-B simple, 8 clients", ["-M", "simple", "-c", "8", "-j", "2"]),
    ("select-only prepared, 8 clients", ["-S", "-M", "prepared", "-c", "8", "-j", "2"]),
]


def pg_bindir():
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what):
    start = time.time()
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                sys.exit(f"{what} exited while starting")
            if time.time() - start > 60:
                sys.exit(f"{what} did not start")
            time.sleep(0.1)


def as_postgres(cmd):
    """PostgreSQL refuses to run as root: run its server programs as `postgres` then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + cmd
    return cmd


class Postgres:
    def __init__(self, bindir, root):
        self.bindir = bindir
        self.dir = os.path.join(root, "pg")
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.dir, "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        subprocess.run(
            as_postgres([f"{bindir}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                         "--locale=C.UTF-8"]),
            check=True, capture_output=True)
        subprocess.run(
            as_postgres([f"{bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"),
                         "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                         "-w", "start"]),
            check=True, capture_output=True)
        self.user = "postgres"
        self.db = "postgres"

    def stop(self):
        subprocess.run(as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "fast", "stop"]),
                       capture_output=True)

    def size(self):
        out = psql(self, "SELECT pg_database_size(current_database())")
        return int(out.strip())

    def rss_kb(self):
        """The postmaster's RSS and its children's (shared memory counts in each)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                main = f.readline().strip()
        except OSError:
            return 0
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", main],
                              capture_output=True, text=True).stdout.split()
        return sum(rss_of(p) for p in [main] + kids)


class Basalt:
    def __init__(self, binary, root):
        self.dir = os.path.join(root, "basalt")
        os.makedirs(self.dir)
        self.port = free_port()
        hba = os.path.join(self.dir, "hba.conf")
        with open(hba, "w") as f:
            f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [binary, "serve", "--data", os.path.join(self.dir, "db"), "--listen",
             f"127.0.0.1:{self.port}", "--hba-file", hba],
            stdout=self.log, stderr=self.log, env={**os.environ, "BASALT_LOG": "warn"})
        wait_port(self.port, self.proc, "basalt")
        self.user = "basalt"
        self.db = "basalt"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def size(self):
        total = 0
        for dirpath, _, files in os.walk(os.path.join(self.dir, "db")):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(dirpath, f))
                except OSError:
                    pass
        return total

    def rss_kb(self):
        return rss_of(self.proc.pid)


def rss_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def psql(side, sql):
    out = subprocess.run(
        [f"{pg_bindir()}/psql", "-X", "-h", "127.0.0.1", "-p", str(side.port), "-U", side.user,
         "-d", side.db, "-Atc", sql],
        capture_output=True, text=True, check=True)
    return out.stdout


def pgbench(side, args):
    cmd = [f"{pg_bindir()}/pgbench", "-h", "127.0.0.1", "-p", str(side.port), "-U", side.user] + args + [side.db]
    out = subprocess.run(cmd, capture_output=True, text=True)
    text = out.stdout + out.stderr
    if out.returncode != 0:
        sys.exit(f"pgbench {' '.join(args)} failed on {type(side).__name__}:\n{text}")
    return text


def tps(text):
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", text)
    if not m:
        sys.exit(f"no TPS in pgbench output:\n{text}")
    failed = re.search(r"number of failed transactions: (\d+)", text)
    return float(m.group(1)), int(failed.group(1)) if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--duration", type=int, default=30, help="seconds per run")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="scale 1, 3 s runs, 1 pair: a smoke test")
    ap.add_argument("--basalt", default="target/release/basalt")
    ap.add_argument("--out", help="write the Markdown table here too")
    a = ap.parse_args()
    if a.quick:
        a.scale, a.duration, a.pairs = 1, 3, 1
    if not os.path.exists(a.basalt):
        sys.exit(f"{a.basalt} not found: build it with `cargo build --release -p basalt-cli`")
    root = tempfile.mkdtemp(prefix="pgbench-compare-")
    pg = bs = None
    try:
        pg = Postgres(pg_bindir(), root)
        bs = Basalt(a.basalt, root)
        loads = {}
        for side in (pg, bs):
            start = time.time()
            pgbench(side, ["-i", "-s", str(a.scale), "-q"])
            loads[type(side).__name__] = time.time() - start
        sizes = {"Postgres": pg.size(), "Basalt": bs.size()}
        rows = []
        for name, args in WORKLOADS:
            # A warm-up run on each side first.
            for side in (pg, bs):
                pgbench(side, args + ["-T", str(max(1, a.duration // 5))])
            pairs = []
            for i in range(a.pairs):
                p, pf = tps(pgbench(pg, args + ["-T", str(a.duration)]))
                b, bf = tps(pgbench(bs, args + ["-T", str(a.duration)]))
                pairs.append((p, b, pf, bf))
                print(f"{name}: pair {i + 1}: PostgreSQL {p:.0f} tps, Basalt {b:.0f} tps, "
                      f"ratio {b / p:.2f}", flush=True)
            ratios = [b / p for p, b, _, _ in pairs]
            rows.append((name, statistics.median([p for p, _, _, _ in pairs]),
                         statistics.median([b for _, b, _, _ in pairs]),
                         statistics.median(ratios), min(ratios), max(ratios),
                         sum(pf for _, _, pf, _ in pairs), sum(bf for _, _, _, bf in pairs)))
        rss = {"Postgres": pg.rss_kb(), "Basalt": bs.rss_kb()}
        cpu = platform.processor() or platform.machine()
        try:
            with open("/proc/cpuinfo") as f:
                models = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
            cpu = f"{len(models)} x {models[0]}" if models else cpu
        except OSError:
            pass
        lines = [
            f"pgbench scale {a.scale}, {a.duration} s per run, {a.pairs} interleaved pairs "
            f"(PostgreSQL, Basalt, ...) per workload after a warm-up; synchronous commit on both sides.",
            f"Machine: {cpu}, Linux {platform.release()}. Command: `bench/pgbench_compare.py "
            f"--scale {a.scale} --duration {a.duration} --pairs {a.pairs}`.",
            "",
            "| workload | PostgreSQL TPS (median) | Basalt TPS (median) | Basalt/PostgreSQL (median of pair ratios) | min-max | failed (PG / Basalt) |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for name, p, b, r, lo, hi, pf, bf in rows:
            lines.append(f"| {name} | {p:.0f} | {b:.0f} | {r:.2f} | {lo:.2f}-{hi:.2f} | {pf} / {bf} |")
        lines += [
            "",
            f"Load (`pgbench -i -s {a.scale}`): PostgreSQL {loads['Postgres']:.1f} s, Basalt {loads['Basalt']:.1f} s. "
            f"On disk after the load: PostgreSQL {sizes['Postgres'] / 2**20:.0f} MiB, Basalt {sizes['Basalt'] / 2**20:.0f} MiB. "
            f"RSS at the end: PostgreSQL (all processes) {rss['Postgres'] / 1024:.0f} MiB, Basalt {rss['Basalt'] / 1024:.0f} MiB.",
        ]
        table = "\n".join(lines)
        print()
        print(table)
        if a.out:
            with open(a.out, "w") as f:
                f.write(table + "\n")
        if any(pf or bf for *_, pf, bf in rows):
            sys.exit("some transactions failed")
    finally:
        for side in (bs, pg):
            if side is not None:
                side.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
