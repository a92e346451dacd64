#!/usr/bin/env bash
# Debian's chromium for the browser tests (tests/report/test_report_in_a_browser.py, the web
# page's tests/ui/), driven by Playwright for Python; `playwright install` is never run (it downloads).
# Idempotent: does nothing when chromium is already there; needs root to install.
set -euo pipefail
STATE=${1:-build/state}
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "[scripts/browser.sh] no chromium and not root: the browser test will be skipped" >&2
  exit 0
fi
echo "[scripts/browser.sh] installing chromium (~1 min; log: $STATE/chromium.log)" >&2
mkdir -p "$STATE"
{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }; } \
  >"$STATE/chromium.log" 2>&1
