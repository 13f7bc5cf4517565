#!/usr/bin/env bash
# Installs what is missing (scripts/install-deps.sh), then configures and builds harperrt.
# Environment: HARPERRT_BUILD_DIR (default build), HARPERRT_WERROR (ON|OFF, default OFF),
# HARPERRT_SANITIZE (e.g. address,undefined), HARPERRT_JOBS (default: nproc),
# HARPERRT_TARGET (default: all).
set -euo pipefail
# Objects are the same whatever the build directory: let ccache share them between
# build, build-asan and the developers' own build dirs (-g would otherwise hash the dir).
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}  # and between checkouts at different paths

bash scripts/install-deps.sh
build_dir=${HARPERRT_BUILD_DIR:-build}
jobs=${HARPERRT_JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja \
  -DHARPERRT_WERROR="${HARPERRT_WERROR:-OFF}" \
  -DHARPERRT_SANITIZE="${HARPERRT_SANITIZE:-}" >/dev/null
cmake --build "$build_dir" -j"$jobs" ${HARPERRT_TARGET:+--target "$HARPERRT_TARGET"}
