#!/usr/bin/env bash
# The dashboard's browser tests: headless Debian chromium driven by playwright-core.
# Called by .ci/run. Installs chromium with apt-get if it is missing; never downloads a browser through npm.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi

PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
(cd ../.. && cargo build --quiet -p hookseal-cli --bin hookseal)
node --test --test-concurrency=1 dashboard.test.mjs
