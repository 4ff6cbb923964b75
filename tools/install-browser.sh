#!/usr/bin/env bash
# Installs Debian's chromium for the monitor's browser tests (Playwright drives it through
# executable_path; no browser is ever downloaded). Idempotent: does nothing when it is there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-browser: /usr/bin/chromium is missing and this user cannot install it" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know chromium yet (fresh machine).
if ! apt-cache show chromium >/dev/null 2>&1; then
  $SUDO apt-get update -q
fi
if ! $SUDO apt-get install -y -q chromium; then
  # A stale list (package moved to a newer version) fails the install: refresh once, try again.
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium
fi
test -x /usr/bin/chromium
