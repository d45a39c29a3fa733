#!/bin/sh
# The command lines that add an organisation and give it a partner or
# coordinator key, printed by make run beside the demo key, ready to paste into
# another terminal (make run keeps its own). They name the checkout's binary
# and the database make run serves:
#   scripts/key-lines.sh private URL   make run's private PostgreSQL: CONSULTD_DATABASE_URL=URL on each line
#   scripts/key-lines.sh config FILE   a configured database: -c FILE on each line
#   scripts/key-lines.sh env           CONSULTD_DATABASE_URL from the environment: the lines need it set too
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}; arg=${2:-}

# a word quoted for sh when it needs it
q() {
  case "$1" in
    *[!A-Za-z0-9_./:@%+=,-]*|'') printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
  esac
}

case "$mode" in
  private) [ -n "$arg" ] || { echo "usage: $0 private URL | config FILE | env" >&2; exit 2; }
           pre="CONSULTD_DATABASE_URL=$(q "$arg") "; opt="" ;;
  config)  [ -n "$arg" ] || { echo "usage: $0 private URL | config FILE | env" >&2; exit 2; }
           pre=""; opt=" -c $(q "$arg")" ;;
  env)     pre=""; opt="" ;;
  *)       echo "usage: $0 private URL | config FILE | env" >&2; exit 2 ;;
esac

cat <<EOT
  to give someone a key: in another terminal, paste (with their organisation's name)

    cd $(q "$dir")
    org=\$(${pre}daemon/consultd${opt} org add --name "Their organisation" --kind council)
    ${pre}daemon/consultd${opt} key add --org "\$org" --role partner --label "Their name"

  key add prints the key once (cdk_...): hand it over for "API key". A partner
  posts and manages its organisation's consultations; --role coordinator also
  resolves any overlap and manages alerts. --kind is council, nhs, police,
  housing, vcse or other. Run the key add line again for another key of the
  same organisation (\$org holds its id in that terminal).
EOT
[ "$mode" = env ] && echo "  (the other terminal needs the same CONSULTD_DATABASE_URL as this one)"
exit 0
