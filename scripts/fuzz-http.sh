#!/bin/sh
# make fuzz-http (second half): the raw-HTTP driver (tests/fuzz/http_driver.py) against the
# ASan+UBSan daemon and a throwaway PostgreSQL, for $1 seconds (default 60). Fails on any finding,
# on a sanitizer report in the daemon's log, or when the daemon does not stop cleanly.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
bin=build/asan/consultd
[ -x "$bin" ] || { echo "fuzz-http: build $bin first (make asan)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/consultd-fuzz.XXXXXX)
chmod 755 "$tmp"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  scripts/pg.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
url=$(scripts/pg.sh start "$tmp/pg" "$(free_port)" fast)
port=$(free_port)
export CONSULTD_DATABASE_URL="$url" CONSULTD_LISTEN="127.0.0.1:$port" CONSULTD_LIMITS_KEY_BURST=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
"$bin" migrate >/dev/null
org=$("$bin" org add --name "Fuzz Council" --kind council)
key=$("$bin" key add --org "$org" --role partner)

"$bin" serve >"$tmp/daemon.log" 2>&1 &
pid=$!
i=0
until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { cat "$tmp/daemon.log"; echo "fuzz-http: daemon not ready" >&2; exit 1; }
  sleep 0.1
done

status=0
mkdir -p build/fuzz/http-findings
python3 tests/fuzz/http_driver.py --port "$port" --token "$key" --psql "$url" --org "$org" \
  --seconds "$seconds" --out build/fuzz/http-findings || status=1
kill -TERM "$pid"
wait "$pid" || { echo "fuzz-http: the daemon exited $?" >&2; status=1; }
pid=""
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/daemon.log"; then
  grep -A30 -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/daemon.log" | head -60
  echo "fuzz-http: sanitizer report in the daemon's log" >&2
  status=1
fi
exit $status
