#!/bin/sh
# A private PostgreSQL cluster in a directory of its own, on loopback.
#   scripts/pg.sh start DIR PORT [fast]   init (first time) and start; prints the database URL
#   scripts/pg.sh stop DIR                stop it (no error if it is not running)
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# 'postgres' system user (created by Debian's postgresql package).
# "fast" turns off fsync for throwaway test clusters.
set -eu

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT [fast] | stop DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$pgbin/initdb" ] || { echo "pg: PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  port=${3:?port}; mode=${4:-}
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "pg: user 'postgres' cannot write to $dir (a parent directory is not searchable by it);" >&2
      echo "pg: move the checkout somewhere world-searchable, or set database.url to an existing server" >&2
      exit 1
    fi
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$pgbin/initdb" -D "$dir/data" -U consultd --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_EXTRA_OPTS:-}"
  [ "$mode" = fast ] && opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if ! as_owner "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" start >/dev/null ||
      { tail -n 20 "$dir/server.log" >&2; exit 1; }
  fi
  if ! psql -X -q -h "$dir" -p "$port" -U consultd -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'consultd'" | grep -q 1; then
    psql -X -q -h "$dir" -p "$port" -U consultd -d postgres -c "CREATE DATABASE consultd" >/dev/null
  fi
  echo "postgresql://consultd@127.0.0.1:$port/consultd"
  ;;
stop)
  if [ -f "$dir/data/PG_VERSION" ]; then
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*) echo "usage: $0 start DIR PORT [fast] | stop DIR" >&2; exit 2 ;;
esac
