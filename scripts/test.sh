#!/bin/sh
# make test: unit tests, end-to-end tests against the real daemon and a real
# throwaway PostgreSQL, browser tests of the console in a real Chromium, then
# the unit and end-to-end tests again built with ASan+UBSan.
#
# Every unit binary, e2e test and browser test has a deadline (scripts/run-unit.sh,
# tests/e2e/watchdog.py); a hang fails by name and the run goes on. The harness
# checks those deadlines on deliberately hung tests first. The sanitizer build runs
# several times slower, so its deadlines are multiplied by ASAN_TIMEOUT_SCALE.
set -eu
cd "$(dirname "$0")/.."

tmp=$(mktemp -d /tmp/consultd-test.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/pg.sh stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "== starting a throwaway PostgreSQL on 127.0.0.1:$port"
url=$(scripts/pg.sh start "$tmp/pg" "$port" fast)

status=0
summary=""
record() { # name, log: pick up the "N passed, N failed" line
  line=$(grep -E '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  summary="$summary\n  $1: ${line#*: }"
}

echo "== the map of daemon/ places every file (daemon/README.md)"
scripts/check-daemon-map.sh > "$tmp/map.log" 2>&1 || status=1
grep -v '^map: ' "$tmp/map.log" || true
record map "$tmp/map.log"

echo "== the harness's self-test: hung tests fail fast, by name, and leave nothing running"
python3 tests/e2e/run.py --self-test --bin daemon/consultd --pg-url "$url" --pg-dir "$tmp/pg" 2>&1 \
  | tee "$tmp/selftest.out" | grep -v '^  | ' | tee "$tmp/selftest.log" || status=1
record e2e-selftest "$tmp/selftest.log"

echo "== unit tests"
make --no-print-directory -s unit 2>&1 | tee "$tmp/unit.log" | grep -vE '^\[ +(RUN|OK) +\]' || status=1
record unit "$tmp/unit.log"

echo "== end-to-end tests"
python3 tests/e2e/run.py --bin daemon/consultd --pg-url "$url" --pg-dir "$tmp/pg" 2>&1 | tee "$tmp/e2e.log" || status=1
record e2e "$tmp/e2e.log"

echo "== browser tests of the console (Debian chromium through python3-selenium)"
/usr/bin/python3 tests/browser/run.py --bin daemon/consultd --pg-url "$url" --pg-dir "$tmp/pg" --shots build/screenshots \
  2>&1 | tee "$tmp/browser.log" || status=1
record browser "$tmp/browser.log"

echo "== sanitizer build (ASan + UBSan): unit and end-to-end tests"
make --no-print-directory -s asan >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
export CONSULTD_TEST_TIMEOUT_SCALE=${ASAN_TIMEOUT_SCALE:-3}
scripts/run-unit.sh build/asan/tests/test_* 2>&1 | tee "$tmp/asan-unit.log" | grep -vE '^\[ +(RUN|OK) +\]' || status=1
record asan-unit "$tmp/asan-unit.log"
python3 tests/e2e/run.py --bin build/asan/consultd --pg-url "$url" --pg-dir "$tmp/pg" 2>&1 | tee "$tmp/asan-e2e.log" || status=1
record asan-e2e "$tmp/asan-e2e.log"

printf "== summary:$summary\n"
total_p=$(grep -hoE '^[a-z0-9-]+: [0-9]+ passed' "$tmp"/*.log | awk '{s+=$2} END {print s+0}')
total_f=$(grep -hoE '[0-9]+ failed' "$tmp"/map.log "$tmp"/selftest.log "$tmp"/unit.log "$tmp"/e2e.log "$tmp"/browser.log "$tmp"/asan-unit.log "$tmp"/asan-e2e.log | awk '{s+=$1} END {print s+0}')
[ "$status" -ne 0 ] && [ "$total_f" -eq 0 ] && total_f=1
[ "$total_f" -gt 0 ] && status=1   # a pipe into tee hides the runner's own exit status
echo "make test: $total_p passed, $total_f failed"
exit $status
