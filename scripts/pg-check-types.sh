#!/usr/bin/env bash
# Checks (or regenerates) the golden type-system expectations against a real PostgreSQL 15.
#
#   scripts/pg-check-types.sh            # verify crates/common/tests/data/types_pg.tsv
#   scripts/pg-check-types.sh --update   # rewrite the expected column from the server
#
# The TSV has six tab-separated columns: kind, type, a, op, b, expected. The first five
# describe a case; the script turns each into a SQL expression (the same construction the
# Rust test `crates/common/tests/types_pg.rs` mirrors):
#
#   in    a::type                          input function (untyped literal cast)
#   cast  (a::type)::op                    a cast; `op` holds the target type
#   op    (a::type) op (b::type)           arithmetic
#   cmp   -1/0/1 from (a::type) < / = (b::type)
#   tzin  a::type with the session TimeZone at a fixed offset of `op` seconds east of UTC
#   tzcast (a::type)::b with that session TimeZone
#   typ   a column declared as `type`: format_type(atttypid, atttypmod) oid typmod typlen
#   assign INSERT of a::type (a bare literal when type is `unknown`) into a column of type op
#
# and evaluates it with format('%s', v) (the type's output function), catching errors as
# "ERROR <sqlstate> <message>". Results are "OK <text>", "NULL" or "ERROR ...".
#
# A throwaway cluster is created in a temporary directory (initdb refuses to run as root,
# so as root the cluster runs as the `postgres` user), started on a Unix socket only,
# and stopped on exit. Settings: TimeZone=UTC, DateStyle=ISO,MDY, IntervalStyle=postgres,
# extra_float_digits=1.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TSV="$ROOT/crates/common/tests/data/types_pg.tsv"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PORT="${PGPORT_CHECK:-54329}"
MODE="check"
[[ "${1:-}" == "--update" ]] && MODE="update"

if [[ ! -x "$PGBIN/initdb" ]]; then
  echo "PostgreSQL 15 not found in $PGBIN (apt-get install postgresql-15, or set PGBIN)" >&2
  exit 2
fi

WORK="$(mktemp -d /tmp/pg-check-types.XXXXXX)"
RUNAS=()
if [[ "$(id -u)" == "0" ]]; then
  chown postgres "$WORK"
  RUNAS=(su postgres -s /bin/bash -c)
fi
run() {
  if [[ ${#RUNAS[@]} -gt 0 ]]; then "${RUNAS[@]}" "$*"; else bash -c "$*"; fi
}
cleanup() {
  run "'$PGBIN/pg_ctl' -D '$WORK/data' -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

run "'$PGBIN/initdb' -D '$WORK/data' -U postgres --auth=trust --no-sync" >"$WORK/initdb.log" 2>&1
run "'$PGBIN/pg_ctl' -D '$WORK/data' -o \"-p $PORT -k $WORK -c listen_addresses=''\" -l '$WORK/server.log' -w start" >/dev/null

# Cases without the expected column; a readable copy for the server user.
cut -f1-5 "$TSV" >"$WORK/cases.tsv"
chmod a+r "$WORK/cases.tsv"

cat >"$WORK/run.sql" <<SQL
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
CREATE TEMP TABLE cases(n serial, kind text, typ text, a text, op text, b text);
\copy cases(kind, typ, a, op, b) FROM '$WORK/cases.tsv' WITH (FORMAT csv, DELIMITER E'\t', QUOTE E'\x01', FORCE_NOT_NULL (kind, typ, a, op, b))
CREATE FUNCTION pg_temp.expr(kind text, typ text, a text, op text, b text) RETURNS text
LANGUAGE sql AS \$\$
  SELECT CASE kind
    WHEN 'in' THEN format('%L::%s', a, typ)
    WHEN 'cast' THEN format('(%L::%s)::%s', a, typ, op)
    WHEN 'op' THEN format('(%L::%s) %s (%L::%s)', a, typ, op, b, typ)
    WHEN 'tzin' THEN format('%L::%s', a, typ)
    WHEN 'tzcast' THEN format('(%L::%s)::%s', a, typ, b)
    WHEN 'typ' THEN typ
    WHEN 'assign' THEN CASE WHEN typ = 'unknown' THEN format('%L', a) ELSE format('%L::%s', a, typ) END
    WHEN 'cmp' THEN format('CASE WHEN (%L::%s) < (%L::%s) THEN -1 WHEN (%L::%s) = (%L::%s) THEN 0 ELSE 1 END',
                           a, typ, b, typ, a, typ, b, typ)
  END
\$\$;
-- A fixed offset (seconds east of UTC) as a POSIX zone: '<+0530>-05:30:00' is UTC+05:30.
CREATE FUNCTION pg_temp.posix_zone(east int) RETURNS text LANGUAGE sql AS \$\$
  SELECT format('<%s%s>%s%s', CASE WHEN east < 0 THEN '-' ELSE '+' END,
                to_char(abs(east) / 3600, 'FM00') || to_char(abs(east) / 60 % 60, 'FM00') || to_char(abs(east) % 60, 'FM00'),
                CASE WHEN east < 0 THEN '+' ELSE '-' END,
                to_char(abs(east) / 3600, 'FM00') || ':' || to_char(abs(east) / 60 % 60, 'FM00') || ':' || to_char(abs(east) % 60, 'FM00'))
\$\$;
CREATE FUNCTION pg_temp.try(kind text, op text, q text) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE r text;
BEGIN
  IF kind IN ('tzin', 'tzcast') THEN
    PERFORM set_config('TimeZone', pg_temp.posix_zone(op::int), false);
  ELSE
    PERFORM set_config('TimeZone', 'UTC', false);
  END IF;
  IF kind = 'typ' THEN
    EXECUTE format('CREATE TEMP TABLE typ_t (c %s)', q);
    SELECT format('%s|%s|%s|%s', format_type(a.atttypid, a.atttypmod), a.atttypid, a.atttypmod, t.typlen) INTO r
      FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = 'typ_t'::regclass AND a.attname = 'c';
    DROP TABLE typ_t;
    RETURN 'OK ' || r;
  END IF;
  IF kind = 'assign' THEN
    EXECUTE format('CREATE TEMP TABLE assign_t (c %s)', op);
    EXECUTE 'INSERT INTO assign_t VALUES (' || q || ') RETURNING CASE WHEN c IS NULL THEN NULL ELSE format(''%s'', c) END' INTO r;
    DROP TABLE assign_t;
    RETURN CASE WHEN r IS NULL THEN 'NULL' ELSE 'OK ' || r END;
  END IF;
  EXECUTE 'SELECT CASE WHEN v IS NULL THEN NULL ELSE format(''%s'', v) END FROM (SELECT ' || q || ' AS v) s' INTO r;
  RETURN CASE WHEN r IS NULL THEN 'NULL' ELSE 'OK ' || r END;
EXCEPTION WHEN others THEN
  RETURN 'ERROR ' || SQLSTATE || ' ' || SQLERRM;
END
\$\$;
SELECT kind, typ, a, op, b, pg_temp.try(kind, op, pg_temp.expr(kind, typ, a, op, b)) FROM cases ORDER BY n;
SQL
chmod a+r "$WORK/run.sql"

run "psql -X -q -v ON_ERROR_STOP=1 -h '$WORK' -p $PORT -U postgres -d postgres -At -F \$'\t' -f '$WORK/run.sql'" >"$WORK/result.tsv"

if [[ "$MODE" == "update" ]]; then
  cp "$WORK/result.tsv" "$TSV"
  echo "updated $TSV ($(wc -l <"$TSV") cases)"
  exit 0
fi

if diff -u "$TSV" "$WORK/result.tsv" >"$WORK/diff.txt"; then
  echo "ok: $(wc -l <"$TSV") golden cases match PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
else
  echo "MISMATCH between $TSV and PostgreSQL (- file, + server):" >&2
  cat "$WORK/diff.txt" >&2
  exit 1
fi
