#!/bin/sh
# What the register's write costs PostgreSQL with no overlap check, no daemon
# and no HTTP: the floor under POST /v1/consultations at a million stored.
#
#   BENCH_KEEP=DIR tests/bench/register_floor.sh [SECONDS]   default: DIR /tmp/speed-bench, 15 s
#
# Against the million-row register tests/bench/run.sh (or speed.sh) built and
# kept in DIR (bench_1000000_planned10000), pgbench with 32 clients (2 threads,
# prepared statements, over the Unix socket, as the daemon connects) writes
# what a post stores, each in its own transaction as the daemon does:
#   the row into consultations (its ten indexes: the text search, the four
#   facet arrays, the dates, the owner, the public listing, the primary key,
#   the external reference), nine blocking keys into consultation_keys and the
#   fatigue check into fatigue_pending, with a ward, dates in the posts' years
#   and a real title as run.sh posts them. No candidate search, no overlap
#   upsert, no advisory locks, no response document.
# Prints transactions/s and the CPU time PostgreSQL and pgbench spent per
# write: the first bounds what a checked post can cost PostgreSQL less than.
# Rows made after the load (earlier runs' posts, and this run's writes) are
# deleted before and after, so the register is the million it was loaded with.
# Run it alone on the machine: flock /tmp/consultd-bench.lock ...
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-15}
keep=${BENCH_KEEP:-/tmp/speed-bench}
db=bench_1000000_planned10000
. tests/bench/lib.sh
command -v pgbench >/dev/null || { echo "register_floor: pgbench not found (apt-get install postgresql-contrib)" >&2; exit 1; }
[ -f "$keep/loaded_1000000_planned10000" ] ||
  { echo "register_floor: no million-row register in $keep (run tests/bench/speed.sh once)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/consultd-regfloor.XXXXXX)
loaded="$keep/loaded_1000000_planned10000"
started=""
cleanup() {
  [ -z "$started" ] || bench_reset "$conn" "$loaded" || true
  scripts/pg.sh stop "$keep/pg" || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(free_port)
scripts/pg.sh start "$keep/pg" "$port" >/dev/null
conn="host=$keep/pg port=$port dbname=$db user=consultd"
org=$(psql -X -tA "$conn" -c "SELECT id FROM organisations ORDER BY id LIMIT 1")
title=$(psql -X -tA "$conn" -c "SELECT replace(title, '''', '''''') FROM consultations ORDER BY id LIMIT 1")
# a ward and its district, county and region, as the register resolves them
scope=$(psql -X -tA "$conn" -c "SELECT area_scope FROM consultations WHERE array_length(area_scope, 1) = 4 LIMIT 1")
cat > "$tmp/write.sql" <<SQL
\\set d random(0, 1000)
\\set n random(1, 1000000000)
BEGIN;
WITH ins AS (INSERT INTO consultations (id, organisation_id, title, topics, communities, areas,
  fieldwork_start, fieldwork_end, area_scope)
 VALUES (gen_random_uuid(), '$org', '$title ' || :n, '{council-tax}', '{carers}', ('$scope'::text[])[1:1],
  date '2027-01-01' + (:d)::int, date '2027-01-01' + (:d)::int + 30, '$scope') RETURNING id),
 k AS (INSERT INTO consultation_keys (key, consultation_id)
  SELECT (random() * 9e18)::bigint, ins.id FROM ins, generate_series(1, 9)),
 q AS (INSERT INTO fatigue_pending (consultation_id) SELECT id FROM ins)
SELECT id FROM ins;
COMMIT;
SQL

bench_reset "$conn" "$loaded"   # the million it was loaded with, not earlier runs' posts
started=1
stored=$(psql -X -tA "$conn" -c "SELECT count(*) FROM consultations")
pgpid=$(head -n 1 "$keep/pg/data/postmaster.pid")
hz=$(getconf CLK_TCK)
psql -X -q "$conn" -c "CHECKPOINT"
p0=$(pg_ticks "$pgpid"); t0=$(machine_ticks)
out=$(pgbench -n -M prepared -c 32 -j 2 -T "$secs" -f "$tmp/write.sql" "$conn" 2>&1) || { echo "$out" >&2; exit 1; }
sleep 1; p1=$(pg_ticks "$pgpid"); t1=$(machine_ticks)
tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
echo "== the register's write without the overlap check, $stored stored, 32 clients, ${secs}s"
awk -v tps="$tps" -v n="$txns" -v pg=$((p1 - p0)) -v all=$((t1 - t0)) -v hz="$hz" 'BEGIN {
  printf "writes/s: %.0f\n", tps
  printf "   CPU per write: PostgreSQL %.3f ms, rest of the machine (pgbench) %.3f ms\n", pg / hz * 1000 / n, (all - pg) / hz * 1000 / n }'
