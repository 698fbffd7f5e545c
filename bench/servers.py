"""The servers the comparison scripts run side by side, and how they are measured.

`Postgres` is a temporary PostgreSQL 15 cluster (Debian's binaries, found with
`pg_config --bindir`; initdb's defaults: fsync and synchronous_commit on), run as the `postgres`
user when this is root (PostgreSQL refuses root). `Basalt` is `basalt serve` over a temporary
directory (commits durable: synchronous_commit on, its default). Both listen on 127.0.0.1 with
trust authentication, so the clients measure the servers and not the handshakes.

Memory is measured per process from /proc: RSS (`VmRSS`), peak RSS (`VmHWM`) and PSS (`Pss:`
of /proc/PID/smaps_rollup). PostgreSQL is a postmaster with one process per connection plus
background workers that all map the same shared buffers: summing their RSS counts the shared
pages once per process, so the honest figure for "the server's memory" is the sum of PSS
(each shared page divided among the processes that map it). Basalt is one process, whose PSS
is its RSS less the shared libraries' pages it shares with other processes.
"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import time


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


def dir_size(path):
    """Bytes of the regular files under `path` (apparent sizes, as `du --apparent-size`)."""
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:
                pass
    return total


class Postgres:
    name = "PostgreSQL 15"

    def __init__(self, bindir, root, sub="pg"):
        self.bindir = bindir
        self.dir = os.path.join(root, sub)
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
        """The benchmark database alone (`pg_database_size`: no WAL, no other database)."""
        out = psql(self, "SELECT pg_database_size(current_database())")
        return int(out.strip())

    def dir_size(self):
        """The whole data directory: every database, the WAL and the cluster's files."""
        return dir_size(self.data)

    def pids(self):
        """The postmaster and its children (backends, background workers)."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                main = f.readline().strip()
        except OSError:
            return []
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", main],
                              capture_output=True, text=True).stdout.split()
        return [int(p) for p in [main] + kids]

    def rss_kb(self):
        """Sum of the processes' RSS: counts the shared buffers once per process (see above)."""
        return sum(proc_kb(p, "VmRSS") for p in self.pids())

    def pss_kb(self):
        return sum(pss_of(p) for p in self.pids())


class Basalt:
    name = "Basalt"

    def __init__(self, binary, root, sub="basalt"):
        self.dir = os.path.join(root, sub)
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
        return dir_size(os.path.join(self.dir, "db"))

    def dir_size(self):
        return self.size()

    def pids(self):
        return [self.proc.pid]

    def rss_kb(self):
        return proc_kb(self.proc.pid, "VmRSS")

    def hwm_kb(self):
        return proc_kb(self.proc.pid, "VmHWM")

    def pss_kb(self):
        return pss_of(self.proc.pid)


def proc_kb(pid, field):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_of(pid):
    return proc_kb(pid, "VmRSS")


def pss_of(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
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


def open_idle(side, query="SELECT 1"):
    """One connection over the wire protocol (trust authentication), which runs `query` once
    and is then left idle. Returns the socket; closing it ends the session."""
    s = socket.create_connection(("127.0.0.1", side.port), timeout=30)
    params = b"".join(k + b"\0" + v.encode() + b"\0"
                      for k, v in ((b"user", side.user), (b"database", side.db))) + b"\0"
    body = struct.pack("!i", 196608) + params
    s.sendall(struct.pack("!i", len(body) + 4) + body)
    _until_ready(s)
    q = query.encode() + b"\0"
    s.sendall(b"Q" + struct.pack("!i", len(q) + 4) + q)
    _until_ready(s)
    return s


def _recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buf += chunk
    return buf


def _until_ready(s):
    while True:
        kind = _recv_exact(s, 1)
        (length,) = struct.unpack("!i", _recv_exact(s, 4))
        payload = _recv_exact(s, length - 4)
        if kind == b"R" and struct.unpack("!i", payload[:4])[0] != 0:
            raise ConnectionError("the server asked for a password (trust expected)")
        if kind == b"E":
            raise ConnectionError(payload.replace(b"\0", b" ").decode(errors="replace"))
        if kind == b"Z":
            return
