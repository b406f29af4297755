#!/usr/bin/env bash
# Builds tests/webhooks/.venv with the Standard Webhooks reference library (PyPI `standardwebhooks`),
# which the webhook tests (crates/voxanne/tests/it/webhooks) use to verify Voxanne's signatures.
# Without it those checks are skipped outside CI and fail under CI=true.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ] || ! "$here/.venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q "standardwebhooks==1.1.0"
fi
