"""Runs sqllogictest files against a real PostgreSQL and reports every record whose outcome
differs from the file's expectation.

Errors are rendered exactly as the Basalt slt runner renders them (crates/sql/tests/slt.rs):
`SQLSTATE: message`, then `DETAIL: ...`, `HINT: ...`, `POSITION: n` lines. Records marked
`onlyif basalt` (or `skipif postgres`) are skipped; `onlyif postgres` ones run. Each file runs
in a fresh database; `connection NAME` records get their own sessions.

Usage: python3 pg_check_slt.py SOCKET_DIR PORT FILE.slt [FILE.slt ...]
"""

import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgwire import Connection  # noqa: E402

ENGINE = "postgres"


class Record:
    def __init__(self, kind, line):
        self.kind = kind  # "statement" or "query"
        self.line = line
        self.conditions = []
        self.connection = "default"
        self.sql = []
        self.expect_error = None  # None: must succeed; "" any error; regex; or ("multi", text)
        self.sort = "nosort"
        self.expected = []


def parse_file(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    records = []
    i = 0
    conditions = []
    connection = "default"
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        words = stripped.split()
        if words[0] in ("onlyif", "skipif"):
            conditions.append((words[0], words[1]))
            i += 1
            continue
        if words[0] == "connection":
            connection = words[1]
            i += 1
            continue
        if words[0] == "halt":
            break
        if words[0] in ("hash-threshold", "control", "sleep", "include", "system"):
            i += 1
            while i < len(lines) and lines[i].strip():
                i += 1
            conditions, connection = [], "default"
            continue
        if words[0] not in ("statement", "query"):
            raise SystemExit(f"{path}:{i + 1}: unsupported record {stripped!r}")
        rec = Record(words[0], i + 1)
        rec.conditions, rec.connection = conditions, connection
        conditions, connection = [], "default"
        if words[0] == "statement":
            if words[1] == "error":
                rec.expect_error = line.split("error", 1)[1].strip()
            elif words[1] == "count":
                pass
        else:
            if len(words) > 1 and words[1] == "error":
                rec.expect_error = line.split("error", 1)[1].strip()
            elif len(words) > 2 and words[2] in ("rowsort", "valuesort", "nosort"):
                rec.sort = words[2]
        i += 1
        while i < len(lines) and lines[i].strip() and lines[i].strip() != "----":
            rec.sql.append(lines[i])
            i += 1
        if i < len(lines) and lines[i].strip() == "----":
            i += 1
            if rec.expect_error is not None:
                # A multi-line error ends with two empty lines.
                body = []
                while i < len(lines) and not (
                    lines[i] == "" and i + 1 < len(lines) and lines[i + 1] == ""
                ):
                    body.append(lines[i])
                    i += 1
                rec.expect_error = ("multi", "\n".join(body).strip())
            else:
                while i < len(lines) and lines[i].strip():
                    rec.expected.append(lines[i])
                    i += 1
        records.append(rec)
    return records


def skipped(rec):
    for kind, label in rec.conditions:
        if kind == "onlyif" and label != ENGINE:
            return True
        if kind == "skipif" and label == ENGINE:
            return True
    return False


def render_error(error):
    text = f"{error.get('C')}: {error.get('M')}"
    if "D" in error:
        text += f"\nDETAIL: {error['D']}"
    if "H" in error:
        text += f"\nHINT: {error['H']}"
    if "P" in error:
        text += f"\nPOSITION: {error['P']}"
    return text


def normalize(s):
    return " ".join(s.split())


def render_value(v):
    if v is None:
        return "NULL"
    if v == "":
        return "(empty)"
    return v


def check_file(socket_dir, port, database, path):
    failures = []
    conns = {}
    try:
        for rec in parse_file(path):
            if skipped(rec):
                continue
            conn = conns.get(rec.connection)
            if conn is None:
                conn = conns[rec.connection] = Connection(socket_dir, port, database)
            sql = "\n".join(rec.sql)
            results, error = conn.query(sql)
            where = f"{path}:{rec.line}: {sql!r}"
            if rec.expect_error is not None:
                if error is None:
                    failures.append(f"{where}: expected an error, PostgreSQL succeeded")
                    continue
                actual = render_error(error)
                expected = rec.expect_error
                if isinstance(expected, tuple):
                    if expected[1] != actual.strip():
                        failures.append(f"{where}:\n  expected:\n{expected[1]}\n  PostgreSQL:\n{actual}")
                elif expected.startswith("(") and re.fullmatch(r"\([0-9A-Z]{5}\)", expected):
                    if error.get("C") != expected[1:-1]:
                        failures.append(f"{where}: expected SQLSTATE {expected}, PostgreSQL: {actual}")
                elif expected and not re.search(expected, actual):
                    failures.append(f"{where}:\n  expected /{expected}/\n  PostgreSQL:\n{actual}")
                continue
            if error is not None:
                failures.append(f"{where}: PostgreSQL failed: {render_error(error)}")
                continue
            if rec.kind == "query":
                rows = results[-1].rows if results else []
                actual_rows = [[render_value(v) for v in row] for row in rows]
                if rec.sort == "rowsort":
                    actual_rows.sort()
                    actual_lines = [normalize(" ".join(r)) for r in actual_rows]
                    expected_lines = sorted(normalize(x) for x in rec.expected)
                    actual_lines.sort()
                elif rec.sort == "valuesort":
                    actual_lines = sorted(normalize(v) for r in actual_rows for v in r)
                    expected_lines = sorted(normalize(x) for x in rec.expected)
                else:
                    actual_lines = [normalize(" ".join(r)) for r in actual_rows]
                    expected_lines = [normalize(x) for x in rec.expected]
                if actual_lines != expected_lines:
                    failures.append(
                        f"{where}:\n  expected: {expected_lines}\n  PostgreSQL: {actual_lines}"
                    )
    finally:
        for c in conns.values():
            c.close()
    return failures


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    socket_dir, port, files = argv[1], argv[2], argv[3:]
    admin = Connection(socket_dir, port, "postgres")
    total_failures = 0
    checked = 0
    for n, path in enumerate(files):
        database = f"slt_check_{n}"
        admin.query(f"DROP DATABASE IF EXISTS {database}")
        _, error = admin.query(f"CREATE DATABASE {database} TEMPLATE template0")
        if error:
            print(f"cannot create database: {render_error(error)}")
            return 1
        failures = check_file(socket_dir, port, database, path)
        admin.query(f"DROP DATABASE {database}")
        checked += 1
        status = "ok" if not failures else f"{len(failures)} difference(s)"
        print(f"{path}: {status}")
        for f in failures:
            print("  " + f.replace("\n", "\n  "))
        total_failures += len(failures)
    admin.close()
    print(f"pg-check: {checked} files, {total_failures} difference(s)")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
