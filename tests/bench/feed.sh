#!/bin/sh
# Calendar feed benchmark: GET /feeds/<token>.ics and /public/consultations.ics
# of 5,000 consultations (every one in the calendar window, Welsh text so lines
# fold around multi-byte characters), one client, sequential requests:
#   - the very first answer, with nothing rendered before (every event
#     rendered from its row);
#   - the full answer repeated (the bytes kept by ETag), and the 304 answer
#     to If-None-Match (the path a subscribed calendar takes most hours);
#   - the first answer of 30 new feeds with the same filters (a feed's name
#     is in its bytes, so none repeats another's: each is put together from
#     the events kept);
#   - the answer after each of 30 edits of one consultation in the feed (one
#     event rendered again, the rest kept).
#
#   tests/bench/feed.sh [REQUESTS] [EVENTS]     default: 200 requests, 5000 events
set -eu
cd "$(dirname "$0")/../.."
n=${1:-200}
events=${2:-5000}
. tests/bench/lib.sh
bench_cluster feed
daemon/consultd areas import ../shared/data/ons/*.csv | grep register
org=$(daemon/consultd org add --name "Feed Bench Council")
token=$(daemon/consultd key add --org "$org" --role partner)
bench_public_rows "$org" "$events" "Ymgynghoriad %d: cynllun datblygu lleol – sesiwn galw heibio Gŵyl Banc, Caerdydd" \
  "{E09000007,E05000128}"
bench_serve
feed=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"label\": \"Bench\", \"filters\": {\"areas\": [\"E09000007\"]}}" "http://127.0.0.1:$hport/v1/feeds" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["url"].split("/feeds/")[1])')
python3 - "$hport" "$n" "$feed" "$token" "$url" <<'PY'
import http.client, json, subprocess, sys, time
port, n, feed, token, url = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
t = time.perf_counter()
c.request("GET", "/feeds/" + feed)
body = c.getresponse().read()
print("%-40s  1 x first answer, %7d bytes: %6.1f ms"
      % ("/feeds/<token> (every event rendered)", len(body), (time.perf_counter() - t) * 1000))

def run(path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times, size, status = [], 0, None
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t) * 1000)
        size, status, etag = len(body), r.status, r.getheader("ETag")
    times.sort()
    pct = lambda p: times[min(len(times) - 1, int(len(times) * p / 100))]
    print("%-40s %d x %s, %7d bytes: p50 %6.1f ms  p95 %6.1f ms  p99 %6.1f ms  max %6.1f ms"
          % (path[:40], n, status, size, pct(50), pct(95), pct(99), times[-1]))
    return etag

for path in ("/feeds/" + feed, "/public/consultations.ics"):
    etag = run(path)
    run(path, {"If-None-Match": etag})

c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
times = []
for i in range(30):
    c.request("POST", "/v1/feeds", body=json.dumps({"label": "Bench %d" % i, "filters": {"areas": ["E09000007"]}}),
              headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    path = "/feeds/" + json.loads(c.getresponse().read())["url"].split("/feeds/")[1]
    t = time.perf_counter()
    c.request("GET", path)
    body = c.getresponse().read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print("%-40s 30 x first answer, %7d bytes: p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms"
      % ("/feeds/<new token> (kept events)", len(body), times[15], times[28], times[-1]))

# the edits go through one psql session kept open, so no process starts
# beside the timed request
sql = subprocess.Popen(["psql", "-X", "-q", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
times = []
for i in range(30):
    sql.stdin.write("UPDATE consultations SET title = title || '.', version = version + 1, updated_at = now()"
                    " WHERE id = (SELECT id FROM consultations ORDER BY id LIMIT 1);\n\\echo edited\n")
    sql.stdin.flush()
    while sql.stdout.readline().strip() != "edited":
        pass
    time.sleep(0.05)
    t = time.perf_counter()
    c.request("GET", "/feeds/" + feed)
    body = c.getresponse().read()
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print("%-40s 30 x after an edit,  %7d bytes: p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms"
      % ("/feeds/<token> (one event rendered)", len(body), times[15], times[28], times[-1]))
sql.stdin.close()
sql.wait()
PY
curl -s "http://127.0.0.1:$hport/metrics" | grep -E '^consultd_calendar' || true
grep -c BEGIN:VEVENT <<EOF2 || true
$(curl -s "http://127.0.0.1:$hport/feeds/$feed")
EOF2
