#!/bin/sh
# Area search benchmark: GET /v1/areas?q= (autocomplete) with the whole UK
# register loaded (the ONS lookups in ../shared/data/ons: every UK ward and
# district), one client, as a person typing: latency percentiles from wrk.
#
#   tests/bench/areas_search.sh [SECONDS]     default: 15
# Needs wrk (apt-get install wrk).
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-15}
. tests/bench/lib.sh
bench_scratch=tests/bench/names.lua
bench_cluster search
daemon/consultd areas import ../shared/data/ons/*.csv | grep register
token=$(daemon/consultd key add --org "$(daemon/consultd org add --name Search)" --role partner)
psql -X -tA "$url" -c "SELECT name FROM areas UNION ALL SELECT code FROM areas" |
  python3 -c 'import sys; print("return {" + ",".join("\"%s\"" % l.strip().replace("\"", "") for l in sys.stdin if l.strip()) + "}")' \
  > tests/bench/names.lua
hport=$(free_port)
CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 daemon/consultd serve &
dpid=$!
until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
echo "== wrk -t1 -c1 -d${secs}s GET /v1/areas?q=<1-6 letters of a name or code>"
TOKEN=$token wrk -t1 -c1 -d"${secs}s" --latency -s tests/bench/areas_search.lua "http://127.0.0.1:$hport" |
  grep -E 'Requests/sec|^ +(50|75|90|99)%'
echo "p95 (wrk reports 90 and 99): see also the daemon's histogram:"
curl -s "http://127.0.0.1:$hport/metrics" | grep 'consultd_http_request_duration_seconds_bucket{route="/v1/areas"' |
  awk -F'[ }]' '{print "   " $0}' | head -12
