#!/bin/sh
# Refreshes the third-party code the browser tests load, from the npm registry.
#   scripts/vendor.sh AXE_VERSION        (make vendor AXE_VERSION=4.11.0)
# Writes tests/browser/vendor/axe-core@VERSION/ (the minified build and its
# licence) and the MANIFEST line with its SHA-256; review the diff, then
# commit. The console itself uses no third-party code.
set -eu
cd "$(dirname "$0")/.."
v=${1:?usage: scripts/vendor.sh AXE_VERSION}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "axe-core@$v" >/dev/null && tar xzf axe-core-*.tgz)
dir=tests/browser/vendor/axe-core@$v
rm -rf tests/browser/vendor/axe-core@*
mkdir -p "$dir"
cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$dir/"
sha=$(sha256sum "$dir/axe.min.js" | cut -d' ' -f1)
cat > tests/browser/vendor/MANIFEST <<MANIFEST
# Third-party code the browser tests load (never the console itself).
# package       version   licence    file                              sha256
axe-core        $v    MPL-2.0    axe-core@$v/axe.min.js        $sha
# Refresh with: make vendor AXE_VERSION=x.y.z   (npm pack from the npm registry; review the diff)
MANIFEST
echo "vendor: axe-core $v in $dir"
