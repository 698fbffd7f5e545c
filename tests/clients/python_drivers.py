"""psycopg 3, psycopg2 and asyncpg against `basalt serve` (port in argv[1]).

Run by crates/cli/tests/clients.rs; every check is an assert, and any exception fails the test.
"""

import asyncio
import datetime
import decimal
import sys

import asyncpg
import psycopg
import psycopg2
from psycopg.types.json import Jsonb

PORT = int(sys.argv[1])
DSN = f"host=127.0.0.1 port={PORT} user=basalt dbname=basalt"


def psycopg3():
    with psycopg.connect(DSN, autocommit=True) as c:
        c.execute(
            "CREATE TABLE p3 (id int PRIMARY KEY, name text, amount numeric(10,2), "
            "at timestamptz, tags text[], doc jsonb, day date, raw bytea)"
        )
        with c.cursor() as cur:
            cur.execute(
                "INSERT INTO p3 VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (1, "a", decimal.Decimal("1.50"),
                 datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc),
                 ["x", "y"], Jsonb({"k": [1, 2]}), datetime.date(2024, 2, 29), b"\x00\xff"),
            )
            cur.executemany("INSERT INTO p3 (id, name) VALUES (%s, %s)",
                            [(i, f"n{i}") for i in range(2, 10)])
            cur.execute("SELECT id, name, amount, at, tags, doc, day, raw FROM p3 WHERE id = %s", (1,))
            row = cur.fetchone()
            assert row == (1, "a", decimal.Decimal("1.50"),
                           datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.timezone.utc),
                           ["x", "y"], {"k": [1, 2]}, datetime.date(2024, 2, 29), b"\x00\xff"), row
            # Server-side prepared statement (Parse once, then Bind/Execute).
            for _ in range(3):
                cur.execute("SELECT count(*) FROM p3 WHERE id > %s", (1,), prepare=True)
                assert cur.fetchone() == (8,)
            with cur.copy("COPY p3 (id, name) FROM STDIN") as cp:
                for i in range(100, 110):
                    cp.write_row((i, f"copied {i}"))
            assert cur.execute("SELECT count(*) FROM p3 WHERE id >= 100").fetchone() == (10,)
            with cur.copy("COPY (SELECT id, name FROM p3 WHERE id < 3 ORDER BY id) TO STDOUT (FORMAT csv)") as cp:
                out = b"".join(bytes(block) for block in cp)
            assert out == b"1,a\n2,n2\n", out
        # Binary results for every column.
        with c.cursor(binary=True) as cur:
            cur.execute("SELECT id, name, amount, at, tags, doc, day, raw FROM p3 WHERE id = %s", (1,))
            assert cur.fetchone() == row
        # Errors carry SQLSTATE and detail.
        try:
            c.execute("INSERT INTO p3 (id) VALUES (1)")
            raise AssertionError("duplicate accepted")
        except psycopg.errors.UniqueViolation as e:
            assert e.sqlstate == "23505"
            assert e.diag.message_detail == "Key (id)=(1) already exists."
        # Notices reach the client.
        seen = []
        c.add_notice_handler(lambda d: seen.append(d.message_primary))
        c.execute("DROP TABLE IF EXISTS no_such_table")
        assert seen == ['table "no_such_table" does not exist, skipping'], seen
    # Transactions (psycopg opens one implicitly without autocommit).
    with psycopg.connect(DSN) as c:
        c.execute("INSERT INTO p3 (id, name) VALUES (200, 't')")
        c.rollback()
        assert c.execute("SELECT count(*) FROM p3 WHERE id = 200").fetchone() == (0,)
        c.execute("INSERT INTO p3 (id, name) VALUES (201, 't')")
        c.commit()
        assert c.execute("SELECT name FROM p3 WHERE id = 201").fetchone() == ("t",)
        assert c.info.parameter_status("server_version").startswith("15")


def psycopg2_():
    c = psycopg2.connect(DSN)
    cur = c.cursor()
    cur.execute("SELECT id, name, amount FROM p3 WHERE id IN %s ORDER BY id", ((1, 2),))
    assert cur.fetchall() == [(1, "a", decimal.Decimal("1.50")), (2, "n2", None)]
    cur.execute("SELECT %s::date, %s::numeric, %s::int[]", ("2024-01-02", "1.25", [1, 2]))
    assert cur.fetchone() == (datetime.date(2024, 1, 2), decimal.Decimal("1.25"), [1, 2])
    cur.execute("UPDATE p3 SET name = %s WHERE id = %s", ("b", 2))
    assert cur.rowcount == 1
    c.commit()
    c.close()


async def asyncpg_():
    conn = await asyncpg.connect(host="127.0.0.1", port=PORT, user="basalt", database="basalt")
    rows = await conn.fetch("SELECT id, name, amount, tags FROM p3 WHERE id <= $1 ORDER BY id", 2)
    assert [tuple(r) for r in rows] == [(1, "a", decimal.Decimal("1.50"), ["x", "y"]), (2, "b", None, None)]
    await conn.execute("INSERT INTO p3 (id, name, at) VALUES ($1, $2, $3)", 300, "async",
                       datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    assert await conn.fetchval("SELECT name FROM p3 WHERE id = $1", 300) == "async"
    async with conn.transaction():
        await conn.execute("DELETE FROM p3 WHERE id = 300")
    assert await conn.fetchval("SELECT count(*) FROM p3 WHERE id = 300") == 0
    # Columns of user-defined types make asyncpg introspect them (a query whose parameter
    # is `$1::oid[]`, recursing through the composite's field types), then read and write
    # them in binary.
    await conn.execute("CREATE TYPE amood AS ENUM ('sad', 'ok', 'happy')")
    await conn.execute("CREATE TYPE apt AS (x int, label text, m amood)")
    await conn.execute("CREATE TABLE ap (id int PRIMARY KEY, m amood, p apt, ms amood[])")
    await conn.execute("INSERT INTO ap VALUES ($1, $2, $3, $4)", 1, "happy", (3, "three", "sad"),
                       ["ok", "sad"])
    await conn.execute("INSERT INTO ap VALUES ($1, $2, $3, $4)", 2, None, None, None)
    rows = await conn.fetch("SELECT id, m, p, ms FROM ap ORDER BY id")
    assert rows[0]["m"] == "happy"
    assert tuple(rows[0]["p"]) == (3, "three", "sad")
    assert rows[0]["p"]["label"] == "three"
    assert rows[0]["ms"] == ["ok", "sad"]
    assert tuple(rows[1]) == (2, None, None, None)
    assert await conn.fetchval("SELECT id FROM ap WHERE m = $1", "happy") == 1
    assert await conn.fetchval("SELECT (p).x FROM ap WHERE p = $1::apt", (3, "three", "sad")) == 3
    assert await conn.fetchval("SELECT $1::oid", 4294967295) == 4294967295
    assert await conn.fetchval("SELECT $1::oid[]", [1, 1259]) == [1, 1259]
    stmt = await conn.prepare("SELECT $1::int + 1")
    assert [await stmt.fetchval(i) for i in range(3)] == [1, 2, 3]
    await conn.close()


psycopg3()
psycopg2_()
asyncio.run(asyncpg_())
print("python drivers: ok")
