#!/bin/sh
# Open data benchmark: GET /public/consultations.json of EVENTS public
# consultations (each naming its areas and the vocabularies' labels, added
# per row from the register and vocabularies in memory), and GET
# /public/areas?q= as a resident types "Lincoln", one client, sequential
# requests, full answers (no If-None-Match).
#
#   tests/bench/public_json.sh [REQUESTS] [EVENTS]     default: 20 requests, 20000 consultations
set -eu
cd "$(dirname "$0")/../.."
n=${1:-20}
events=${2:-20000}
. tests/bench/lib.sh
bench_cluster pubjson
daemon/consultd areas import ../shared/data/ons/*.csv | grep register
org=$(daemon/consultd org add --name "Open Data Bench Council")
bench_public_rows "$org" "$events" "Consultation %d on local housing and parks" "{E09000007,E05000128,E05010784}"
bench_serve
python3 - "$hport" "$n" <<'PY'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])

def run(path, count):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, size, status = [], 0, None
    for _ in range(count):
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        size, status = len(body), r.status
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p / 100))]
    print("%-34s %3d x %s, %9d bytes: p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms"
          % (path[:34], count, status, size, pct(50), pct(95), times[-1]))

run("/public/consultations.json", n)
for q in ("Li", "Lin", "Linc", "Lincoln", "Abbey%20(Linc"):
    run("/public/areas?q=" + q + "&limit=11", n * 5)
PY
