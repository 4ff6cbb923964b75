#!/usr/bin/env bash
# Every offline check of infra/ (`make infra-check` runs this; `make test` runs the same
# tests/infra as part of the suite):
#   1. tests/infra: every template parses (pycep-parser), the parameter files fit main.bicep,
#      infra agrees with the code (settings, triggers, subscriptions, containers, tables, roles),
#      and checkov finds nothing outside infra/checkov-baseline.json. With a Bicep CLI on PATH,
#      each template also compiles and each .bicepparam builds. CI=true, so a missing checkov
#      environment fails here instead of skipping.
#   2. bicep lint on every template, when a Bicep CLI is on PATH (`bicep` or `az bicep`). No
#      package registry reachable here ships it (a .NET binary fetched from GitHub), so without
#      one this step says so and the parse in step 1 stands in for it.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup-checkov.sh
CI=true .venv/bin/python -m pytest -q tests/infra "$@"

templates=(infra/main.bicep infra/modules/*.bicep)
if command -v bicep >/dev/null 2>&1; then
  for template in "${templates[@]}"; do bicep lint "$template"; done
elif command -v az >/dev/null 2>&1 && az bicep version >/dev/null 2>&1; then
  for template in "${templates[@]}"; do az bicep lint --file "$template"; done
else
  echo "infra-check: no Bicep CLI on PATH; bicep lint skipped (templates were parsed above)"
fi
