#!/usr/bin/env bash
# Checks the sqllogictest files of crates/sql against a real PostgreSQL 15, so that their
# expected outputs are PostgreSQL's and not our guess.
#
# Starts a throwaway cluster (initdb as a non-root user, Unix socket only, TimeZone=UTC to match
# Basalt's default), runs every file (or the files given) through scripts/pg_check_slt.py, which
# speaks the wire protocol so that SQLSTATEs, details, hints and error positions are compared
# exactly, then stops and removes the cluster.
#
# Usage: crates/sql/scripts/pg-check-slt.sh [FILE.slt ...]
# Needs: PostgreSQL 15 server binaries (`pg_config --bindir`), python3.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=("$here"/../tests/slt/*.slt)
fi
for i in "${!files[@]}"; do
  files[$i]="$(cd "$(dirname "${files[$i]}")" && pwd)/$(basename "${files[$i]}")"
done

bindir="$(pg_config --bindir)"
version="$("$bindir/postgres" --version)"
case "$version" in
  *" 15."*) ;;
  *) echo "warning: expected PostgreSQL 15, found: $version" >&2 ;;
esac

# PostgreSQL refuses to run as root: use an unprivileged account for the cluster.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  run_as=(runuser -u "$user" --)
fi

work="$(mktemp -d /tmp/basalt-pg-check.XXXXXX)"
chmod 755 "$work"
[ "${#run_as[@]}" -gt 0 ] && chown "$user" "$work"
port=54399

cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${run_as[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
"${run_as[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
  -o "-p $port -k $work -c listen_addresses= -c TimeZone=UTC -c fsync=off" start >/dev/null

python3 "$here/pg_check_slt.py" "$work" "$port" "${files[@]}"
