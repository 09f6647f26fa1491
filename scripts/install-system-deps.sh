#!/usr/bin/env bash
# Installs the system packages the sandbox, browser and page-script tests need (bubblewrap,
# chromium, nodejs).
# Acts only when something is missing AND we are root; otherwise it does nothing, quietly.
# Idempotent: a second run finds everything present and returns at once.
set -euo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# tests/web runs the page's JavaScript modules under node.
command -v node >/dev/null 2>&1 || missing+=(nodejs)

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=300 >/dev/null
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}" >/dev/null
