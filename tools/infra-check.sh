#!/usr/bin/env bash
# Every offline check of infra/: parse, compile (when a Bicep CLI is on PATH), consistency with
# the code, and the checkov scan against infra/checkov-baseline.json.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-checkov.sh
exec .venv/bin/python -m pytest -q tests/infra "$@"
