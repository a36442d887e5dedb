#!/usr/bin/env bash
# The browser the e2e tests drive: Debian's chromium (Playwright's own browser downloads are not used).
# Installs it with apt-get when it is missing and this runs as root (CI, a fresh machine); otherwise says how.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium (apt-get) for the e2e tests" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "no chromium at $browser: install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH" >&2
exit 1
