#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every unit and integration
# test with ctest. Extra arguments go to ctest (e.g. `-L unit`, `-R Mqtt`).
# Same environment as scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build.sh
# MQTT.js (npm) for the WebSocket tests, pinned by package-lock.json.
if [ ! -d tests/integration/js/node_modules/mqtt ]; then
  npm ci --prefix tests/integration/js --no-audit --no-fund --silent >/dev/null
fi
build_dir=${HARPERRT_BUILD_DIR:-build}
ctest --test-dir "$build_dir" -j"${HARPERRT_JOBS:-$(nproc)}" --output-on-failure --timeout 300 "$@"
