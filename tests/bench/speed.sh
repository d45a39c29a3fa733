#!/bin/sh
# The read and write paths against their yardsticks, in one run:
#
#   BENCH_KEEP=DIR tests/bench/speed.sh [SECONDS]     default: DIR /tmp/speed-bench, 15 s
#
# 1. GET /v1/consultations/{id} of random ids (wrk, 2 threads, 32 connections)
#    against pgbench -M prepared -c32 -j2 selecting the same rows by primary
#    key, for the same time: requests/s, their ratio, and the CPU each spends
#    per request (daemon, PostgreSQL); once with one daemon (pool of 4), once
#    with two sharing the port (server.reuse_port, pools of 2: one event loop
#    per core); then pgbench running the GET's own statement (the document
#    built in SQL), for PostgreSQL's share of a GET without the daemon in the
#    way.
# 2. POST /v1/consultations with the overlap check at 1,000,000 stored (all but
#    10,000 of them history: BENCH_PLANNED=10000) and at 10,000 stored
#    (tests/bench/run.sh): requests/s, p99, CPU per request, the ratio of the
#    two rates, and the daemon's peak resident memory under that load; then
#    the same write without the check, no daemon (tests/bench/register_floor.sh):
#    the floor under a post's PostgreSQL CPU.
#
# The registers are built by tests/bench/run.sh in DIR the first time (minutes
# for a million) and reused after. Run it alone on the machine:
#   flock /tmp/consultd-bench.lock tests/bench/speed.sh
# The machine's load average is printed with the figures: other work on the
# same cores moves requests/s; CPU per request moves much less.
# Knobs (environment): IDS (how many stored rows the reads pick from, 100:
# pgbench takes one script per row, at most 128), PG_MODE=fast (run.sh),
# ONLY=get (the GET against pgbench alone, on a register built before: the
# POST rows of the table are then left out), BIN (the daemon the posts and the
# GET run against, daemon/consultd by default: two builds compared back to back).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-15}
keep=${BENCH_KEEP:-/tmp/speed-bench}
nids=${IDS:-100}
only=${ONLY:-}
bin=${BIN:-daemon/consultd}
case $only in ''|get) ;; *) echo "speed: ONLY is get or unset" >&2; exit 2 ;; esac
. tests/bench/lib.sh
command -v pgbench >/dev/null || { echo "speed: pgbench not found (apt-get install postgresql-contrib)" >&2; exit 1; }
out=$(mktemp -d /tmp/consultd-speed.XXXXXX)
# A daemon that starts more than overlap.text_weights_refresh_s (5 minutes)
# after the last count recounts the words of every stored consultation: at a
# million, seconds of the daemon's CPU inside the measurement, or not,
# depending on when the previous run was. Counted once a day here.
export CONSULTD_OVERLAP_TEXT_WEIGHTS_REFRESH_S=${CONSULTD_OVERLAP_TEXT_WEIGHTS_REFRESH_S:-86400}
echo "== load: $(uptime | sed 's/.*load average/load average/')"

# ---- POST at two sizes (run.sh builds or reuses the registers) ----
# At a million, 990,000 of them history (BENCH_PLANNED=10000): each post meets
# the same neighbours as at 10,000, so the ratio of the two is the size alone.
if [ "$only" != get ]; then
  { BENCH_KEEP=$keep tests/bench/run.sh 10000 "$secs"
    BENCH_KEEP=$keep BENCH_PLANNED=10000 tests/bench/run.sh 1000000 "$secs"; } | tee "$out/post.txt" |
    grep -E '^==|requests/s|latency|per request|resident|non-2xx'
  BENCH_KEEP=$keep tests/bench/register_floor.sh "$secs" | tee "$out/floor.txt"
  echo "== load: $(uptime | sed 's/.*load average/load average/')"
else
  [ -d "$keep/pg" ] || { echo "speed: ONLY=get needs the register built in $keep (run once without ONLY)" >&2; exit 1; }
  : > "$out/post.txt"
  : > "$out/floor.txt"
fi

# ---- GET against pgbench ----
port=$(free_port)
url=$(scripts/pg.sh start "$keep/pg" "$port" ${PG_MODE:-})
dpid=""
cleanup() {
  # shellcheck disable=SC2086
  [ -z "$dpid" ] || kill $dpid 2>/dev/null || true
  [ -z "$dpid" ] || wait 2>/dev/null || true
  scripts/pg.sh stop "$keep/pg" || true
  rm -rf "$out"
}
trap cleanup EXIT INT TERM
mdb=bench_1000000_planned10000
db="${url%/*}/$mdb"
export CONSULTD_DATABASE_URL="$db"
"$bin" migrate >/dev/null   # a register built by an older binary (ONLY=get skips run.sh, which migrates)
pgconn="host=$keep/pg port=$port dbname=$mdb user=consultd"
token=$(daemon/consultd key add --org "$(psql -X -tA "$db" -c 'SELECT id FROM organisations ORDER BY id LIMIT 1')" --role partner)
psql -X -tA "$db" -c "SELECT id FROM consultations TABLESAMPLE SYSTEM (1) REPEATABLE (7) LIMIT $nids" > "$out/ids.txt"
i=0
while read -r id; do
  i=$((i + 1))
  echo "SELECT * FROM consultations WHERE id = '$id';" > "$out/pk$i.sql"
  # the daemon's own statement (SQL_CONSULTATION_GET): PostgreSQL's share of a GET without the daemon's round trips
  echo "SELECT c.version, consultation_doc(c, g)::text, c.organisation_id, c.status FROM consultations c" \
    "JOIN organisations g ON g.id = c.organisation_id WHERE c.id = '$id';" > "$out/doc$i.sql"
done < "$out/ids.txt"
{ echo "local ids = {"; sed 's/.*/"&",/' "$out/ids.txt"; echo "}"
  cat <<EOF
local token = "$token"
function init(args) math.randomseed(os.time() + math.random(1000)) end
request = function()
  return wrk.format("GET", "/v1/consultations/" .. ids[math.random(#ids)], { ["Authorization"] = "Bearer " .. token })
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.2f ms, p99: %.2f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
EOF
} > "$out/get.lua"

pgpid=$(head -n 1 "$keep/pg/data/postmaster.pid")
hz=$(getconf CLK_TCK)
# PostgreSQL's CPU time (ticks): the postmaster, its live children, and the
# backends that have exited (reaped by the postmaster: cutime, cstime).
pg_ticks() { { awk '{print $16 + $17}' "/proc/$1/stat"; cpu_ticks "$1"; } | awk '{s += $1} END {print s + 0}'; }

# get_run N: N daemons sharing one port (server.reuse_port when N > 1), the
# pool's 4 connections split among them; wrk against the port. Writes
# $out/get$N.txt, and the daemons' and PostgreSQL's CPU ticks to $out/cpu$N.
get_run() {
  n=$1 hport=$(free_port) dpid="" admins=""
  for _ in $(seq "$n"); do
    admin=127.0.0.1:$(free_port)
    CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 \
      CONSULTD_SERVER_REUSE_PORT=$([ "$n" -gt 1 ] && echo true || echo false) \
      CONSULTD_SERVER_ADMIN_LISTEN=$admin CONSULTD_DATABASE_POOL_SIZE=$((4 / n)) \
      CONSULTD_DATABASE_URL="$pgconn" "$bin" serve &
    dpid="$dpid $!" admins="$admins $admin"
  done
  # each one ready on its own operations address: the shared port may answer for another
  for a in $admins; do
    until curl -sf "http://$a/readyz" >/dev/null 2>&1; do
      for p in $dpid; do kill -0 "$p" 2>/dev/null || { echo "speed: a daemon exited" >&2; exit 1; }; done
      sleep 0.1
    done
  done
  wrk -t2 -c32 -d3s -s "$out/get.lua" "http://127.0.0.1:$hport" >/dev/null   # warm-up
  d0=0; for p in $dpid; do d0=$((d0 + $(cpu_ticks "$p"))); done; p0=$(pg_ticks "$pgpid")
  wrk -t2 -c32 -d"${secs}s" --latency -s "$out/get.lua" "http://127.0.0.1:$hport" > "$out/get$n.txt"
  d1=0; for p in $dpid; do d1=$((d1 + $(cpu_ticks "$p"))); done; p1=$(pg_ticks "$pgpid")
  echo "$((d1 - d0)) $((p1 - p0))" > "$out/cpu$n"
  # shellcheck disable=SC2086
  kill $dpid; for p in $dpid; do wait "$p" 2>/dev/null || true; done; dpid=""
}
get_run 1
get_run 2
get_rps=$(sed -n 's/^requests\/s: //p' "$out/get1.txt")
get2_rps=$(sed -n 's/^requests\/s: //p' "$out/get2.txt")
read -r d p < "$out/cpu1"
read -r d2 p2 < "$out/cpu2"

scripts=""
for f in "$out"/pk*.sql; do scripts="$scripts -f $f"; done
# shellcheck disable=SC2086
pgbench -n -M prepared -c32 -j2 -T3 $scripts "$pgconn" >/dev/null 2>&1   # warm-up
q0=$(pg_ticks "$pgpid")
# shellcheck disable=SC2086
pgbench -n -M prepared -c32 -j2 -T"$secs" $scripts "$pgconn" > "$out/pgbench.txt" 2>&1 ||
  { cat "$out/pgbench.txt" >&2; exit 1; }
sleep 1; q1=$(pg_ticks "$pgpid")
pg_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/pgbench.txt")
pg_n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out/pgbench.txt")

docs=""
for f in "$out"/doc*.sql; do docs="$docs -f $f"; done
r0=$(pg_ticks "$pgpid")
# shellcheck disable=SC2086
pgbench -n -M prepared -c32 -j2 -T"$secs" $docs "$pgconn" > "$out/pgdoc.txt" 2>&1 ||
  { cat "$out/pgdoc.txt" >&2; exit 1; }
sleep 1; r1=$(pg_ticks "$pgpid")
doc_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/pgdoc.txt")
doc_n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out/pgdoc.txt")

for n in 1 2; do
  echo "== GET /v1/consultations/{id} of $nids stored ids at 1,000,000 stored ($mdb), wrk -t2 -c32 -d${secs}s," \
    "$n daemon(s) on the port, database.pool_size $((4 / n)) each"
  grep -E 'requests/s|latency|non-2xx' "$out/get$n.txt" | sed 's/^/   /'
done
echo "== load: $(uptime | sed 's/.*load average/load average/')"

# ---- the table ----
post() { # size field: from run.sh's output for that size
  awk -v s="$1" -v f="$2" '
    /^== [0-9]+ stored/ { cur = $2 }
    cur == s && /requests\/s:/ { rps = $2 }
    cur == s && /latency p50/ { p99 = $6 }
    cur == s && /per request:/ { d = $5; p = $8 }
    cur == s && /peak/ { for (i = 1; i <= NF; i++) if ($i == "peak") peak = $(i + 1) }
    END { if (f == "rps") print rps; if (f == "p99") print p99; if (f == "cpu") print d " / " p; if (f == "peak") print peak }' "$out/post.txt"
}
awk -v only="$only" -v g="$get_rps" -v t="$pg_tps" -v n="$(awk -v r="$get_rps" -v s="$secs" 'BEGIN {print r * s}')" \
  -v g2="$get2_rps" -v n2="$(awk -v r="$get2_rps" -v s="$secs" 'BEGIN {print r * s}')" -v d2="$d2" -v p2="$p2" \
  -v p99a="$(sed -n 's/.*p99: \([0-9.]*\) ms/\1/p' "$out/get1.txt")" -v p99b="$(sed -n 's/.*p99: \([0-9.]*\) ms/\1/p' "$out/get2.txt")" \
  -v d="$d" -v p="$p" -v q=$((q1 - q0)) -v pn="$pg_n" -v hz="$hz" \
  -v dt="$doc_tps" -v dn="$doc_n" -v r=$((r1 - r0)) \
  -v r1="$(post 1000000 rps)" -v r2="$(post 10000 rps)" -v p99="$(post 1000000 p99)" \
  -v c1="$(post 1000000 cpu)" -v c2="$(post 10000 cpu)" -v peak="$(post 1000000 peak)" -v peak2="$(post 10000 peak)" \
  -v fw="$(sed -n 's/^writes\/s: //p' "$out/floor.txt")" \
  -v fc="$(sed -n 's/.*CPU per write: PostgreSQL \([0-9.]*\) ms.*/\1/p' "$out/floor.txt")" 'BEGIN {
  printf "\n%-52s %-34s %s\n", "path", "measured", "target"
  printf "%-52s %-34s %s\n", "GET one vs pgbench -M prepared, same rows by key",
    sprintf("%.0f/s vs %.0f/s: %.2f", g, t, g / t), ">= 0.6"
  printf "%-52s daemon %.3f ms, PostgreSQL %.3f ms (pgbench: PostgreSQL %.3f ms); p99 %s ms\n", "   CPU per GET:",
    d / hz / n * 1000, p / hz / n * 1000, q / hz / pn * 1000, p99a
  printf "%-52s %-34s %s\n", "   two daemons on the port (server.reuse_port)",
    sprintf("%.0f/s vs %.0f/s: %.2f", g2, t, g2 / t), ">= 0.6"
  printf "%-52s daemons %.3f ms, PostgreSQL %.3f ms; p99 %s ms\n", "   CPU per GET:",
    d2 / hz / n2 * 1000, p2 / hz / n2 * 1000, p99b
  printf "%-52s %.0f/s, PostgreSQL %.3f ms a statement\n", "   pgbench -M prepared running SQL_CONSULTATION_GET:",
    dt, r / hz / dn * 1000
  if (only == "get") exit
  printf "%-52s %-34s %s\n", "POST with the overlap check at 1M stored (990k history)", sprintf("%.0f/s, p99 %s ms", r1, p99),
    ">= 3000/s, p99 < 20 ms"
  printf "%-52s daemon / PostgreSQL ms: %s at 1M, %s at 10k\n", "   CPU per POST:", c1, c2
  printf "%-52s %.0f/s, PostgreSQL %s ms a write\n", "   its write alone, no check (register_floor.sh):", fw, fc
  printf "%-52s %-34s %s\n", "the same at 1M vs at 10k stored", sprintf("%.2f", r1 / r2), ">= 0.9"
  printf "%-52s %-34s %s\n", "daemon peak RSS under that load", sprintf("%s MiB (10k: %s MiB)", peak, peak2), "< 64 MiB"
}'
echo "== load: $(uptime | sed 's/.*load average/load average/')"
