#!/usr/bin/env bash
# Runs Google's own Python client (PyPI `google-api-python-client` with static discovery, and
# `google-auth`) against a freshly started `voxanne sandbox`: freebusy().query and
# events().insert/get/list/delete, unchanged but for the endpoint.
# Usage: tests/google-sdk/run.sh [path/to/voxanne]   (default: target/debug/voxanne, built if missing)
# Needs python3 (venv + pip); installs the client into tests/google-sdk/.venv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/voxanne}"
[ -x "$bin" ] || (cd "$root" && cargo build -q -p voxanne)

if [ ! -x "$here/.venv/bin/pytest" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q "google-api-python-client==2.202.0" "google-auth==2.63.0" "pytest==8.3.5"
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
echo "Google client tests against $SANDBOX_URL"
"$here/.venv/bin/pytest" -q -p no:cacheprovider "$here"
