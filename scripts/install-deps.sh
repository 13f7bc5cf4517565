#!/usr/bin/env bash
# Installs every Debian 12 package harperrt needs to build, test and benchmark.
# Idempotent and silent when everything is already there. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries
  libboost-dev libssl-dev libsqlite3-dev libcli11-dev nlohmann-json3-dev
  libcbor-dev libmsgpack-cxx-dev libyaml-cpp-dev libfmt-dev libgtest-dev libgmock-dev
  # third-party peers used by tests and benchmarks
  mosquitto mosquitto-clients python3 python3-paho-mqtt groff-base curl
  openssl procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# Node.js (MQTT.js over WebSocket in tests) may come from elsewhere than Debian on a
# machine (its nodejs then conflicts with Debian's npm): add Debian's only if absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian mosquitto package starts a system broker on port 1883; harperrt's defaults
# use that port too, so keep the packaged service stopped (tests start their own).
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || true; fi
if [ -x /etc/init.d/mosquitto ]; then $sudo /etc/init.d/mosquitto stop >/dev/null 2>&1 || true; fi
