#!/usr/bin/env bash
# The console's browser test (tests/integration/console.rs) drives Debian's Chromium with
# playwright-core: this installs the browser when /usr/bin/chromium is missing (idempotent:
# nothing to do once it is there). Playwright's own browser download is never used.
# Fonts: Liberation and DejaVu for Latin text, Noto CJK so Chinese payloads (the group
# manager's) render as text rather than boxes in the screenshots.
set -euo pipefail
chromium="${HOOKWELL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  exit 0
fi
packages=(chromium fonts-liberation fonts-dejavu-core fonts-noto-cjk)
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  cat >&2 <<MSG
infra/browser.sh: $chromium is missing and installing it needs root (apt-get).
Run as root:   apt-get update && apt-get install -y --no-install-recommends ${packages[*]}
or point HOOKWELL_CHROMIUM at a Chromium or Chrome binary you have.
MSG
  exit 1
fi
echo "infra/browser.sh: installing ${packages[*]} (Debian packages)" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
"$chromium" --version >&2
