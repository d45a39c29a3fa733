#!/bin/sh
# Checks daemon/README.md, the map of the daemon, against daemon/ itself:
#  - every daemon/*.c and daemon/*.h is named in the map (as `file.c`);
#  - every file.c / file.h the map names exists (renames are written without
#    an extension, so they are not taken for files);
#  - every header of the "Pure modules" and "fmt_" sections says "pure" in its
#    first comment.
# Prints each failure and "map: N passed, N failed"; exits 1 on any failure.
set -u
cd "$(dirname "$0")/.."
map=daemon/README.md
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL map: $*"; }

[ -f "$map" ] || { echo "FAIL map: $map is missing"; echo "map: 0 passed, 1 failed"; exit 1; }
named=$(grep -oE '`[A-Za-z0-9_]+\.[ch]`' "$map" | tr -d '`' | sort -u)

for f in daemon/*.c daemon/*.h; do
  b=${f#daemon/}
  if printf '%s\n' "$named" | grep -qxF "$b"; then ok; else bad "$b is not placed in $map"; fi
done
for b in $named; do
  if [ -f "daemon/$b" ]; then ok; else bad "$map names $b, which is not in daemon/"; fi
done

# The headers of the pure sections: from their heading to the next one.
pure=$(awk '/^### /{on = ($0 ~ /^### (`fmt_`|Pure modules)/)} on' "$map" | grep -oE '`[A-Za-z0-9_]+\.h`' | tr -d '`' | sort -u)
for h in $pure; do
  [ -f "daemon/$h" ] || continue
  if awk '{print} /\*\//{exit}' "daemon/$h" | grep -qi 'pure'; then ok; else
    bad "$h is listed as pure but its first comment does not say so"; fi
done

echo "map: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
