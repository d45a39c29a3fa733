#!/bin/sh
# make run: a private PostgreSQL under ./var/ (unless a database URL is
# configured), migrate, import the ONS lookups when ../shared/data/ons exists,
# create a demo organisation and key (printed, with the commands that give
# someone else a key), and serve on localhost until Ctrl-C; make stop stops
# the daemon and the private PostgreSQL (scripts/dev-stop.sh).
# Its own settings: RUN_PG_PORT (55432) and RUN_CONFIG (/etc/consultd/consultd.conf).
# They do not start with CONSULTD_: the daemon refuses unknown CONSULTD_ variables.
set -eu
cd "$(dirname "$0")/.."
bin=daemon/consultd
conf=${RUN_CONFIG:-/etc/consultd/consultd.conf}
mkdir -p var
chmod 755 var

# which database the printed key commands name (scripts/key-lines.sh MODE [ARG])
keymode="env"
keyarg=""
if [ -z "${CONSULTD_DATABASE_URL:-}" ] && ! grep -qE '^[[:space:]]*url[[:space:]]*=[[:space:]]*[^[:space:]]' "$conf" 2>/dev/null; then
  port=${RUN_PG_PORT:-55432}
  echo "run: starting a private PostgreSQL in ./var/pg on 127.0.0.1:$port"
  CONSULTD_DATABASE_URL=$(scripts/pg.sh start var/pg "$port")
  export CONSULTD_DATABASE_URL
  keymode=private
  keyarg=$CONSULTD_DATABASE_URL
  echo "run: stop it later with: make stop (or scripts/pg.sh stop var/pg)"
elif [ -z "${CONSULTD_DATABASE_URL:-}" ]; then
  keymode=config
  keyarg=$conf
fi
export CONSULTD_LISTEN=${CONSULTD_LISTEN:-127.0.0.1:8080}
cfg=""
[ -f "$conf" ] && cfg="-c $conf"

# shellcheck disable=SC2086
$bin $cfg migrate

ons=../shared/data/ons
if [ -d "$ons" ] && [ ! -f var/areas-imported ]; then
  echo "run: importing the ONS lookups from $ons"
  # shellcheck disable=SC2086
  $bin $cfg areas import "$ons"/*.csv && touch var/areas-imported
fi

# The demo key is kept in var/demo-token and reused while it still works.
token=""
if [ -f var/demo-token ]; then
  token=$(cat var/demo-token)
  keyhex=$(printf '%s' "$token" | cut -d_ -f2)
  keyid=$(printf '%s' "$keyhex" | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12})$/\1-\2-\3-\4-\5/')
  dburl=${CONSULTD_DATABASE_URL:-$($bin $cfg check-config | sed -n 's/^url = //p' | head -n 1)}
  ok=$(psql -X -tAc "SELECT 1 FROM api_keys WHERE id = '$keyid' AND revoked_at IS NULL" "$dburl" 2>/dev/null || true)
  [ "$ok" = 1 ] || token=""
fi
if [ -z "$token" ]; then
  # shellcheck disable=SC2086
  org=$($bin $cfg org add --name "Demo Council" --kind council)
  # shellcheck disable=SC2086
  token=$($bin $cfg key add --org "$org" --role admin --label demo)
  umask 077
  printf '%s\n' "$token" > var/demo-token
fi

cat <<EOT

  consultd is starting on http://$CONSULTD_LISTEN

  the console:  http://$CONSULTD_LISTEN/console/
  demo organisation key (admin role; also in var/demo-token), for "API key":

    $token

  try:
    curl -s http://$CONSULTD_LISTEN/readyz
    curl -s -H "Authorization: Bearer $token" http://$CONSULTD_LISTEN/v1/vocabularies/topics
    curl -s -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \\
      -d '{"title":"Library opening hours","topics":["libraries"],"communities":["general-public"],
           "areas":["E09000007"],"fieldwork":{"start":"2027-03-01","end":"2027-04-15"}}' \\
      http://$CONSULTD_LISTEN/v1/consultations

EOT
scripts/key-lines.sh "$keymode" ${keyarg:+"$keyarg"}
cat <<EOT

  Ctrl-C stops the daemon. "make stop" stops the private PostgreSQL in ./var/pg,
  which Ctrl-C leaves running, and the daemon too if it still runs.

EOT
# the daemon keeps this shell's process id: make stop (scripts/dev-stop.sh) reads it
echo $$ > var/consultd.pid
# shellcheck disable=SC2086
exec $bin $cfg serve
