#!/bin/sh
# Installs the Debian packages consultd needs to build, run and test.
# Usage: scripts/deps.sh run|test
# As root it runs apt-get for whatever is missing; otherwise it prints the
# exact apt-get line and fails, so nothing is half-installed silently.
set -eu

RUN_PKGS="gcc make pkg-config libevent-dev libpq-dev libjansson-dev libssl-dev libinih-dev libcsv-dev libcurl4-openssl-dev postgresql"
TEST_PKGS="$RUN_PKGS libcmocka-dev python3 python3-icalendar man-db systemd chromium chromium-driver python3-selenium"

case "${1:-run}" in
  run) want=$RUN_PKGS ;;
  test) want=$TEST_PKGS ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null
else
  echo "deps: missing packages. Run this, then try again:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
