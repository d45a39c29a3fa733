# Helpers shared by the benchmark scripts (sourced, not run).

# CPU time (clock ticks) of a process and its live children.
cpu_ticks() {
  for p in $1 $(cat /proc/$1/task/$1/children 2>/dev/null); do
    awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
  done | awk '{s += $1} END {print s + 0}'
}

# PostgreSQL's CPU time (ticks): the postmaster ($1), its live children, and
# the backends that have exited (the postmaster has reaped them: cutime, cstime).
pg_ticks() {
  { awk '{print $16 + $17}' "/proc/$1/stat"; cpu_ticks "$1"; } | awk '{s += $1} END {print s + 0}'
}

# CPU time (clock ticks) the whole machine has spent, idle and I/O wait excluded.
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $6 + $7 + $8}' /proc/stat; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Writes up to N real titles (the regulations.gov listing, cleaned for Lua and
# JSON) to OUT, one a line: bench_titles DATA_DIR OUT N
bench_titles() {
  python3 - "$1" "$2" "$3" <<'PY'
import csv, gzip, re, sys
data, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
titles = []
with gzip.open(data + "/consultations/regulations_gov_rules_proposed_rules.csv.gz", "rt", newline="") as f:
    for r in csv.DictReader(f):
        t = re.sub(r"[^A-Za-z0-9 ,.;:()'/-]", " ", r["title"]).strip()
        if 10 <= len(t) <= 200:
            titles.append(t)
        if len(titles) >= n:
            break
open(out, "w").write("\n".join(titles) + "\n")
PY
}

# Takes a kept register back to the rows it was loaded with: the rows made
# after the load (the time of the file $2 marks it) are deleted with their
# keys, overlaps and queued checks, and the fatigue buckets they had alerted
# (the load alerts none) forgotten. bench_reset CONN LOADED_FILE
bench_reset() {
  psql -X -q "$1" -c "
    CREATE TEMP TABLE posted AS SELECT id FROM consultations WHERE created_at > to_timestamp($(stat -c %Y "$2"));
    DELETE FROM consultation_keys WHERE consultation_id IN (SELECT id FROM posted);
    DELETE FROM overlap_pairs WHERE consultation_a IN (SELECT id FROM posted) OR consultation_b IN (SELECT id FROM posted);
    DELETE FROM fatigue_pending WHERE consultation_id IN (SELECT id FROM posted);
    DELETE FROM consultations WHERE id IN (SELECT id FROM posted);
    TRUNCATE fatigue_alerted;" \
    -c "VACUUM ANALYZE consultations" -c "VACUUM ANALYZE consultation_keys" -c "VACUUM ANALYZE overlap_pairs" -c "CHECKPOINT"
}

# A throwaway PostgreSQL for one benchmark, stopped and removed when the
# script exits: bench_cluster NAME [fast]. Builds the daemon, makes $tmp
# (/tmp/consultd-NAME.XXXXXX), starts a cluster there, exports
# CONSULTD_DATABASE_URL (also $url) and migrates. On exit it also stops $dpid
# (the daemon the script started, if any) and removes the files listed in
# $bench_scratch.
bench_cluster() {
  tmp=$(mktemp -d "/tmp/consultd-$1.XXXXXX")
  chmod 755 "$tmp"
  dpid=""
  trap bench_cleanup EXIT INT TERM
  make -s all
  url=$(scripts/pg.sh start "$tmp/pg" "$(free_port)" ${2:-})
  export CONSULTD_DATABASE_URL=$url
  daemon/consultd migrate >/dev/null 2>&1
}

bench_cleanup() {
  [ -z "${dpid:-}" ] || kill "$dpid" 2>/dev/null || true
  scripts/pg.sh stop "$tmp/pg" || true
  # shellcheck disable=SC2086
  rm -rf "$tmp" ${bench_scratch:-}
}

# Stores N public consultations of organisation ORG whose titles are TITLE
# with their number in it (%d), in AREAS (a text[] literal), fieldwork spread
# over the 700 days from 60 days ago: bench_public_rows ORG N TITLE AREAS
bench_public_rows() {
  psql -X -q -v ON_ERROR_STOP=1 "$CONSULTD_DATABASE_URL" -c "
INSERT INTO consultations (id, organisation_id, title, summary, topics, communities, areas,
  fieldwork_start, fieldwork_end, visibility, external_ref)
SELECT gen_random_uuid(), '$1', replace('$3', '%d', i::text),
  repeat('We want to hear from carers, residents; and groups. ', 4),
  '{housing,parks}', '{carers}', '$4',
  current_date + (i % 700) - 60, current_date + (i % 700) - 60 + (i % 40), 'public', 'BENCH-' || i
FROM generate_series(1, $2) i"
}

# Starts the daemon on a free port ($hport), rate limits off, and waits until
# it is ready; $dpid is stopped on exit (bench_cluster).
bench_serve() {
  hport=$(free_port)
  CONSULTD_LISTEN=127.0.0.1:$hport CONSULTD_LOG_LEVEL=warn CONSULTD_LIMITS_KEY_BURST=0 daemon/consultd serve &
  dpid=$!
  until curl -sf "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1; do sleep 0.1; done
}
