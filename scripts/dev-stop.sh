#!/bin/sh
# make stop: stops what make run left running. Ctrl-C stops make run's daemon
# but not its private PostgreSQL, which runs on in its own session.
#  - the daemon, when var/consultd.pid names a process that is still a
#    consultd: SIGTERM, which lets it answer the requests in flight (at most
#    10 s), then waits for it to exit;
#  - the private PostgreSQL in var/pg (scripts/pg.sh stop).
# RUN_VAR (var) names the directory make run keeps them in.
set -eu
cd "$(dirname "$0")/.."
dir=${RUN_VAR:-var}

if [ -f "$dir/consultd.pid" ]; then
  pid=$(cat "$dir/consultd.pid")
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  case "$exe" in
    */consultd|*/consultd" (deleted)")
      kill -TERM "$pid"
      i=0
      # until it has exited (an exited process not yet reaped by its parent has no exe)
      while readlink "/proc/$pid/exe" >/dev/null 2>&1 && [ "$i" -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
      if readlink "/proc/$pid/exe" >/dev/null 2>&1; then
        echo "stop: the daemon (process $pid) is still running 20 s after SIGTERM" >&2
        exit 1
      fi
      echo "stop: stopped the daemon (process $pid)" ;;
    *) echo "stop: the daemon is not running" ;;
  esac
  rm -f "$dir/consultd.pid"
else
  echo "stop: the daemon is not running"
fi

if [ -f "$dir/pg/data/postmaster.pid" ]; then
  scripts/pg.sh stop "$dir/pg"
  if [ -f "$dir/pg/data/postmaster.pid" ]; then
    echo "stop: PostgreSQL in $dir/pg did not stop (see $dir/pg/server.log)" >&2
    exit 1
  fi
  echo "stop: stopped PostgreSQL in $dir/pg"
else
  echo "stop: no PostgreSQL running in $dir/pg"
fi
