"""Differential testing of Basalt's SQL engine against PostgreSQL 15.

Generates random but valid-ish SQL in the style of the public sqllogictest corpora (SQLite's
select1-5, random/expr, random/aggregates, random/select, random/groupby, index/*, evidence/*
in their PostgreSQL variants): small integer tables with NULLs (`tab0(col0, col1, col2)`,
`t1(a, b, c, d, e)`), tables mixing INTEGER / DECIMAL / FLOAT / TEXT columns, indexes and
views; queries with nested arithmetic, unary signs, CAST, CASE, COALESCE / NULLIF / ABS,
BETWEEN, IN lists and subqueries, EXISTS, correlated scalar subqueries, aggregates with ALL /
DISTINCT, GROUP BY / HAVING, DISTINCT, ORDER BY (expressions and ordinals), LIMIT / OFFSET,
comma / CROSS / LEFT / RIGHT / FULL joins, UNION / INTERSECT / EXCEPT [ALL], LIKE and `||`.

Every statement runs on PostgreSQL (a scratch database on the reference server) and on Basalt
(the `sqlrun_json` example, one long-running process per round, fresh in-memory database).
Results are compared exactly as text (PostgreSQL's output format), as multisets unless the
query orders all of its output columns; column type OIDs are compared too. When PostgreSQL
fails, Basalt must fail with the same SQLSTATE; when it succeeds, Basalt must succeed.

Usage (from the repository root, after
`cargo build -p basalt-sql --example sqlrun_json`):

    python3 crates/sql/scripts/difftest.py --seed 1 --rounds 20 --queries 200 \
        --out /tmp/difftest

    --seed N        random seed (a round r uses seed N*1000+r, printed with each mismatch)
    --rounds N      fresh databases (schema + data) to generate
    --queries N     random queries per round
    --bin PATH      the runner (default $CARGO_TARGET_DIR/debug/examples/sqlrun_json)
    --host/--port   the reference server's socket directory and port (/tmp/pgref, 54440)
    --out DIR       writes mismatches.jsonl (one object per mismatch) and summary.txt

Each mismatch records the round's setup statements and the query, so it replays by hand:
`--replay FILE.jsonl [INDEX]` prints the setup and query as a script for compare.sh. Known
harmless differences (float results within 1e-12 relative, 1e-6 for real, e.g. sums summed
in a different order) are counted apart and not reported as mismatches. A panic or a hang of Basalt restarts
the runner and replays the round's setup.
"""

import argparse
import collections
import json
import os
import random
import re
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgwire import Connection  # noqa: E402

INT, NUM, FLT, TEXT, BOOL = "int", "num", "flt", "text", "bool"
NUMERIC_TYPES = (INT, NUM, FLT)

WORDS = ["abc", "ABC", "xyz", "hello", "foo bar", "a%b", "a_c", "", "zzz", "Abc", "b", "42"]


class Table:
    def __init__(self, name, columns, pk=None):
        self.name = name
        self.columns = columns  # [(name, kind, sqltype)]
        self.pk = pk


# ---------------------------------------------------------------------------------------------
# Schema and data


def make_schema(rng):
    """The round's tables, their rows, indexes and views as SQL statements."""
    stmts = []
    tables = []
    style = rng.choice(["tab", "tab", "t1", "mixed", "index"])
    if style in ("tab", "t1"):
        if style == "tab":
            for i in range(3):
                tables.append(Table(f"tab{i}", [(f"col{j}", INT, "INTEGER") for j in range(3)]))
        else:
            tables.append(Table("t1", [(c, INT, "INTEGER") for c in "abcde"]))
            tables.append(Table("t2", [(c, INT, "INTEGER") for c in "abc"]))
    elif style == "index":
        for i in range(3):
            cols = [("pk", INT, "INTEGER"), ("col0", INT, "INTEGER"), ("col1", FLT, "FLOAT"),
                    ("col2", TEXT, "TEXT"), ("col3", INT, "INTEGER"), ("col4", FLT, "FLOAT"),
                    ("col5", TEXT, "TEXT")]
            tables.append(Table(f"tab{i}", cols, pk="pk"))
    else:
        kinds = [(INT, "INTEGER"), (INT, "INTEGER"), (NUM, "DECIMAL(10,2)"), (NUM, "NUMERIC"),
                 (FLT, "REAL"), (FLT, "DOUBLE PRECISION"), (TEXT, "TEXT"),
                 (TEXT, "VARCHAR(20)"), (INT, "BIGINT"), (INT, "SMALLINT")]
        for i in range(3):
            n = rng.randint(3, 5)
            cols = [(f"c{j}", *rng.choice(kinds)) for j in range(n)]
            cols[0] = ("c0", INT, "INTEGER")
            tables.append(Table(f"m{i}", cols))
    for t in tables:
        defs = []
        for name, _kind, sqltype in t.columns:
            d = f"{name} {sqltype}"
            if t.pk == name:
                d += " PRIMARY KEY"
            defs.append(d)
        stmts.append(f"CREATE TABLE {t.name}({', '.join(defs)})")
        nrows = rng.randint(0, 9) if rng.random() < 0.15 else rng.randint(3, 9)
        used_pk = set()
        for r in range(nrows):
            vals = []
            for name, kind, sqltype in t.columns:
                if name == t.pk:
                    v = rng.randint(0, 30)
                    while v in used_pk:
                        v = rng.randint(0, 30)
                    used_pk.add(v)
                    vals.append(str(v))
                else:
                    vals.append(value_literal(rng, kind, sqltype))
            if rng.random() < 0.5:
                stmts.append(f"INSERT INTO {t.name} VALUES({', '.join(vals)})")
            else:
                order = list(range(len(t.columns)))
                rng.shuffle(order)
                cols = ",".join(t.columns[i][0] for i in order)
                stmts.append(f"INSERT INTO {t.name}({cols}) VALUES({','.join(vals[i] for i in order)})")
    for t in tables:
        for k in range(rng.randint(0, 2)):
            cols = rng.sample([c[0] for c in t.columns], rng.randint(1, 2))
            spec = ", ".join(c + rng.choice(["", "", " DESC", " ASC"]) for c in cols)
            stmts.append(f"CREATE INDEX idx_{t.name}_{k} ON {t.name} ({spec})")
    return tables, stmts


def value_literal(rng, kind, sqltype):
    if rng.random() < 0.15:
        return "NULL"
    if kind == INT:
        if sqltype == "SMALLINT":
            return str(rng.randint(-99, 99))
        return str(rng.choice([rng.randint(-20, 99), rng.randint(0, 9), rng.randint(-999, 999)]))
    if kind == NUM:
        return rng.choice([str(rng.randint(-50, 99)), f"{rng.randint(-50, 99)}.{rng.randint(0, 99):02d}",
                           f"{rng.randint(0, 9)}.5"])
    if kind == FLT:
        return rng.choice([str(rng.randint(-50, 99)), f"{rng.randint(-50, 99)}.{rng.randint(0, 99)}",
                           "0.1", "0.2", "1.5", "-2.25", "1e10", "3.14159", "100.0"])
    w = rng.choice(WORDS)
    return "'" + w.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# Expressions


class Scope:
    """Columns visible to an expression: (qualified reference, kind)."""

    def __init__(self, cols, outer=None, grouped=None, agg_ok=False):
        self.cols = cols
        self.outer = outer or []  # columns of enclosing queries (correlation)
        self.grouped = grouped  # None, or [(sql, kind)] allowed outside aggregates
        self.agg_ok = agg_ok

    def of_kind(self, kinds):
        return [c for c in self.cols if c[1] in kinds]


class Gen:
    def __init__(self, rng, tables):
        self.rng = rng
        self.tables = tables
        self.alias_n = 0

    def r(self):
        return self.rng.random()

    def sign(self):
        return self.rng.choice(["", "", "", "- ", "+ ", "- - ", "+ - "])

    def int_lit(self):
        rng = self.rng
        v = rng.choice([rng.randint(0, 99), rng.randint(0, 9), rng.randint(0, 99)])
        return self.sign() + str(v)

    def literal(self, kind):
        rng = self.rng
        if rng.random() < 0.06:
            return rng.choice(["NULL", f"CAST( NULL AS {self.cast_type(kind)} )"])
        if kind == INT:
            return self.int_lit()
        if kind == NUM:
            return self.sign() + rng.choice([f"{rng.randint(0, 99)}.{rng.randint(0, 99):02d}",
                                             f"{rng.randint(0, 9)}.5", "0.0", "1.00"])
        if kind == FLT:
            return self.sign() + rng.choice([f"{rng.randint(0, 99)}.5E0", "CAST( 0.1 AS REAL )",
                                             "CAST( 2 AS DOUBLE PRECISION )", "1e2",
                                             f"CAST( {rng.randint(0, 99)} AS FLOAT )"])
        if kind == TEXT:
            return "'" + rng.choice(WORDS).replace("'", "''") + "'"
        return rng.choice(["TRUE", "FALSE", "NULL"])

    def cast_type(self, kind):
        return {INT: self.rng.choice(["INTEGER", "INTEGER", "BIGINT", "SMALLINT"]),
                NUM: self.rng.choice(["DECIMAL", "NUMERIC", "DECIMAL(10,2)"]),
                FLT: self.rng.choice(["REAL", "FLOAT", "DOUBLE PRECISION"]),
                TEXT: self.rng.choice(["TEXT", "VARCHAR(10)", "CHAR(3)"]),
                BOOL: "BOOLEAN"}[kind]

    def column(self, scope, kind):
        """A column of `kind` visible in `scope` (grouped queries: a group key), or None."""
        if scope.grouped is not None:
            opts = [g for g in scope.grouped if g[1] == kind]
        else:
            opts = scope.of_kind([kind])
            if scope.outer and self.r() < 0.15:
                o = [c for c in scope.outer if c[1] == kind]
                if o:
                    opts = o
        if not opts:
            return None
        return self.rng.choice(opts)[0]

    def expr(self, scope, kind, depth=0):
        rng = self.rng
        leaf = depth >= 3 or rng.random() < 0.3 + depth * 0.2
        if leaf:
            if kind == BOOL:
                return self.predicate(scope, depth + 1)
            if rng.random() < 0.7:
                c = self.column(scope, kind)
                if c is not None:
                    return self.sign() + c if kind != TEXT else c
            if scope.agg_ok and kind in (INT, NUM, FLT) and rng.random() < 0.5:
                return self.aggregate(scope, kind, depth)
            return self.literal(kind)
        if kind == BOOL:
            return self.predicate(scope, depth)
        if kind == TEXT:
            return self.text_expr(scope, depth)
        return self.num_expr(scope, kind, depth)

    def num_expr(self, scope, kind, depth):
        rng = self.rng
        x = rng.random()
        if scope.agg_ok and x < 0.2:
            return self.sign() + self.aggregate(scope, kind, depth)
        if x < 0.55:
            op = rng.choice(["+", "-", "*", "+", "-", "*", "/", "%"])
            if op == "%" and kind == FLT:
                op = "*"
            lk = kind
            rk = kind
            if kind == NUM:
                lk, rk = rng.choice([(NUM, NUM), (INT, NUM), (NUM, INT)])
            elif kind == FLT:
                lk, rk = rng.choice([(FLT, FLT), (INT, FLT), (FLT, INT), (FLT, NUM)])
            a = self.expr(scope, lk, depth + 1)
            b = self.expr(scope, rk, depth + 1)
            if op == "*" and depth > 0:
                b = self.literal(rk) if rk != FLT else b
            s = f"{a} {op} {b}"
            return f"( {s} )" if rng.random() < 0.4 else s
        if x < 0.62:
            src = rng.choice([INT, NUM, FLT, TEXT]) if kind == INT else rng.choice([INT, NUM, FLT])
            if src == TEXT:
                inner = rng.choice(["'12'", "' 7 '", "'-3'", "'abc'", "'1.5'"])
            else:
                inner = self.expr(scope, src, depth + 1)
            return f"CAST( {inner} AS {self.cast_type(kind)} )"
        if x < 0.72:
            return self.case_expr(scope, kind, depth)
        if x < 0.78:
            n = rng.randint(2, 3)
            return "COALESCE( " + ", ".join(self.expr(scope, kind, depth + 1) for _ in range(n)) + " )"
        if x < 0.82:
            return f"NULLIF( {self.expr(scope, kind, depth + 1)}, {self.expr(scope, kind, depth + 1)} )"
        if x < 0.86:
            return f"ABS( {self.expr(scope, kind, depth + 1)} )"
        if x < 0.93 and depth < 2:
            return self.scalar_subquery(scope, kind)
        if kind == INT and x < 0.96:
            return f"LENGTH( {self.text_expr(scope, depth + 1)} )"
        return self.expr(scope, kind, depth + 1)

    def text_expr(self, scope, depth):
        rng = self.rng
        x = rng.random()
        if x < 0.3:
            a = self.expr(scope, rng.choice([TEXT, TEXT, INT]), depth + 1)
            b = self.expr(scope, rng.choice([TEXT, TEXT, INT, NUM]), depth + 1)
            if not (TEXT in guess_kinds(a) or TEXT in guess_kinds(b)):
                a = "'x'"
            return f"{a} || {b}"
        if x < 0.45:
            return f"CAST( {self.expr(scope, rng.choice([INT, NUM]), depth + 1)} AS TEXT )"
        if x < 0.55:
            return f"{rng.choice(['UPPER', 'LOWER'])}( {self.expr(scope, TEXT, depth + 1)} )"
        if x < 0.62:
            return f"SUBSTR( {self.expr(scope, TEXT, depth + 1)}, {rng.randint(1, 3)}, {rng.randint(0, 3)} )"
        if x < 0.72:
            return self.case_expr(scope, TEXT, depth)
        if x < 0.8:
            return f"COALESCE( {self.expr(scope, TEXT, depth + 1)}, {self.literal(TEXT)} )"
        c = self.column(scope, TEXT)
        return c if c else self.literal(TEXT)

    def case_expr(self, scope, kind, depth):
        rng = self.rng
        n = rng.randint(1, 3)
        if rng.random() < 0.5:
            parts = [f"WHEN {self.predicate(scope, depth + 1)} THEN {self.expr(scope, kind, depth + 1)}"
                     for _ in range(n)]
            head = "CASE"
        else:
            k = rng.choice([INT, INT, TEXT]) if kind != TEXT else TEXT
            head = f"CASE {self.expr(scope, k, depth + 1)}"
            parts = [f"WHEN {self.expr(scope, k, depth + 2)} THEN {self.expr(scope, kind, depth + 1)}"
                     for _ in range(n)]
        tail = f" ELSE {self.expr(scope, kind, depth + 1)}" if rng.random() < 0.7 else ""
        return f"{head} {' '.join(parts)}{tail} END"

    def aggregate(self, scope, kind, depth):
        rng = self.rng
        inner = Scope(scope.cols, scope.outer, None, False)
        q = rng.choice(["", "", "", "ALL ", "DISTINCT "])
        if kind == INT:
            f = rng.choice(["COUNT", "COUNT", "COUNT*", "SUM", "MIN", "MAX"])
        elif kind == NUM:
            f = rng.choice(["AVG", "SUM", "MIN", "MAX"])
        else:
            f = rng.choice(["AVG", "SUM", "MIN", "MAX"])
        if f == "COUNT*":
            return "COUNT( * )"
        if f == "COUNT":
            ak = rng.choice([INT, INT, NUM, FLT, TEXT])
        elif f == "AVG" and kind == NUM:
            ak = INT if rng.random() < 0.7 else NUM
        else:
            ak = kind
        arg = self.expr(inner, ak, depth + 2)
        return f"{f}( {q}{arg} )"

    def predicate(self, scope, depth=0):
        rng = self.rng
        x = rng.random()
        if depth < 3 and x < 0.15:
            op = rng.choice(["AND", "OR"])
            s = f"{self.predicate(scope, depth + 1)} {op} {self.predicate(scope, depth + 1)}"
            return f"( {s} )" if rng.random() < 0.6 else s
        if depth < 3 and x < 0.22:
            p = self.predicate(scope, depth + 1)
            return f"NOT {p}" if rng.random() < 0.5 else f"NOT ( {p} )"
        if x < 0.3 and scope.grouped is None and scope.cols:
            # index/* style: a column against a constant (ranges, IN lists, equality)
            col, ck = rng.choice(scope.cols)
            if ck == BOOL:
                ck = INT
            y = rng.random()
            if y < 0.4:
                return f"{col} {rng.choice(['=', '<', '>', '<=', '>=', '<>'])} {self.literal(ck)}"
            if y < 0.6:
                return f"{col} {rng.choice(['', 'NOT '])}BETWEEN {self.literal(ck)} AND {self.literal(ck)}"
            if y < 0.8:
                items = ", ".join(self.literal(ck) for _ in range(rng.randint(1, 5)))
                return f"{col} {rng.choice(['', 'NOT '])}IN ( {items} )"
            return f"{col} IS {rng.choice(['', 'NOT '])}NULL"
        kind = rng.choice([INT, INT, INT, NUM, FLT, TEXT]) if self.has_kinds(scope) else INT
        if not self.has_kind(scope, kind):
            kind = INT
        a = self.expr(scope, kind, depth + 1)
        if x < 0.5:
            op = rng.choice(["=", "<>", "<", ">", "<=", ">=", "!=", "IS DISTINCT FROM",
                             "IS NOT DISTINCT FROM"])
            k2 = kind if kind == TEXT else rng.choice([kind, kind, INT])
            return f"{a} {op} {self.expr(scope, k2, depth + 1)}"
        if x < 0.58:
            return f"{a} IS {rng.choice(['', 'NOT '])}NULL"
        if x < 0.66:
            nb = rng.choice(["", "", "NOT "])
            return f"{a} {nb}BETWEEN {self.expr(scope, kind, depth + 2)} AND {self.expr(scope, kind, depth + 2)}"
        if x < 0.76:
            items = ", ".join(self.expr(scope, kind, depth + 2) if rng.random() < 0.3 else self.literal(kind)
                              for _ in range(rng.randint(1, 4)))
            return f"{a} {rng.choice(['', '', 'NOT '])}IN ( {items} )"
        if x < 0.82 and depth < 2:
            sub = self.subselect(scope, [kind], scalar=False)
            return f"{a} {rng.choice(['', 'NOT '])}IN ( {sub} )"
        if x < 0.87 and depth < 2:
            sub = self.subselect(scope, [rng.choice([INT, TEXT])], scalar=False, star_ok=True)
            return f"{rng.choice(['', 'NOT '])}EXISTS ( {sub} )"
        if x < 0.92:
            c = self.column(scope, TEXT) if self.has_kind(scope, TEXT) else None
            if c is None:
                return f"{a} IS NOT NULL"
            pat = rng.choice(["'a%'", "'%b%'", "'_b_'", "'%'", "'ABC'", "'%z'", "'a\\%b'", "'%_'"])
            neg = rng.choice(["", "NOT "])
            op = rng.choice(["LIKE", "LIKE", "ILIKE"])
            return f"{c} {neg}{op} {pat}"
        if x < 0.96:
            return f"( {self.predicate(scope, depth + 1)} ) IS {rng.choice(['', 'NOT '])}{rng.choice(['NULL', 'TRUE', 'FALSE'])}"
        return self.literal(BOOL) if rng.random() < 0.5 else f"{a} IS NULL"

    def has_kinds(self, scope):
        return True

    def has_kind(self, scope, kind):
        if scope.grouped is not None:
            return any(g[1] == kind for g in scope.grouped) or scope.agg_ok and kind != TEXT
        return bool(scope.of_kind([kind])) or kind != TEXT

    # -- subqueries ----------------------------------------------------------------------------

    def new_alias(self):
        self.alias_n += 1
        return f"cor{self.alias_n}"

    def table_cols(self, t, alias):
        return [(f"{alias}.{c[0]}", c[1]) for c in t.columns]

    def scalar_subquery(self, scope, kind):
        return f"( {self.subselect(scope, [kind], scalar=True)} )"

    def subselect(self, scope, kinds, scalar, star_ok=False):
        """A one-column subquery over one table, correlated to `scope` at times."""
        rng = self.rng
        t = rng.choice(self.tables)
        alias = self.new_alias()
        cols = self.table_cols(t, alias)
        outer = (scope.cols if scope.grouped is None else [g for g in scope.grouped]) + scope.outer
        inner = Scope(cols, outer)
        kind = kinds[0]
        where = ""
        if rng.random() < 0.7:
            where = f" WHERE {self.predicate(inner, 1)}"
        if star_ok and rng.random() < 0.5:
            return f"SELECT * FROM {t.name} AS {alias}{where}"
        if scalar:
            if rng.random() < 0.75 and kind != TEXT:
                agg_scope = Scope(cols, outer, None, True)
                item = self.aggregate(agg_scope, kind, 2)
                return f"SELECT {item} FROM {t.name} AS {alias}{where}"
            item = self.expr(Scope(cols, outer), kind, 2)
            return f"SELECT {item} FROM {t.name} AS {alias}{where} ORDER BY 1 LIMIT 1"
        item = self.expr(Scope(cols, outer), kind, 2)
        return f"SELECT {item} FROM {t.name} AS {alias}{where}"

    # -- queries -------------------------------------------------------------------------------

    def from_clause(self):
        """(sql, columns) for a FROM clause of 1-3 tables."""
        rng = self.rng
        n = rng.choice([1, 1, 1, 2, 2, 3])
        picks = [rng.choice(self.tables) for _ in range(n)]
        aliases = []
        items = []
        cols = []
        for i, t in enumerate(picks):
            if rng.random() < 0.5 or picks.count(t) > 1:
                a = self.new_alias()
                ref = f"{t.name} AS {a}" if rng.random() < 0.8 else f"{t.name} {a}"
            else:
                a = t.name
                ref = t.name
            aliases.append(a)
            tcols = self.table_cols(t, a)
            if i == 0:
                items.append(ref)
            else:
                j = rng.random()
                if j < 0.4:
                    items.append(", " + ref)
                elif j < 0.55:
                    items.append(" CROSS JOIN " + ref)
                else:
                    kind = rng.choice(["JOIN", "INNER JOIN", "LEFT JOIN", "LEFT OUTER JOIN",
                                       "RIGHT JOIN", "FULL OUTER JOIN", "FULL JOIN"])
                    scope = Scope(cols + tcols)
                    ints_l = [c for c in cols if c[1] == INT]
                    ints_r = [c for c in tcols if c[1] == INT]
                    if ints_l and ints_r and rng.random() < 0.7:
                        on = f"{rng.choice(ints_l)[0]} = {rng.choice(ints_r)[0]}"
                        if rng.random() < 0.3:
                            on += f" AND {self.predicate(scope, 2)}"
                    else:
                        on = self.predicate(scope, 1)
                    items.append(f" {kind} {ref} ON {on}")
            cols = cols + tcols
        return "".join(items), cols

    def select(self, kinds=None, allow_order=True, depth=0):
        """(sql, kinds, ordered_fully). A SELECT with `kinds` output columns (random if None)."""
        rng = self.rng
        from_sql, cols = self.from_clause()
        scope = Scope(cols)
        if kinds is None:
            kinds = [rng.choice([INT, INT, INT, NUM, FLT, TEXT]) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        where = f" WHERE {self.predicate(scope)}" if rng.random() < 0.6 else ""
        mode = rng.random()
        group = ""
        having = ""
        if mode < 0.25:
            # aggregates only (no GROUP BY)
            s2 = Scope(cols, None, [], True)
            items = [self.agg_item(s2, k) for k in kinds]
            if rng.random() < 0.2:
                having = f" HAVING {self.predicate(s2, 1)}"
        elif mode < 0.45:
            gcols = rng.sample(cols, min(len(cols), rng.randint(1, 2)))
            grouped = [(c[0], c[1]) for c in gcols]
            s2 = Scope(cols, None, grouped, True)
            items = []
            for k in kinds:
                m = [g for g in grouped if g[1] == k]
                if m and rng.random() < 0.5:
                    items.append(self.sign() + rng.choice(m)[0] if k != TEXT else rng.choice(m)[0])
                else:
                    items.append(self.expr(s2, k, 1) if k != TEXT or m else self.literal(TEXT))
            group = " GROUP BY " + ", ".join(g[0] for g in grouped)
            if rng.random() < 0.4:
                having = f" HAVING {self.predicate(s2, 1)}"
        else:
            items = [self.expr(scope, k) for k in kinds]
        distinct = rng.choice(["", "", "", "DISTINCT ", "ALL "])
        names = []
        rendered = []
        for i, it in enumerate(items):
            if rng.random() < 0.3:
                name = f"col{rng.randint(0, 5)}" if rng.random() < 0.5 else f"c{i}x"
                rendered.append(f"{it} AS {name}" if rng.random() < 0.7 else f"{it} {name}")
                names.append(name)
            else:
                rendered.append(it)
                names.append(None)
        sql = f"SELECT {distinct}{', '.join(rendered)} FROM {from_sql}{where}{group}{having}"
        ordered = False
        if allow_order and rng.random() < 0.5:
            keys = []
            idx = list(range(len(items)))
            rng.shuffle(idx)
            for i in idx:
                if rng.random() < 0.6:
                    keys.append(str(i + 1))
                elif names[i] and rng.random() < 0.5:
                    keys.append(names[i])
                else:
                    keys.append(items[i])
                keys[-1] += rng.choice(["", "", " ASC", " DESC", " DESC NULLS LAST", " NULLS FIRST"])
            full = rng.random() < 0.85
            if not full and len(keys) > 1:
                keys = keys[:1]
            else:
                full = True
            if rng.random() < 0.05:
                keys.append(self.expr(scope, INT))  # may be invalid with DISTINCT (42P10)
                full = False
            sql += " ORDER BY " + ", ".join(keys)
            ordered = full
            if full and rng.random() < 0.4:
                sql += f" LIMIT {rng.randint(0, 5)}"
                if rng.random() < 0.4:
                    sql += f" OFFSET {rng.randint(0, 3)}"
        return sql, kinds, ordered

    def agg_item(self, scope, kind):
        if kind == TEXT:
            inner = Scope(scope.cols, None, None, False)
            return f"{self.rng.choice(['MIN', 'MAX'])}( {self.expr(inner, TEXT, 2)} )"
        if self.rng.random() < 0.6:
            return self.aggregate(scope, kind, 1)
        return self.expr(scope, kind, 1)

    def dml(self):
        """An INSERT, UPDATE or DELETE on a base table (index/delete, evidence/* style)."""
        rng = self.rng
        t = rng.choice([t for t in self.tables if t.name.startswith(("tab", "t", "m"))
                        and not t.name.startswith("view")])
        scope = Scope([(c[0], c[1]) for c in t.columns])
        x = rng.random()
        if x < 0.35:
            return f"DELETE FROM {t.name} WHERE {self.predicate(scope)}"
        if x < 0.75:
            cols = [c for c in t.columns if c[0] != t.pk]
            c = rng.choice(cols)
            where = f" WHERE {self.predicate(scope)}" if rng.random() < 0.8 else ""
            return f"UPDATE {t.name} SET {c[0]} = {self.expr(scope, c[1], 1)}{where}"
        vals = []
        for name, kind, sqltype in t.columns:
            vals.append(str(rng.randint(31, 99)) if name == t.pk else value_literal(rng, kind, sqltype))
        return f"INSERT INTO {t.name} VALUES({', '.join(vals)})"

    def query(self):
        """(sql, ordered) for one top-level query."""
        rng = self.rng
        x = rng.random()
        if x < 0.12:
            sql1, kinds, _ = self.select(allow_order=False)
            parts = [sql1]
            for _ in range(rng.randint(1, 2)):
                s, _, _ = self.select(kinds, allow_order=False)
                parts.append(rng.choice(["UNION", "UNION ALL", "INTERSECT", "INTERSECT ALL", "EXCEPT",
                                         "EXCEPT ALL"]))
                parts.append(s)
            sql = " ".join(parts)
            if rng.random() < 0.4:
                sql += " ORDER BY " + ", ".join(str(i + 1) for i in range(len(kinds)))
                return sql, True
            return sql, False
        if x < 0.17:
            # no FROM
            s = Scope([], None, None, False)
            kinds = [rng.choice([INT, NUM, FLT, TEXT]) for _ in range(rng.randint(1, 2))]
            items = [self.expr(s, k) for k in kinds]
            if rng.random() < 0.2:
                items.append("COUNT( * )")
            return f"SELECT {rng.choice(['', 'ALL ', 'DISTINCT '])}{', '.join(items)}", False
        if x < 0.22:
            inner, kinds, _ = self.select(allow_order=False)
            a = self.new_alias()
            return f"SELECT * FROM ( {inner} ) AS {a}", False
        sql, _, ordered = self.select()
        return sql, ordered

    def view(self, n):
        sql, kinds, _ = self.select(allow_order=False)
        return f"CREATE VIEW view_{n} AS {sql}"


def guess_kinds(expr_sql):
    return {TEXT} if "'" in expr_sql or "col2" in expr_sql else {INT}


# ---------------------------------------------------------------------------------------------
# Running


class Basalt:
    def __init__(self, binary):
        self.binary = binary
        self.proc = None

    def start(self):
        self.stop()
        self.proc = subprocess.Popen([self.binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.buf = b""

    def stop(self):
        if self.proc:
            try:
                self.proc.kill()
                self.proc.wait()
            except OSError:
                pass
            self.proc = None

    def run(self, sql, timeout=10.0):
        """The decoded answer, {"panic": ...} or {"timeout": True}."""
        try:
            self.proc.stdin.write((json.dumps(sql) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return {"panic": "runner died"}
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return {"timeout": True}
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if not r:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
            if not chunk:
                return {"panic": "runner exited"}
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


def pg_run(conn, sql, copy_data=None):
    results, error = conn.query(sql, copy_data)
    out = {"results": [{"tag": r.tag, "columns": r.columns, "types": r.types, "rows": r.rows}
                       for r in results],
           "error": None}
    if error:
        out["error"] = {"code": error.get("C"), "message": error.get("M")}
    return out


FLOAT_RE = re.compile(r"^-?\d+(\.\d+)?(e[-+]?\d+)?$")


def close_floats(a, b, tolerance=1e-12):
    if a == b:
        return True
    if a is None or b is None:
        return False
    if not (FLOAT_RE.match(a) and FLOAT_RE.match(b)):
        return False
    x, y = float(a), float(b)
    return abs(x - y) <= tolerance * max(abs(x), abs(y), 1e-300)


def type_class(oid):
    """A result column's type OID for comparison: the OIDs of user-defined types (enums,
    composites, domains: 16384 and up) depend on the order objects were created in, so any
    two of them compare equal."""
    return "user" if oid >= 16384 else oid


def compare(pg, bs, ordered):
    """None when equal, else (category, detail)."""
    if "panic" in bs:
        return "panic", bs["panic"]
    if "timeout" in bs:
        return "timeout", ""
    pe, be = pg["error"], bs["error"]
    if pe and not be:
        return "missing-error", f"PG {pe['code']} {pe['message']}"
    if be and not pe:
        return "extra-error", f"Basalt {be['code']} {be['message']}"
    if pe and be:
        if pe["code"] != be["code"]:
            return "error-code", f"PG {pe['code']} {pe['message']} / Basalt {be['code']} {be['message']}"
        return None
    if len(pg["results"]) != len(bs["results"]):
        return "result-count", ""
    for pr, br in zip(pg["results"], bs["results"]):
        prow, brow = pr["rows"], br["rows"]
        if len(pr["columns"]) != len(br["columns"]):
            return "columns", f"{pr['columns']} / {br['columns']}"
        if not ordered:
            key = lambda r: [(v is None, v or "") for v in r]  # noqa: E731
            prow = sorted(prow, key=key)
            brow = sorted(brow, key=key)
        if prow != brow:
            # real (float4) sums in another row order differ in the 7th digit
            tol = 1e-6 if 700 in pr["types"] else 1e-12
            if len(prow) == len(brow) and all(
                    close_floats(x, y, tol) for pr_, br_ in zip(prow, brow) for x, y in zip(pr_, br_)):
                return "float-close", ""
            if sorted(map(str, prow)) == sorted(map(str, brow)):
                return "order", ""
            return "rows", f"PG {prow[:6]} / Basalt {brow[:6]}"
        if not pr["columns"] and pr["tag"] != br["tag"]:
            return "tag", f"PG {pr['tag']} / Basalt {br['tag']}"
        if list(map(type_class, pr["types"])) != list(map(type_class, br["types"])):
            return "types", f"PG {pr['types']} / Basalt {br['types']}"
        if pr["columns"] != br["columns"]:
            return "column-names", f"PG {pr['columns']} / Basalt {br['columns']}"
    return None


def run_round(args, rnd, pg_admin, basalt, out, stats):
    seed = args.seed * 1000 + rnd
    rng = random.Random(seed)
    tables, setup = make_schema(rng)
    gen = Gen(rng, tables)
    db = "difftest_fuzz"
    pg_admin.query(f"DROP DATABASE IF EXISTS {db}")
    pg_admin.query(f"CREATE DATABASE {db}")
    conn = Connection(args.host, args.port, db)
    conn.query("SET statement_timeout = '5s'")
    basalt.start()
    applied = []

    def replay():
        basalt.start()
        for s in applied:
            basalt.run(s)

    def one(sql, ordered, is_setup):
        pg = pg_run(conn, sql)
        bs = basalt.run(sql)
        stats["queries"] += 1
        if pg["error"]:
            stats["pg-errors"] += 1
        diff = compare(pg, bs, ordered)
        if diff and diff[0] in ("float-close", "column-names"):
            stats[diff[0]] += 1
            diff = None
        if diff:
            stats["mismatch"] += 1
            stats["cat:" + diff[0]] += 1
            rec = {"seed": seed, "category": diff[0], "detail": diff[1], "sql": sql,
                   "setup": list(applied), "pg": pg, "basalt": bs}
            out.write(json.dumps(rec) + "\n")
            out.flush()
            if args.verbose:
                print(f"[{seed}] {diff[0]}: {sql}\n    {diff[1][:300]}")
            if diff[0] in ("panic", "timeout"):
                replay()
        if is_setup and pg["error"] is None and (not diff or diff[0] in ("types",)):
            applied.append(sql)

    for s in setup:
        one(s, True, True)
    nviews = rng.randint(0, 2)
    for v in range(nviews):
        s = gen.view(v + 1)
        pg_ok = pg_run(conn, s)
        bs = basalt.run(s)
        stats["queries"] += 1
        if (pg_ok["error"] is None) == (bs.get("error") is None) and "panic" not in bs:
            if pg_ok["error"] is None:
                applied.append(s)
                # Views look like tables to later queries.
                gen.tables.append(Table(f"view_{v + 1}", []))
                r = pg_run(conn, f"SELECT * FROM view_{v + 1} LIMIT 0")
                if r["error"] or not r["results"]:
                    gen.tables.pop()
                    continue
                kinds = []
                for oid in r["results"][0]["types"]:
                    kinds.append(OID_KIND.get(oid, TEXT))
                gen.tables[-1].columns = [(c, k, "") for c, k in zip(r["results"][0]["columns"], kinds)]
                names = [c[0] for c in gen.tables[-1].columns]
                if len(set(names)) != len(names) or any(not re.match(r"^[a-z_][a-z0-9_]*$", n) for n in names):
                    gen.tables.pop()
        else:
            diff = compare(pg_ok, bs, False)
            stats["mismatch"] += 1
            stats["cat:" + (diff[0] if diff else "view")] += 1
            out.write(json.dumps({"seed": seed, "category": diff[0] if diff else "view",
                                  "detail": diff[1] if diff else "", "sql": s, "setup": list(applied),
                                  "pg": pg_ok, "basalt": bs}) + "\n")
            if bs.get("error") is None and pg_ok["error"] is not None:
                replay()
    for _ in range(args.queries):
        try:
            if rng.random() < 0.04:
                sql = gen.dml()
                before = stats["mismatch"]
                one(sql, False, False)
                if stats["mismatch"] != before:
                    break  # the databases differ from here on
                applied.append(sql)
                continue
            sql, ordered = gen.query()
        except (IndexError, ValueError):
            continue
        one(sql, ordered, False)
    conn.close()


OID_KIND = {20: INT, 21: INT, 23: INT, 1700: NUM, 700: FLT, 701: FLT, 25: TEXT, 1043: TEXT, 16: BOOL}


def replay_file(path, index):
    with open(path) as f:
        recs = [json.loads(line) for line in f]
    sel = recs if index is None else [recs[index]]
    for rec in sel:
        print(f"-- seed {rec['seed']} {rec['category']}: {rec['detail'][:200]}")
        for s in rec["setup"]:
            print(s + ";")
        print(rec["sql"] + ";")
        print()


def check_file(args):
    """Runs a hand-written script on a fresh database of both engines; prints differences."""
    stmts, cur = [], []
    with open(args.check) as f:
        for line in f:
            if line.strip().startswith("--") and not cur:
                continue
            cur.append(line.rstrip("\n"))
            if line.rstrip().endswith(";"):
                stmts.append("\n".join(cur).rstrip().rstrip(";"))
                cur = []
    pg_admin = Connection(args.host, args.port, "postgres")
    pg_admin.query("DROP DATABASE IF EXISTS difftest_check")
    pg_admin.query("CREATE DATABASE difftest_check")
    conn = Connection(args.host, args.port, "difftest_check")
    basalt = Basalt(args.bin)
    basalt.start()
    bad = 0
    for sql in stmts:
        pg = pg_run(conn, sql)
        bs = basalt.run(sql)
        diff = compare(pg, bs, "ORDER BY" in sql.upper())
        if diff:
            bad += 1
            show = lambda r: r.get("error") or [x["rows"][:5] for x in r.get("results", [])] or r  # noqa: E731
            print(f"DIFF {diff[0]}: {sql}\n  PG:     {show(pg)}\n  Basalt: {show(bs)}")
    print(f"{len(stmts)} statements, {bad} differ")
    basalt.stop()
    conn.close()
    pg_admin.query("DROP DATABASE IF EXISTS difftest_check")
    pg_admin.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--queries", type=int, default=200)
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    ap.add_argument("--bin", default=os.path.join(target, "debug/examples/sqlrun_json"))
    ap.add_argument("--host", default="/tmp/pgref")
    ap.add_argument("--port", default="54440")
    ap.add_argument("--out", default="/tmp/difftest")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--replay", help="print the setup and query of mismatches in FILE.jsonl")
    ap.add_argument("--check", help="run FILE.sql (statements end with ';' at a line end) on "
                    "both and print every difference")
    ap.add_argument("index", nargs="?", type=int)
    args = ap.parse_args()
    if args.replay:
        replay_file(args.replay, args.index)
        return 0
    if args.check:
        return check_file(args)
    os.makedirs(args.out, exist_ok=True)
    stats = collections.Counter()
    pg_admin = Connection(args.host, args.port, "postgres")
    basalt = Basalt(args.bin)
    with open(os.path.join(args.out, "mismatches.jsonl"), "w") as out:
        for rnd in range(args.rounds):
            run_round(args, rnd, pg_admin, basalt, out, stats)
    basalt.stop()
    pg_admin.query("DROP DATABASE IF EXISTS difftest_fuzz")
    pg_admin.close()
    lines = [f"statements: {stats['queries']}", f"mismatches: {stats['mismatch']} "
             f"({100.0 * stats['mismatch'] / max(1, stats['queries']):.2f}%)",
             f"float results within 1e-12 (ignored): {stats['float-close']}",
             f"column names differ only (ignored): {stats['column-names']}",
             f"statements PostgreSQL rejected: {stats['pg-errors']}"]
    for k, v in sorted(stats.items()):
        if k.startswith("cat:"):
            lines.append(f"  {k[4:]}: {v}")
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
