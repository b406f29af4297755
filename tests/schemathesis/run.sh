#!/usr/bin/env bash
# Validates the served OpenAPI document with openapi-spec-validator, then runs schemathesis with
# every check (positive data acceptance included: whatever the document allows, the service must
# accept) against a real `voxanne serve` with a fresh database, a fresh master key and one
# organization with an API key and a working Twilio credential (the sandbox's).
#
# Usage: tests/schemathesis/run.sh [path/to/voxanne] [database-url]
#   database-url: unset or sqlite → a SQLite file in a temp dir;
#                 postgres://USER@HOST:PORT/DB → a fresh database created there and dropped after.
#   VOXANNE_SCHEMATHESIS_EXAMPLES (default 60) sets schemathesis' --max-examples per operation.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/voxanne}"
database="${2:-${VOXANNE_SCHEMATHESIS_DATABASE_URL:-sqlite}}"
examples="${VOXANNE_SCHEMATHESIS_EXAMPLES:-60}"
[ -x "$bin" ] || (cd "$root" && cargo build -q -p voxanne)

if [ ! -x "$here/.venv/bin/st" ] || [ ! -x "$here/.venv/bin/openapi-spec-validator" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q "schemathesis==4.*" "openapi-spec-validator==0.7.*"
fi

work="$(mktemp -d)"
pg_drop=""
cleanup() {
  kill ${sandbox_pid:-} ${serve_pid:-} 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "$pg_drop" ]; then psql -q "$database" -c "DROP DATABASE IF EXISTS $pg_drop WITH (FORCE)" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
case "$database" in
  sqlite*) export VOXANNE_DATABASE_URL="sqlite://$work/voxanne.db" ;;
  postgres://*|postgresql://*)
    pg_drop="voxanne_st_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
    psql -q "$database" -c "CREATE DATABASE $pg_drop" >/dev/null
    export VOXANNE_DATABASE_URL="$(python3 -c 'import sys,urllib.parse as p; u=p.urlsplit(sys.argv[1]); print(p.urlunsplit(u._replace(path="/"+sys.argv[2])))' "$database" "$pg_drop")" ;;
  *) echo "database-url must be sqlite or postgres://…, not $database" >&2; exit 2 ;;
esac
echo "schemathesis on ${database%%:*}"
export VOXANNE_MASTER_KEY="$("$bin" keys generate --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
"$bin" migrate >/dev/null
api_key="$("$bin" org create --name "Schemathesis Clinic" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"]["key"])')"

sandbox_log="$work/sandbox.log"; serve_log="$work/serve.log"
"$bin" sandbox --listen 127.0.0.1:0 >"$sandbox_log" 2>&1 &
sandbox_pid=$!
wait_url() { for _ in $(seq 1 150); do u="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$1" | head -1 || true)"; [ -n "$u" ] && { echo "$u"; return; }; sleep 0.1; done; cat "$1" >&2; return 1; }
sandbox_url="$(wait_url "$sandbox_log")"
# Google Calendar configured too: an OAuth client registered at the sandbox's Google stand-in for
# the (unreachable) public URL's callback, so the connect and callback endpoints run for real.
client="$(python3 -c 'import json,sys,urllib.request as u; r=u.urlopen(u.Request(sys.argv[1]+"/sandbox/google/clients", data=json.dumps({"redirect_uris":["http://127.0.0.1:9/oauth/google/callback"]}).encode(), headers={"content-type":"application/json"})); c=json.load(r); print(c["client_id"], c["client_secret"])' "$sandbox_url")"
# Rate limits are the API's own behaviour (tested elsewhere); lifted so the fuzzer reaches the handlers.
export VOXANNE_RATE_LIMIT_PER_SECOND=10000 VOXANNE_RATE_LIMIT_BURST=10000
export VOXANNE_GOOGLE_CLIENT_ID="${client%% *}" VOXANNE_GOOGLE_CLIENT_SECRET="${client##* }"
"$bin" serve --listen 127.0.0.1:0 --twilio-base-url "$sandbox_url" --google-base-url "$sandbox_url" \
  --public-url http://127.0.0.1:9 >"$serve_log" 2>&1 &
serve_pid=$!
url="$(wait_url "$serve_log")"
# A Twilio credential that can send (a sandbox account and number), so schema-valid sends are
# accepted, and the highest sending quota, so thousands of them are too (the quota is tested elsewhere).
python3 "$here/prepare.py" "$url" "$sandbox_url" "$api_key"
cd "$work"  # keeps schemathesis' cache out of the repository
python3 -c 'import sys,urllib.request as u; open("openapi.json","wb").write(u.urlopen(sys.argv[1]).read())' "$url/api/openapi.json"
echo "openapi-spec-validator on $url/api/openapi.json"
"$here/.venv/bin/openapi-spec-validator" --schema 3.1 openapi.json
echo "schemathesis against $url ($examples examples per operation)"
# Times moved into the window a real caller uses (hooks.py says why).
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks
st() {
  "$here/.venv/bin/st" --config-file "$here/schemathesis.toml" run "$url/api/openapi.json" --url "$url" \
    -H "Authorization: Bearer $api_key" --checks all --max-examples "$examples" --seed 1 "$@"
}
# Changing the settings last: a fuzzed PUT may set the sending quota to 1 text a day, after which
# the sends would test nothing but the 429.
st --exclude-method PUT --exclude-path /api/organization/settings
st --include-method PUT --include-path /api/organization/settings
