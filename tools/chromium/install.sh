#!/usr/bin/env bash
# Prints the path of the Chromium the browser tests drive (Playwright with `executablePath`), installing
# Debian's `chromium` package first when it is missing. SPIRE_MGMT_CHROMIUM names another Chromium instead.
#
# usage: tools/chromium/install.sh
#
# Facts this relies on (tried on these machines, December 2026):
# - Playwright cannot download its own browsers here (only package registries are reachable); Debian's chromium
#   (156) works with @playwright/test 1.64 through `launchOptions.executablePath`.
# - Installing needs root (or password-less sudo) and Debian's package archive; about 1 minute, 100 MB.
set -euo pipefail

if [[ -n "${SPIRE_MGMT_CHROMIUM:-}" ]]; then
  [[ -x "$SPIRE_MGMT_CHROMIUM" ]] || { echo "$0: SPIRE_MGMT_CHROMIUM=$SPIRE_MGMT_CHROMIUM is not executable" >&2; exit 1; }
  echo "$SPIRE_MGMT_CHROMIUM"
  exit 0
fi
binary=/usr/bin/chromium
if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

if [[ "$(id -u)" == 0 ]]; then
  as_root=()
elif sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "$0: Chromium is missing and installing it needs root: run 'apt-get install chromium' as root, or set SPIRE_MGMT_CHROMIUM" >&2
  exit 1
fi
command -v apt-get >/dev/null || { echo "$0: Chromium is missing and there is no apt-get to install Debian's chromium; set SPIRE_MGMT_CHROMIUM" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
{
  # The package lists of a fresh machine may be missing or stale: read them again once if the install fails.
  "${as_root[@]}" apt-get install -y -q chromium ||
    { "${as_root[@]}" apt-get update -q && "${as_root[@]}" apt-get install -y -q chromium; }
} >&2
[[ -x "$binary" ]] || { echo "$0: apt-get installed chromium but $binary is missing" >&2; exit 1; }
echo "$binary"
