#!/usr/bin/env bash
# Create .venv-checkov: checkov in its own virtual environment, because it pins an older
# pycep-parser than the one tests/infra parses the templates with (.venv).
#   tools/setup-checkov.sh            # idempotent: does nothing when the pinned version is there
#   CHECKOV_VENV=/path tools/setup-checkov.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3.11}"
VENV="${CHECKOV_VENV:-.venv-checkov}"
VERSION="3.3.30"

if [ -x "$VENV/bin/checkov" ] && [ "$("$VENV/bin/checkov" --version 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
test -x "$VENV/bin/python" || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "checkov==$VERSION"
"$VENV/bin/checkov" --version
