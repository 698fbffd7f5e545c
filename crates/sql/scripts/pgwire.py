"""A minimal PostgreSQL wire-protocol client (simple query protocol, trust authentication).

psql prints no error positions and mixes stderr with stdout, so the slt checker talks to the
server directly: every ErrorResponse and NoticeResponse field (SQLSTATE, message, detail, hint,
position) is kept exactly as the server sent it.

Usage as a tool: `python3 pgwire.py SOCKET_DIR PORT DB "SQL" ["SQL" ...]` runs each string as one
simple-protocol Query on one connection and prints what came back.
"""

import socket
import struct
import sys


class PgError(Exception):
    """A server error: the fields of an ErrorResponse, by their one-letter codes."""

    def __init__(self, fields):
        super().__init__(fields.get("M", ""))
        self.fields = fields

    @property
    def sqlstate(self):
        return self.fields.get("C", "")


class Result:
    """What one statement of a Query message returned."""

    def __init__(self):
        self.columns = []
        self.types = []  # type OIDs, parallel to columns
        self.rows = []
        self.tag = None
        self.notices = []


class Connection:
    """One session; `query` runs a simple-protocol Query and returns its results."""

    def __init__(self, socket_dir, port, database, user="postgres"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(f"{socket_dir}/.s.PGSQL.{port}")
        self.buf = b""
        params = b""
        for key, value in (("user", user), ("database", database)):
            params += key.encode() + b"\0" + value.encode() + b"\0"
        params += b"\0"
        body = struct.pack("!i", 196608) + params
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        while True:
            kind, payload = self._read()
            if kind == b"R":
                (code,) = struct.unpack("!i", payload[:4])
                if code != 0:
                    raise RuntimeError(f"authentication method {code} not supported (use trust)")
            elif kind == b"E":
                raise PgError(_fields(payload))
            elif kind == b"Z":
                return

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read(self):
        head = self._recv_exact(5)
        kind = head[:1]
        (length,) = struct.unpack("!i", head[1:])
        return kind, self._recv_exact(length - 4)

    def query(self, sql, copy_data=None):
        """Runs `sql` (one or more statements). Returns (results, error, notices_after_error)
        where error is the PgError fields dict or None. `copy_data` is what a COPY FROM STDIN
        reads (none: an empty input); the output of a COPY TO STDOUT comes back as one row
        holding all of it."""
        body = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(body) + 4) + body)
        results = []
        current = Result()
        error = None
        copy_out = None
        while True:
            kind, payload = self._read()
            if kind == b"G":
                data = (copy_data or "").encode()
                if data:
                    self.sock.sendall(b"d" + struct.pack("!i", len(data) + 4) + data)
                self.sock.sendall(b"c" + struct.pack("!i", 4))
                continue
            if kind == b"H":
                copy_out = []
                continue
            if kind == b"d" and copy_out is not None:
                copy_out.append(payload.decode())
                continue
            if kind == b"c":
                continue
            if kind == b"C" and copy_out is not None:
                current.columns, current.types = [], []
                current.rows = [["".join(copy_out)]]
                copy_out = None
            if kind == b"T":
                (count,) = struct.unpack("!h", payload[:2])
                pos = 2
                current.columns = []
                current.types = []
                for _ in range(count):
                    end = payload.index(b"\0", pos)
                    current.columns.append(payload[pos:end].decode())
                    (oid,) = struct.unpack("!I", payload[end + 7 : end + 11])
                    current.types.append(oid)
                    pos = end + 1 + 18
            elif kind == b"D":
                (count,) = struct.unpack("!h", payload[:2])
                pos = 2
                row = []
                for _ in range(count):
                    (length,) = struct.unpack("!i", payload[pos : pos + 4])
                    pos += 4
                    if length < 0:
                        row.append(None)
                    else:
                        row.append(payload[pos : pos + length].decode())
                        pos += length
                current.rows.append(row)
            elif kind == b"C":
                current.tag = payload[:-1].decode()
                results.append(current)
                current = Result()
            elif kind == b"I":
                current = Result()
            elif kind == b"N":
                current.notices.append(_fields(payload))
            elif kind == b"E":
                error = _fields(payload)
                error["notices"] = current.notices
                current = Result()
            elif kind == b"Z":
                return results, error
            # ParameterStatus ('S') and others are ignored.

    def close(self):
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        finally:
            self.sock.close()


def _fields(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode()
    return fields


def main(argv):
    if len(argv) < 5:
        print(__doc__)
        return 2
    conn = Connection(argv[1], argv[2], argv[3])
    for sql in argv[4:]:
        results, error = conn.query(sql)
        print(f"> {sql!r}")
        for r in results:
            for n in r.notices:
                print(f"  NOTICE {n.get('S')} {n.get('C')}: {n.get('M')}" + (f" HINT: {n['H']}" if "H" in n else ""))
            print(f"  {r.tag} columns={r.columns} rows={r.rows}")
        if error:
            for n in error["notices"]:
                print(f"  NOTICE {n.get('S')} {n.get('C')}: {n.get('M')}")
            extra = "".join(f" {k}={error[k]!r}" for k in ("D", "H", "P") if k in error)
            print(f"  ERROR {error.get('C')}: {error.get('M')}{extra}")
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
