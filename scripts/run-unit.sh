#!/bin/sh
# Runs each cmocka unit-test binary; prints one summary line.
# Each binary has UNIT_TIMEOUT_S seconds (default 60) times CONSULTD_TEST_TIMEOUT_SCALE
# (default 1; scripts/test.sh raises it for the sanitizer build). One that is still
# running then is named ("TIMEOUT <binary>"), killed (TERM, then KILL 5 s later),
# counted as one failed test, and the next binary runs.
set -u
limit=$(awk -v t="${UNIT_TIMEOUT_S:-60}" -v s="${CONSULTD_TEST_TIMEOUT_SCALE:-1}" 'BEGIN { printf "%d", t * s + 0.5 }')
passed=0; failed=0
for t in "$@"; do
  out=$(timeout -k 5 "$limit" "$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "TIMEOUT $t: still running after ${limit} s, killed"
    failed=$((failed + 1))
    continue
  fi
  p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
  f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ $rc -ne 0 ] && [ -z "$f" ] && failed=$((failed + 1))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
