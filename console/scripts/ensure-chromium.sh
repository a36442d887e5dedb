#!/usr/bin/env bash
# The browser the e2e tests drive: Debian's chromium (Playwright's own browser downloads are not used), and
# a CJK font so zh-CN pages render (and photograph) as text, not boxes. Installs them with apt-get when they
# are missing and this runs as root (CI, a fresh machine); otherwise says how.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
missing=()
[ -x "$browser" ] || missing+=(chromium)
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  missing+=(fonts-wqy-zenhei)
fi
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (apt-get) for the e2e tests" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
if [ ! -x "$browser" ]; then
  echo "no chromium at $browser: install it (sudo apt-get install -y chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "note: no Chinese font (sudo apt-get install -y fonts-wqy-zenhei); zh-CN screenshots will show boxes" >&2
