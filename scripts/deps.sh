#!/usr/bin/env bash
# Installs what Kizuna needs to build and test, only when it is missing.
# Debian packages with apt-get (run as root); usage: scripts/deps.sh [build|test]
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-build}
# One at a time: `make -j` may start this twice (deps and the web build); the second run
# waits, then finds everything installed.
mkdir -p build
exec 9>build/.deps.lock
command -v flock >/dev/null 2>&1 && flock 9
pkgs=(pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libcsv-dev zlib1g-dev libcurl4-openssl-dev)
[ "$what" = test ] && pkgs+=(libcriterion-dev sqlite3 chromium fonts-ipafont-gothic python3-aiosmtpd openssl)
# The web app is built with Node.js (Debian's is enough when none is installed).
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The web app's packages (Preact, Vite, ECharts, and playwright-core for the browser tests,
# which drive Debian's chromium: no browser is downloaded), from web/package-lock.json.
if [ -f web/package-lock.json ]; then
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    echo "deps: npm ci (web)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# npm packages for the tests (the real Segment and RudderStack clients), from the lockfile.
if [ "$what" = test ] && [ -f package-lock.json ]; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "deps: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
