#!/bin/sh
# Console reads benchmark: the API calls each console page makes, at N stored
# consultations, one client (as one coordinator clicking through), p50 and p95
# per call.
#
#   BENCH_KEEP=DIR tests/bench/console.sh [N] [ROUNDS]     default: 1000000 30
#
# The register is built (or reused from DIR) by tests/bench/run.sh with N
# generated consultations over three years in real wards, and 5 s of posts on
# top, whose overlaps fill the inbox. Then one daemon answers, for a county
# (Lincolnshire), a district (Lincoln) and one of the inbox's overlaps, every
# call of: the inbox (and its counts per status), an overlap, a consultation
# (with its overlaps, preflight and fatigue), the form (vocabularies, area
# completion, a dry run), the calendar (the district and its wards, three
# months), the heat map (the district and each ward, twelve months), a
# county's consultations over a year, and the calendar feeds of the district,
# of Birmingham (some 5,000 events in the calendar window at a million) and
# of the county (their first answer, every event rendered, is timed once;
# then the full answer and the 304, ROUNDS times). Needs wrk (for run.sh).
set -eu
cd "$(dirname "$0")/../.."
n=${1:-1000000}
rounds=${2:-30}
keep=${BENCH_KEEP:-/tmp/consultd-console-bench}
BENCH_KEEP=$keep tests/bench/run.sh "$n" 5 | grep -E 'stored|loaded|requests/s' || true
. tests/bench/lib.sh
port=$(free_port)
url=$(scripts/pg.sh start "$keep/pg" "$port")
dpid=""
cleanup() {
  [ -z "$dpid" ] || kill "$dpid" 2>/dev/null || true
  [ -z "$dpid" ] || wait "$dpid" 2>/dev/null || true
  scripts/pg.sh stop "$keep/pg" || true
}
trap cleanup EXIT INT TERM
export CONSULTD_DATABASE_URL="${url%/*}/bench_$n"
token=$(daemon/consultd key add --org "$(daemon/consultd org add --name 'Console bench')" --role coordinator)
hport=$(free_port)
CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 daemon/consultd serve &
dpid=$!
until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
echo "== $(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM consultations') consultations," \
  "$(psql -X -tA "$CONSULTD_DATABASE_URL" -c 'SELECT count(*) FROM overlap_pairs') overlaps; $rounds rounds, one client"
python3 - "$hport" "$token" "$rounds" <<'PY'
import http.client, json, statistics, sys, time
port, token, rounds = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
H = {"Authorization": "Bearer " + token}

def call(method, path, body=None):
    h = dict(H)
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    t = time.perf_counter()
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    ms = (time.perf_counter() - t) * 1000
    if r.status >= 400:
        raise SystemExit("%s %s: %d %s" % (method, path, r.status, data[:300]))
    return ms, json.loads(data) if data else None

COUNTY, DISTRICT = "E10000019", "E07000138"
inbox = call("GET", "/v1/overlaps?status=open&limit=200")[1]["items"]
o = inbox[0]
cid = o["consultations"][0]
wards = [a["code"] for a in call("GET", "/v1/areas?parent=%s&limit=100" % DISTRICT)[1]["items"]]
pages = {
    "inbox": [("GET", "/v1/overlaps?status=open&limit=200")] +
             [("GET", "/v1/overlaps?status=%s&limit=200" % s) for s in ("acknowledged", "coordinated", "dismissed", "resolved")],
    "overlap": [("GET", "/v1/overlaps/%s" % o["id"])],
    "consultation": [("GET", "/v1/consultations/%s" % cid), ("GET", "/v1/consultations/%s/overlaps" % cid),
                     ("GET", "/v1/consultations/%s/preflight" % cid),
                     ("GET", "/v1/fatigue?area=%s&from=2028-01-01&to=2028-03-01" % DISTRICT)],
    "form": [("GET", "/v1/vocabularies/topics"), ("GET", "/v1/vocabularies/communities"),
             ("GET", "/v1/vocabularies/methods"), ("GET", "/v1/areas?q=abb&limit=10"),
             ("POST", "/v1/consultations?dry_run=true", {"title": "Library opening hours", "topics": ["libraries"],
              "communities": ["carers"], "areas": [wards[0]], "fieldwork": {"start": "2028-03-01", "end": "2028-03-31"}})],
    "calendar": [("GET", "/v1/areas/%s" % DISTRICT), ("GET", "/v1/areas?parent=%s&limit=100" % DISTRICT),
                 ("GET", "/v1/consultations?area=%s&from=2028-01-01&to=2028-03-31&limit=200" % DISTRICT),
                 ("GET", "/v1/overlaps?area=%s&status=open&from=2028-01-01&to=2028-03-31&limit=200" % DISTRICT)],
    "heat map": [("GET", "/v1/fatigue?area=%s&community=carers&from=2028-01-01&to=2028-12-01" % a)
                 for a in [DISTRICT] + wards],
    "county year": [("GET", "/v1/consultations?area=%s&from=2028-01-01&to=2028-12-31&limit=200" % COUNTY)],
}
print("%-14s %-64s %8s %8s" % ("page", "call", "p50 ms", "p95 ms"))
worst = 0
for page, calls in pages.items():
    for spec in calls:
        times = [call(*spec)[0] for _ in range(rounds)]
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        worst = max(worst, p95)
        print("%-14s %-64s %8.1f %8.1f" % (page, (spec[0] + " " + spec[1])[:64], statistics.median(times), p95))
print("slowest call's p95: %.1f ms" % worst)

# Calendar feeds: a new feed's first answer renders every event (timed once);
# then the full answer (the calendar kept) and the 304.
for name, area in (("district", DISTRICT), ("Birmingham", "E08000025"), ("county", COUNTY)):
    c.request("POST", "/v1/feeds", body=json.dumps({"label": "Bench " + name, "filters": {"areas": [area]}}),
              headers=dict(H, **{"Content-Type": "application/json"}))
    path = "/feeds/" + json.loads(c.getresponse().read())["url"].split("/feeds/")[1]
    def get(headers=None):
        t = time.perf_counter()
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return (time.perf_counter() - t) * 1000, r, data
    ms, r, data = get()
    events = data.count(b"BEGIN:VEVENT")
    print("%-14s %-64s %8.1f %8s" % ("feed", "%s: first answer, %d events%s, %d bytes" % (
        name, events, " (truncated)" if r.getheader("X-Consultd-Truncated") else "", len(data)), ms, ""))
    etag = r.getheader("ETag")
    for label, headers in (("full answer", None), ("304", {"If-None-Match": etag})):
        times = sorted(get(headers)[0] for _ in range(rounds))
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        print("%-14s %-64s %8.1f %8.1f" % ("feed", "%s: %s" % (name, label), statistics.median(times), p95))
PY
