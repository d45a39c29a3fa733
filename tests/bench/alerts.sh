#!/bin/sh
# Alert delivery benchmark (latency and dispatcher throughput): a private
# PostgreSQL, the release daemon, loopback receivers. See tests/bench/alerts.py.
#
#   tests/bench/alerts.sh [PAIRS] [SUBSCRIPTIONS]       default: 1000 10
set -eu
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d /tmp/consultd-bench-alerts.XXXXXX)
chmod 755 "$tmp"
cleanup() { scripts/pg.sh stop "$tmp/pg" || true; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

make -s all
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=$(scripts/pg.sh start "$tmp/pg" "$port" ${PG_MODE:-})
python3 tests/bench/alerts.py "$url" "$tmp/pg" ../shared/data "${1:-1000}" "${2:-10}"
