#!/bin/sh
# How long `consultd areas import` takes on the published ONS lookups.
#
#   tests/bench/areas_import.sh [BIN] [RUNS]     defaults: daemon/consultd, 5
#
# A private throwaway cluster (fsync off); each run creates a fresh database,
# migrates it, imports the three lookups in ../shared/data/ons (8,887 wards,
# 9,470 rows in all) with the April 2023 successions fixture, then imports the
# same files again (nothing changes). Prints the wall time of each import and
# the median of each kind. The machine is shared: compare medians of runs made
# one after the other, never single runs.
set -eu
cd "$(dirname "$0")/../.."
bin=${1:-daemon/consultd}
runs=${2:-5}
. tests/bench/lib.sh
ons=${ONS_DATA_DIR:-../shared/data/ons}
files="$ons/lad18_rgn18_en.csv $ons/lad20_cty20_en.csv $ons/ward19_lad19_uk.csv tests/fixtures/lad22_lad23_successions.csv"
tmp=$(mktemp -d /tmp/consultd-areas.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/pg.sh stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

url=$(scripts/pg.sh start "$tmp/pg" "$(free_port)" fast)
server=${url%/*}
now() { date +%s.%N; }
i=0
while [ "$i" -lt "$runs" ]; do
  i=$((i + 1))
  psql -X -q "$server/postgres" -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench" 2>/dev/null
  export CONSULTD_DATABASE_URL="$server/bench"
  "$bin" migrate >/dev/null 2>&1
  s=$(now); "$bin" areas import $files >/dev/null; m=$(now)
  "$bin" areas import $files >/dev/null; e=$(now)
  echo "$m $s $e" | awk '{printf "run: first import %.3f s, again %.3f s\n", $1 - $2, $3 - $1}' | tee -a "$tmp/runs"
done
awk '{print $4}' "$tmp/runs" | sort -n | awk '{a[NR] = $1} END {printf "median first import: %.3f s\n", a[int((NR + 1) / 2)]}'
awk '{print $7}' "$tmp/runs" | sort -n | awk '{a[NR] = $1} END {printf "median import again: %.3f s\n", a[int((NR + 1) / 2)]}'
