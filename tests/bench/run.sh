#!/bin/sh
# Overlap-check benchmark: POST /v1/consultations with the overlap check at two
# register sizes, on this machine, with PostgreSQL on the same machine.
#
#   tests/bench/run.sh [SIZES] [SECONDS]      default: "10000 1000000" 15
#
# For each size: a fresh database, the ONS area register, SIZE generated
# consultations loaded with COPY (keys computed by the daemon's own code; COPY
# queues no fatigue checks: the loaded rows are the past), then
# wrk posts for SECONDS with 2 threads and 32 connections (one API key, so the
# per-key rate limit is turned off). Prints requests/s,
# p50/p99 latency, CPU time per request of the daemon and of PostgreSQL, and the
# daemon's resident memory. Knobs (environment): RUNS (measurements per size, 1),
# CONNS (wrk connections, 32), PG_MODE=fast (no fsync: CPU cost alone),
# BENCH_PLANNED (how many stored rows are planned in the posts' years; the rest
# are history), BIN (the daemon that serves the posts, daemon/consultd by
# default: two builds compared back to back),
# BENCH_SQL, PERF_OUT, PROFILE (see below). Needs wrk (apt-get install wrk).
set -eu
cd "$(dirname "$0")/../.."
sizes=${1:-"10000 1000000"}
secs=${2:-15}
conns=${CONNS:-32}   # wrk connections
threads=$(( conns < 2 ? 1 : 2 ))
data=../shared/data
# BENCH_KEEP=DIR: keep the cluster and the loaded databases in DIR, and reuse
# them on the next run instead of loading again (the posts of earlier runs stay).
if [ -n "${BENCH_KEEP:-}" ]; then mkdir -p "$BENCH_KEEP"; tmp=$(cd "$BENCH_KEEP" && pwd); else tmp=$(mktemp -d /tmp/consultd-bench.XXXXXX); fi
chmod 755 "$tmp"
# Every step may fail (the daemon may be gone already): none may stop the cleanup.
cleanup() {
  if [ -n "${dpid:-}" ]; then kill "$dpid" 2>/dev/null || true; fi
  scripts/pg.sh stop "$tmp/pg" || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

make -s all build/release/libconsultd.a
cc -O2 -std=c11 -D_GNU_SOURCE -Idaemon $(pkg-config --cflags jansson libpq) -o "$tmp/gen" tests/bench/gen.c \
  build/release/libconsultd.a $(pkg-config --libs libevent libpq jansson libcrypto inih) -lcsv -lm

. tests/bench/lib.sh
port=$(free_port)
url=$(scripts/pg.sh start "$tmp/pg" "$port" ${PG_MODE:-})
admin=${url%/*}/postgres

# Inputs shared by every size: titles from the regulations.gov listing, vocabularies, wards.
bench_titles "$data" "$tmp/titles.txt" 50000

for size in $sizes; do
  tag=$size${BENCH_PLANNED:+_planned$BENCH_PLANNED}
  db="bench_$tag"
  reuse=""
  if [ -n "${BENCH_KEEP:-}" ] && [ -f "$tmp/loaded_$tag" ]; then reuse=1; else
    psql -X -q "$admin" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  fi
  export CONSULTD_DATABASE_URL="${url%/*}/$db"
  # The daemon reaches PostgreSQL as on a single machine: over its Unix socket (BENCH_TCP=1: loopback TCP).
  daemon_url="host=$tmp/pg port=$port dbname=$db user=consultd"
  [ -n "${BENCH_TCP:-}" ] && daemon_url=$CONSULTD_DATABASE_URL
  daemon/consultd migrate 2>/dev/null
  [ -n "$reuse" ] || daemon/consultd areas import "$data"/ons/*.csv >/dev/null
  psql -X -q -tA "$CONSULTD_DATABASE_URL" -c "SELECT code FROM vocab_terms WHERE vocabulary = 'topics'" > "$tmp/topics.txt"
  psql -X -q -tA "$CONSULTD_DATABASE_URL" -c "SELECT code FROM vocab_terms WHERE vocabulary = 'communities' AND code <> 'general-public'" > "$tmp/communities.txt"
  psql -X -q -tA -F "$(printf '\t')" "$CONSULTD_DATABASE_URL" -c \
    "SELECT a.code, a.level, coalesce((SELECT json_agg(ancestor) FROM area_ancestors x WHERE x.code = a.code), '[]') FROM areas a" > "$tmp/areas.tsv"
  if [ -z "$reuse" ]; then
    : > "$tmp/orgs_$tag.txt"
    for i in $(seq 1 50); do daemon/consultd org add --name "Bench organisation $i" >> "$tmp/orgs_$tag.txt"; done
  fi
  token=$(daemon/consultd key add --org "$(head -n 1 "$tmp/orgs_$tag.txt")" --role partner)

  t0=$(date +%s)
  if [ -n "$reuse" ]; then echo "== $size stored consultations: reusing $tmp"; else
  echo "== $size stored consultations: generating and loading"
  # BENCH_PLANNED=P: only P of the stored rows are planned in the posts' three
  # years, the rest are the twenty years before (see gen.c).
  GEN_PLANNED=${BENCH_PLANNED:-$size} "$tmp/gen" "$size" 42 "$tmp/areas.tsv" "$tmp/titles.txt" "$tmp/topics.txt" "$tmp/communities.txt" \
    "$tmp/orgs_$tag.txt" "$tmp/c.copy" "$tmp/k.copy"
  psql -X -q "$CONSULTD_DATABASE_URL" \
    -c "\\copy consultations (id, organisation_id, title, topics, communities, areas, fieldwork_start, fieldwork_end, engagement_level, area_scope) FROM '$tmp/c.copy'" \
    -c "\\copy consultation_keys (key, consultation_id) FROM '$tmp/k.copy'" \
    -c "VACUUM ANALYZE consultations" -c "VACUUM ANALYZE consultation_keys" -c "CHECKPOINT"
  rm -f "$tmp/c.copy" "$tmp/k.copy"
  [ -z "${BENCH_KEEP:-}" ] || touch "$tmp/loaded_$tag"
  fi
  # A kept database goes back to the rows it was loaded with: those earlier
  # runs posted (made after the load, which the loaded_ file's time marks) are
  # deleted with their keys and overlaps, and the fatigue buckets they had
  # alerted (the load alerts none) forgotten, so that every run measures the
  # size it names, not that size plus every earlier run's posts.
  [ -z "$reuse" ] || bench_reset "$CONSULTD_DATABASE_URL" "$tmp/loaded_$tag"
  # BENCH_SQL: statements run before the measurement (for experiments, e.g. dropping an index).
  [ -n "${BENCH_SQL:-}" ] && psql -X -q "$CONSULTD_DATABASE_URL" -c "$BENCH_SQL"
  # a kept database still holds the checks its last run's posts queued
  [ -z "$reuse" ] || psql -X -q "$CONSULTD_DATABASE_URL" -c "TRUNCATE fatigue_pending"
  echo "   loaded in $(( $(date +%s) - t0 )) s: $(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM consultations') consultations, $(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM consultation_keys') keys"

  python3 - "$tmp" > tests/bench/data.lua <<'PY'
import sys
tmp = sys.argv[1]
def lua(name, path, limit=None, pick=None):
    items = [l.strip() for l in open(path) if l.strip()]
    if pick: items = [pick(l) for l in items]
    items = [i for i in items if i][:limit]
    return "  %s = {%s},\n" % (name, ",".join('"%s"' % i.replace('"', "'") for i in items))
out = "return {\n"
out += lua("titles", tmp + "/titles.txt", 20000)
out += lua("topics", tmp + "/topics.txt")
out += lua("communities", tmp + "/communities.txt")
out += lua("wards", tmp + "/areas.tsv", None, lambda l: l.split("\t")[0] if l.split("\t")[1] == "ward" else "")
print(out + "}")
PY

  hport=$(free_port)
  CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 CONSULTD_DATABASE_POOL_SIZE=${POOL:-8} \
    CONSULTD_DATABASE_URL="$daemon_url" "${BIN:-daemon/consultd}" serve &
  dpid=$!
  tries=0
  until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do
    kill -0 "$dpid" 2>/dev/null || { echo "bench: the daemon exited" >&2; exit 1; }
    tries=$((tries + 1)); [ "$tries" -lt 300 ] || { echo "bench: the daemon is not ready after 30 s" >&2; exit 1; }
    sleep 0.1
  done
  TOKEN=$token wrk -t"$threads" -c"$conns" -d3s -s tests/bench/post.lua "http://127.0.0.1:$hport" >/dev/null  # warm-up
  for run in $(seq 1 "${RUNS:-1}"); do
    echo "== $size stored: wrk -t$threads -c$conns -d${secs}s POST /v1/consultations"
    pgpid=$(head -n 1 "$tmp/pg/data/postmaster.pid")
    w0=$(psql -X -tA "$CONSULTD_DATABASE_URL" -c "SELECT wal_bytes || ' ' || wal_fpi FROM pg_stat_wal")
    d0=$(cpu_ticks "$dpid"); p0=$(cpu_ticks "$pgpid"); t0=$(machine_ticks)
    # PERF_OUT=FILE: a system-wide CPU profile of the measurement (perf record -a).
    [ -n "${PERF_OUT:-}" ] && { perf record -q -a -g -o "$PERF_OUT.$size.$run" sleep "$secs" >/dev/null 2>&1 & }
    TOKEN=$token wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s tests/bench/post.lua "http://127.0.0.1:$hport" \
      | tee "$tmp/wrk.out" | grep -E 'requests/s|latency p|non-2xx'
    d1=$(cpu_ticks "$dpid"); p1=$(cpu_ticks "$pgpid"); t1=$(machine_ticks)
    hz=$(getconf CLK_TCK)
    echo "   CPU seconds over the run: daemon $(( (d1 - d0) / hz )).$(( (d1 - d0) % hz * 100 / hz / 10 )), PostgreSQL" \
      "$(( (p1 - p0) / hz )).$(( (p1 - p0) % hz * 100 / hz / 10 )), whole machine $(( (t1 - t0) / hz ))" \
      "(of $(( secs * $(nproc) )) available)"
    w1=$(psql -X -tA "$CONSULTD_DATABASE_URL" -c "SELECT wal_bytes || ' ' || wal_fpi FROM pg_stat_wal")
    awk -v d=$((d1 - d0)) -v p=$((p1 - p0)) -v hz="$hz" -v s="$secs" -v w0="$w0" -v w1="$w1" '/requests\/s/ {
      n = $2 * s; split(w0, a, " "); split(w1, b, " ")
      printf "   per request: CPU daemon %.3f ms, PostgreSQL %.3f ms; WAL %.1f kB, %.1f full-page images\n",
        d / hz / n * 1000, p / hz / n * 1000, (b[1] - a[1]) / n / 1024, (b[2] - a[2]) / n }' "$tmp/wrk.out"
  done
  echo "   daemon resident memory: $(( $(awk '/VmRSS/ {print $2}' /proc/$dpid/status) / 1024 )) MiB," \
    "peak $(( $(awk '/VmHWM/ {print $2}' /proc/$dpid/status) / 1024 )) MiB;" \
    "overlaps recorded: $(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM overlap_pairs');" \
    "fatigue checks still queued: $(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM fatigue_pending')"
  [ -n "${PROFILE:-}" ] && psql -X "$CONSULTD_DATABASE_URL" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" -c "SELECT calls, round(total_exec_time::numeric,0) AS exec_ms, round(total_plan_time::numeric,0) AS plan_ms, round((total_exec_time/nullif(calls,0))::numeric,3) AS ms_per_call, round((total_plan_time/nullif(plans,0))::numeric,3) AS plan_per, left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 8"
  kill "$dpid"; wait "$dpid" 2>/dev/null || true; dpid=""
done
rm -f tests/bench/data.lua
