#!/usr/bin/env bash
# Installs what is missing, builds harperrt and runs `harperrt serve` on its defaults
# (MQTT on 127.0.0.1:1883, HTTP on 127.0.0.1:9926, data in ./data). Arguments go to serve.
set -euo pipefail
cd "$(dirname "$0")/.."

HARPERRT_TARGET=harperrt bash scripts/build.sh >/dev/null
exec "./${HARPERRT_BUILD_DIR:-build}/cmd/harperrt" serve "$@"
