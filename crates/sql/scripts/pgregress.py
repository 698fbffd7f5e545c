"""Differential runs of PostgreSQL's own regression SQL files against Basalt.

PostgreSQL's `src/test/regress/sql/*.sql` files are a breadth driver for scalar types and
functions. This script splits such a file into statements, runs them in order on a fresh
database of the reference PostgreSQL 15 and on a fresh Basalt (the `sqlrun_json` example, as
in difftest.py), and classifies every statement:

    same          same rows (as a multiset; floats within 1e-12, 1e-6 for real), or the same
                  error SQLSTATE on both sides
    rows          both succeeded, different rows / columns / types / command tag
    order         same multiset, different order, and the statement has an ORDER BY
    error-code    both failed, with different SQLSTATEs
    basalt-error  Basalt failed where PostgreSQL succeeded
    pg-error      PostgreSQL failed where Basalt succeeded
    panic/timeout Basalt panicked (the runner restarts and replays the file so far) or hung

It prints, per file, the number of statements, the share that is the same and the counts per
class, then a histogram of Basalt's errors (SQLSTATE + message with literals masked) over
basalt-error and error-code statements: the most common missing functions and features.

Splitting: psql meta-commands (lines starting with a backslash) are skipped; a statement ends
at `;` outside quotes ('..', E'..', "..", $tag$..$tag$) and comments (--, nested /* */).
A COPY FROM STDIN takes the inline data lines after it (up to `\\.`) as its input; a COPY TO
STDOUT's output is compared as one row holding all of it.
The regression files from PostgreSQL 15 assume the tables of test_setup.sql; `--setup FILE`
runs such a file first on both sides (not counted). The copies used by the measurements in
docs/sql.md live outside the repository (/work/pgregress-data: setup.sql creates INT2_TBL ..
INT8_TBL, FLOAT8_TBL, TEXT_TBL, CHAR_TBL, VARCHAR_TBL and synthetic tenk1 / onek).

Usage (from the repository root, after `cargo build -p basalt-sql --example sqlrun_json`):

    python3 crates/sql/scripts/pgregress.py --setup DIR/setup.sql DIR/int8.sql DIR/text.sql
    python3 crates/sql/scripts/pgregress.py --setup DIR/setup.sql --show rows,error-code \
        DIR/strings.sql                   # print each difference of those classes
    python3 crates/sql/scripts/pgregress.py --out /tmp/pgregress ...   # per-statement jsonl

    --bin PATH      the runner (default $CARGO_TARGET_DIR/debug/examples/sqlrun_json)
    --host/--port   the reference server's socket directory and port (/tmp/pgref, 54440)
    --db NAME       the scratch database made there (pgregress_run; one per concurrent run)
    --show CLASSES  comma-separated classes to print in detail (or "all")
    --top N         histogram lines to print (default 25)
"""

import argparse
import collections
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from difftest import Basalt, compare, pg_run  # noqa: E402
from pgwire import Connection  # noqa: E402

DB = "pgregress_run"  # the scratch database on the reference server (--db)


COPY_IN = re.compile(r"^\s*copy\b.*\bfrom\s+stdin\b", re.IGNORECASE | re.DOTALL)
COPY_OUT = re.compile(r"^\s*copy\b.*\bto\s+stdout\b", re.IGNORECASE | re.DOTALL)


def copy_data_after(text, i):
    """The inline data of a COPY FROM STDIN whose `;` is at text[i], and where the script
    goes on: the lines after the statement's line up to a `\\.` line. psql only reads them
    when the server started the copy, which a failing COPY does not; as the regression files
    are written for that, lines that hold another COPY FROM STDIN before the `\\.` mean that
    this COPY has no data."""
    eol = text.find("\n", i)
    rest = text[i + 1:] if eol < 0 else text[i + 1:eol]
    if eol < 0 or (rest.strip() and not rest.strip().startswith("--")):
        return None, i + 1
    lines = []
    pos = eol + 1
    while pos < len(text):
        nl = text.find("\n", pos)
        line = text[pos:] if nl < 0 else text[pos:nl]
        nxt = len(text) if nl < 0 else nl + 1
        if line.rstrip("\r") == "\\.":
            return "".join(l + "\n" for l in lines), nxt
        if COPY_IN.match(line):
            break
        lines.append(line)
        pos = nxt
    return None, i + 1


def split_statements(text):
    """The statements of a psql script, without meta-commands; each keeps its own text."""
    return [sql for sql, _ in split_script(text)]


def split_script(text):
    """The statements of a psql script as (sql, copy data or None) pairs: the data of a
    COPY FROM STDIN is the script's inline data (see copy_data_after)."""
    stmts = []
    cur = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "\\" and not "".join(cur).strip():
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        at_line_start = False
        if c == "\n":
            at_line_start = True
            cur.append(c)
            i += 1
        elif c == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            if "".join(cur).strip():
                cur.append(text[i:j])
            i = j
        elif c == "/" and text.startswith("/*", i):
            depth, j = 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth += 1
                    j += 2
                elif text.startswith("*/", j):
                    depth -= 1
                    j += 2
                    if depth == 0:
                        break
                else:
                    j += 1
            cur.append(text[i:j])
            i = j
        elif c in "'\"":
            escapes = c == "'" and i > 0 and text[i - 1] in "eE" and (
                i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            j = i + 1
            while j < n:
                if escapes and text[j] == "\\":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            cur.append(text[i:j + 1])
            i = j + 1
        elif c == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$", text[i:])
            prev = text[i - 1] if i > 0 else " "
            if m and not (prev.isalnum() or prev == "_"):
                tag = m.group(0)
                j = text.find(tag, i + len(tag))
                j = n if j < 0 else j + len(tag)
                cur.append(text[i:j])
                i = j
            else:
                cur.append(c)
                i += 1
        elif c == ";":
            s = "".join(cur).strip()
            cur = []
            if s:
                data = None
                if COPY_IN.match(s):
                    data, i = copy_data_after(text, i)
                    if data is not None:
                        at_line_start = True
                else:
                    i += 1
                stmts.append((s, data))
            else:
                i += 1
        else:
            cur.append(c)
            i += 1
    s = "".join(cur).strip()
    if s:
        stmts.append((s, None))
    return stmts


MASKS = [
    (re.compile(r'"[^"]*"'), '"…"'),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r"\b\d+(\.\d+)?\b"), "N"),
]


def mask(message):
    """An error message with its literals masked, so that one cause is one histogram line."""
    for rx, rep in MASKS:
        message = rx.sub(rep, message)
    return message[:110]


def has_order_by(sql):
    return re.search(r"\border\s+by\b", sql, re.IGNORECASE) is not None


class Runner:
    def __init__(self, args):
        self.args = args
        self.admin = Connection(args.host, args.port, "postgres")
        self.basalt = Basalt(args.bin)
        self.pg = None
        self.applied = []

    def fresh(self):
        if self.pg:
            self.pg.close()
        self.admin.query(f"DROP DATABASE IF EXISTS {self.args.db}")
        self.admin.query(f"CREATE DATABASE {self.args.db}")
        self.pg = Connection(self.args.host, self.args.port, self.args.db)
        self.pg.query("SET statement_timeout = '20s'")
        self.basalt.start()
        self.applied = []

    def basalt_run(self, sql, copy_data=None):
        if copy_data is not None or COPY_IN.match(sql):
            sql = {"sql": sql, "copy_in": copy_data or ""}
        elif COPY_OUT.match(sql):
            sql = {"sql": sql, "copy_out": True}
        res = self.basalt.run(sql, timeout=self.args.timeout)
        self.applied.append(sql)
        if "panic" in res or "timeout" in res:
            # replay what ran so far (errors included) on a new runner; not the statement that
            # failed, or a second hang in the replay would leave its late answer in the pipe
            self.applied.pop()
            self.basalt.start()
            for s in self.applied:
                self.basalt.run(s, timeout=self.args.timeout)
        return res

    def close(self):
        self.basalt.stop()
        if self.pg:
            self.pg.close()
        self.admin.query(f"DROP DATABASE IF EXISTS {self.args.db}")
        self.admin.close()


def classify(stmt, pg, bs):
    diff = compare(pg, bs, ordered=False)
    if diff is None or diff[0] in ("float-close", "column-names"):
        # multiset-equal: check the order when the statement asks for one
        if has_order_by(stmt) and diff is None and compare(pg, bs, ordered=True) is not None:
            return "order", "same rows in another order"
        return "same", ""
    cat, detail = diff
    return {"missing-error": "pg-error", "extra-error": "basalt-error",
            "error-code": "error-code", "panic": "panic", "timeout": "timeout",
            "order": "order"}.get(cat, "rows"), f"{cat}: {detail}"


def run_file(runner, path, show, out):
    with open(path) as f:
        stmts = split_script(f.read())
    runner.fresh()
    if runner.args.setup:
        with open(runner.args.setup) as f:
            for s in split_statements(f.read()):
                runner.pg.query(s)
                res = runner.basalt_run(s)
                if res.get("error") or "panic" in res:
                    print(f"  setup failed on Basalt: {s[:80]!r}: {res}", file=sys.stderr)
    counts = collections.Counter()
    errors = collections.Counter()
    for idx, (stmt, copy_data) in enumerate(stmts):
        pg = pg_run(runner.pg, stmt, copy_data)
        bs = runner.basalt_run(stmt, copy_data)
        cat, detail = classify(stmt, pg, bs)
        counts[cat] += 1
        if cat in ("basalt-error", "error-code") and bs.get("error"):
            errors[f"{bs['error']['code']} {mask(bs['error']['message'])}"] += 1
        if cat == "panic":
            errors[f"PANIC {mask(bs.get('panic', ''))}"] += 1
        if out is not None and cat != "same":
            out.write(json.dumps({"file": os.path.basename(path), "index": idx, "class": cat,
                                  "sql": stmt, "detail": detail[:2000]}) + "\n")
        if cat != "same" and ("all" in show or cat in show):
            print(f"--- {os.path.basename(path)} #{idx} [{cat}]\n{stmt}\n    {detail[:600]}")
    return len(stmts), counts, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--bin", default=os.path.join(target, "debug/examples/sqlrun_json"))
    ap.add_argument("--host", default="/tmp/pgref")
    ap.add_argument("--port", default="54440")
    ap.add_argument("--db", default=DB)
    ap.add_argument("--setup")
    ap.add_argument("--show", default="")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--out")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    show = set(filter(None, args.show.split(",")))
    runner = Runner(args)
    out = None
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        out = open(os.path.join(args.out, "differences.jsonl"), "w")
    total = collections.Counter()
    all_errors = collections.Counter()
    classes = ["rows", "order", "error-code", "basalt-error", "pg-error", "panic", "timeout"]
    print(f"{'file':<18} {'stmts':>5} {'same%':>6}  " + " ".join(f"{c:>12}" for c in classes))
    for path in args.files:
        n, counts, errors = run_file(runner, path, show, out)
        total["stmts"] += n
        total.update(counts)
        all_errors.update(errors)
        name = os.path.basename(path).removesuffix(".sql")
        print(f"{name:<18} {n:>5} {100.0 * counts['same'] / max(1, n):>6.1f}  "
              + " ".join(f"{counts[c]:>12}" for c in classes), flush=True)
    n = total["stmts"]
    print(f"{'TOTAL':<18} {n:>5} {100.0 * total['same'] / max(1, n):>6.1f}  "
          + " ".join(f"{total[c]:>12}" for c in classes))
    print("\nBasalt errors (basalt-error + error-code), most common first:")
    for msg, count in all_errors.most_common(args.top):
        print(f"{count:>5}  {msg}")
    runner.close()
    if out:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
