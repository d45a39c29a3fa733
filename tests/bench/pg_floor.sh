#!/bin/sh
# The yardstick for tests/bench/run.sh: what this machine's PostgreSQL does
# for the cheapest durable write, with no daemon and no HTTP.
#
#   tests/bench/pg_floor.sh [SECONDS]      default: 10
#
# A private cluster with default durable settings and pgbench with 32 clients
# (2 threads, prepared statements, over the Unix socket, as the daemon connects)
# inserting into a table with a primary key and one secondary index:
#   1 row  a transaction (each an implicit transaction, one round trip);
#   8 rows a transaction (BEGIN, 8 INSERTs, COMMIT pipelined: one round trip).
# Prints transactions/s, rows/s and the CPU time PostgreSQL and pgbench spent
# per transaction and per row. The difference between the two is the fixed
# cost of a transaction: what grouping writes into shared transactions could
# save at most. Knobs (environment): CLIENTS (32), PG_EXTRA_OPTS.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-10}
clients=${CLIENTS:-32}
. tests/bench/lib.sh
command -v pgbench >/dev/null || { echo "pg_floor: pgbench not found (apt-get install postgresql-contrib)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/consultd-floor.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/pg.sh stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

port=$(free_port)
scripts/pg.sh start "$tmp/pg" "$port" >/dev/null
conn="host=$tmp/pg port=$port dbname=consultd user=consultd"
psql -X -q "$conn" -c "CREATE TABLE floor (id bigserial PRIMARY KEY, a integer NOT NULL, b float8 NOT NULL,
  c text NOT NULL, d timestamptz NOT NULL DEFAULT now())" -c "CREATE INDEX floor_a ON floor (a)"
row="INSERT INTO floor (a, b, c) VALUES (:client_id, random(), repeat('x', 200));"
echo "$row" > "$tmp/one.sql"
{ printf '%s\n' '\startpipeline' 'BEGIN;'; for _ in 1 2 3 4 5 6 7 8; do printf '%s\n' "$row"; done
  printf '%s\n' 'COMMIT;' '\endpipeline'; } > "$tmp/eight.sql"

pgpid=$(head -n 1 "$tmp/pg/data/postmaster.pid")
hz=$(getconf CLK_TCK)
for script in one eight; do
  rows=1; [ "$script" = eight ] && rows=8
  psql -X -q "$conn" -c "CHECKPOINT"
  p0=$(pg_ticks "$pgpid"); t0=$(machine_ticks)
  out=$(pgbench -n -M prepared -c "$clients" -j 2 -T "$secs" -f "$tmp/$script.sql" "$conn" 2>&1) ||
    { echo "$out" >&2; exit 1; }
  sleep 1; p1=$(pg_ticks "$pgpid"); t1=$(machine_ticks)
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
  txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
  echo "== $rows row(s) a transaction, $clients clients, ${secs}s"
  awk -v tps="$tps" -v n="$txns" -v rows="$rows" -v pg=$((p1 - p0)) -v all=$((t1 - t0)) -v hz="$hz" 'BEGIN {
    printf "transactions/s: %.0f, rows/s: %.0f\n", tps, tps * rows
    printf "   CPU per transaction: PostgreSQL %.3f ms, rest of the machine (pgbench) %.3f ms\n", pg / hz * 1000 / n, (all - pg) / hz * 1000 / n
    printf "   CPU per row: PostgreSQL %.3f ms\n", pg / hz * 1000 / n / rows }'
done
