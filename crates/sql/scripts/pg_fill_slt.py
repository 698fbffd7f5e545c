"""Fills the expected results of a sqllogictest file from a real PostgreSQL.

Every `query` record (unless marked `onlyif basalt` or `skipif postgres`) is run in order on a
fresh database of the server, and its type letters and result rows are replaced by what
PostgreSQL returned: `I` for integer types and oid, `R` for float and numeric, `B` for bool,
`T` for anything else. Statements run too (a failing one aborts, as would a wrong expectation),
comments and everything else are kept as written. Used to write files whose source is a list of
queries clients send (tests/slt/client_queries.slt); check the result with pg-check-slt.sh.

Usage: python3 pg_fill_slt.py SOCKET_DIR PORT FILE.slt
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_check_slt import render_error, render_value  # noqa: E402
from pgwire import Connection  # noqa: E402

LETTERS = {20: "I", 21: "I", 23: "I", 26: "I", 700: "R", 701: "R", 1700: "R", 16: "B"}


def blocks(text):
    """The file's records: runs of non-blank lines, each with the blank lines after it."""
    out, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def fill(conn, block):
    """The block with its expected result filled, or as it was if it is not a PostgreSQL query."""
    head = 0
    conditions = []
    while head < len(block) and (block[head].startswith("#") or block[head].split()[0] in ("onlyif", "skipif")):
        if not block[head].startswith("#"):
            conditions.append(tuple(block[head].split()[:2]))
        head += 1
    if head == len(block):
        return block
    words = block[head].split()
    skip = ("onlyif", "basalt") in conditions or ("skipif", "postgres") in conditions
    if words[0] == "statement":
        if not skip and words[1] == "ok":
            _, error = conn.query("\n".join(block[head + 1 :]))
            if error:
                sys.exit(f"statement failed: {render_error(error)}\n{block[head + 1:]}")
        return block
    if words[0] != "query" or skip:
        return block
    end = block.index("----") if "----" in block else len(block)
    sql = block[head + 1 : end]
    results, error = conn.query("\n".join(sql))
    if error:
        sys.exit(f"query failed: {render_error(error)}\n" + "\n".join(sql))
    res = results[-1]
    letters = "".join(LETTERS.get(t, "T") for t in res.types)
    rows = [" ".join(render_value(v) for v in row) for row in res.rows]
    sort = words[2:]
    if "rowsort" in sort:
        rows.sort()
    return block[:head] + [" ".join(["query", letters] + sort)] + sql + ["----"] + rows


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    socket_dir, port, path = argv[1], argv[2], argv[3]
    admin = Connection(socket_dir, port, "postgres")
    db = "clientcat_fill"
    admin.query(f"DROP DATABASE IF EXISTS {db}")
    _, error = admin.query(f"CREATE DATABASE {db} TEMPLATE template0")
    if error:
        sys.exit(render_error(error))
    conn = Connection(socket_dir, port, db)
    try:
        with open(path, encoding="utf-8") as f:
            out = [fill(conn, b) for b in blocks(f.read())]
    finally:
        conn.close()
        admin.query(f"DROP DATABASE {db}")
        admin.close()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n\n".join("\n".join(b) for b in out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
