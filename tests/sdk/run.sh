#!/usr/bin/env bash
# Runs the official Twilio SDKs (PyPI `twilio`, npm `twilio`) against a freshly started `voxanne sandbox`.
# Usage: tests/sdk/run.sh [path/to/voxanne]   (default: target/debug/voxanne, built if missing)
# Needs python3 (venv + pip) and node/npm; installs the SDKs into tests/sdk/.venv and tests/sdk/node/node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/voxanne}"
[ -x "$bin" ] || (cd "$root" && cargo build -q -p voxanne)

if [ ! -x "$here/.venv/bin/pytest" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q "twilio==9.13.0" "pytest==8.3.5"
fi
if [ ! -d "$here/node/node_modules/twilio" ]; then
  (cd "$here/node" && npm install --no-audit --no-fund --no-package-lock --silent)
fi

log="$(mktemp)"
"$bin" sandbox --listen 127.0.0.1:0 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "sandbox did not start:"; cat "$log"; exit 1; }
export SANDBOX_URL="$url"
echo "SDK tests against $SANDBOX_URL"
"$here/.venv/bin/pytest" -q "$here/python"
(cd "$here/node" && node --test sdk.test.mjs)
