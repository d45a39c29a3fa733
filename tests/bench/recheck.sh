#!/bin/sh
# Re-check benchmark: how long the daemon takes to check N stored
# consultations again after a national import of the area register, and what
# that does to concurrent POST latency.
#
#   tests/bench/recheck.sh [N] [CONNS]        default: 100000 4
#
# A fresh database holds N consultations in real wards, with real titles and
# vocabulary terms over three years, stored before the register knew any area
# (scope = their own areas, no ancestors: the state an import must repair).
# The ONS lookups are then imported, which queues every one of them. One
# daemon drains the queue while wrk posts with CONNS connections; the script
# prints wrk's rate and latency for each 10 s window of the drain, the drain
# time, and the same load afterwards (nothing to re-check) for comparison.
# Needs wrk (apt-get install wrk). PG_MODE=fast turns fsync off.
set -eu
cd "$(dirname "$0")/../.."
n=${1:-100000}
conns=${2:-4}
data=../shared/data
. tests/bench/lib.sh
bench_scratch=tests/bench/data.lua
bench_cluster recheck ${PG_MODE:-}
org=$(daemon/consultd org add --name "Recheck bench")
token=$(daemon/consultd key add --org "$org" --role partner)

# The wards the consultations will name, from a throwaway database holding the register.
psql -X -q "${url%/*}/postgres" -c "CREATE DATABASE wards"
CONSULTD_DATABASE_URL=${url%/*}/wards daemon/consultd migrate >/dev/null 2>&1
CONSULTD_DATABASE_URL=${url%/*}/wards daemon/consultd areas import "$data"/ons/*.csv >/dev/null
psql -X -q -tA "${url%/*}/wards" -c "SELECT code FROM areas WHERE level = 'ward' ORDER BY code" > "$tmp/wards.txt"

echo "== storing $n consultations in a register that knows no area"
t0=$(date +%s)
bench_titles "$data" "$tmp/titles.txt" 20000
psql -X -q -v ON_ERROR_STOP=1 "$url" <<SQL
CREATE TEMP TABLE t (n serial, title text);
\\copy t (title) FROM '$tmp/titles.txt'
CREATE TEMP TABLE w (n serial, code text);
\\copy w (code) FROM '$tmp/wards.txt'
CREATE INDEX ON t (n);
CREATE INDEX ON w (n);
ANALYZE t;
ANALYZE w;
CREATE TEMP TABLE v AS SELECT array_agg(code) FILTER (WHERE vocabulary = 'topics') AS topics,
  array_agg(code) FILTER (WHERE vocabulary = 'communities' AND code <> 'general-public') AS communities FROM vocab_terms;
INSERT INTO consultations (id, organisation_id, title, topics, communities, areas, fieldwork_start, fieldwork_end,
                           engagement_level, area_scope)
SELECT gen_random_uuid(), '$org', (SELECT title FROM t WHERE t.n = 1 + (g * 7919) % (SELECT count(*) FROM t)),
       ARRAY[v.topics[1 + (g * 31) % array_length(v.topics, 1)]],
       ARRAY[v.communities[1 + (g * 17) % array_length(v.communities, 1)]],
       ARRAY[w.code], d, d + 14 + (g % 60)::int, 'consult', ARRAY[w.code]
FROM generate_series(1::bigint, $n) g, v,
     LATERAL (SELECT code FROM w WHERE w.n = 1 + (g * 104729) % (SELECT count(*) FROM w)) w,
     LATERAL (SELECT date '2027-01-01' + ((g * 13) % 1095)::int AS d) dd;
VACUUM ANALYZE consultations;
SQL
echo "   stored in $(( $(date +%s) - t0 )) s"

python3 - "$tmp" > tests/bench/data.lua <<'PY'
import sys
tmp = sys.argv[1]
def lua(name, items):
    return "  %s = {%s},\n" % (name, ",".join('"%s"' % i.replace('"', "'") for i in items))
titles = [l.strip() for l in open(tmp + "/titles.txt") if l.strip()][:5000]
wards = [l.strip() for l in open(tmp + "/wards.txt") if l.strip()]
print("return {\n" + lua("titles", titles) + lua("topics", ["housing", "transport", "libraries", "public-health"])
      + lua("communities", ["carers", "young-people", "older-people"]) + lua("wards", wards) + "}")
PY

# The daemon runs before the import (it is ready once it has loaded the
# empty register), so the script can time its reload after the NOTIFY.
hport=$(free_port)
CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 daemon/consultd serve &
dpid=$!
until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
generation() { curl -s "http://127.0.0.1:$hport/metrics" | sed -n 's/^consultd_area_register_generation //p'; }
g0=$(generation)

echo "== the national import"
t0=$(date +%s.%N)
daemon/consultd areas import "$data"/ons/*.csv | grep -E 'register|re-check'
t1=$(date +%s.%N)
echo "   import took $(echo "$t1 - $t0" | bc) s"
while [ "$(generation)" = "$g0" ]; do sleep 0.02; done
echo "   the daemon held the new register $(echo "($(date +%s.%N) - $t1) * 1000" | bc | cut -d. -f1) ms after the import returned"

depth() { psql -X -tA "$url" -c "SELECT count(*) FROM recheck_pending"; }
q0=$(depth)
t0=$(date +%s.%N)
echo "== re-checking $q0 consultations while wrk -t1 -c$conns posts (10 s windows)"
(while [ "$(depth)" -gt 0 ]; do sleep 0.2; done; date +%s.%N > "$tmp/drained") &
while [ ! -f "$tmp/drained" ]; do
  TOKEN=$token wrk -t1 -c"$conns" -d10s --latency -s tests/bench/post.lua "http://127.0.0.1:$hport" > "$tmp/w.out"
  printf '   %6s left: %s\n' "$(depth)" "$(awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%s posts/s, p50 %s, p99 %s", r, p50, p99}' "$tmp/w.out")"
done
secs=$(echo "$(cat "$tmp/drained") - $t0" | bc)
echo "   drained in $secs s: $(echo "$q0 / $secs" | bc) consultations/s;" \
  "overlaps recorded: $(psql -X -tA "$url" -c 'SELECT count(*) FROM overlap_pairs')"
echo "== the same load for 10 s with nothing to re-check"
TOKEN=$token wrk -t1 -c"$conns" -d10s --latency -s tests/bench/post.lua "http://127.0.0.1:$hport" > "$tmp/w.out"
printf '   %s\n' "$(awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%s posts/s, p50 %s, p99 %s", r, p50, p99}' "$tmp/w.out")"
