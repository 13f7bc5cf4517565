#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with ASan+UBSan (in build-asan/),
# runs every unit and integration test with ctest. Extra arguments go to ctest (e.g.
# `-L unit`, `-R Mqtt`). Same environment as scripts/build.sh, plus:
#   HARPERRT_SANITIZE     default address,undefined; `thread` for TSan (build-tsan/), empty
#                         for a plain build (build/)
#   HARPERRT_TEST_THREADS run every test daemon with that many io_context threads
#   HARPERRT_TEST_JOBS    parallel tests (default: HARPERRT_JOBS, else nproc)
# Any sanitizer report fails the run: ASan/UBSan abort the process; TSan reports (from the
# tests or from any daemon or CLI they start) are collected and printed, and fail the run.
set -euo pipefail
cd "$(dirname "$0")/.."

export HARPERRT_SANITIZE=${HARPERRT_SANITIZE-address,undefined}
case "$HARPERRT_SANITIZE" in
  "") default_dir=build ;;
  thread) default_dir=build-tsan ;;
  *) default_dir=build-asan ;;
esac
export HARPERRT_BUILD_DIR=${HARPERRT_BUILD_DIR:-$default_dir}
build_dir=$HARPERRT_BUILD_DIR

bash scripts/build.sh
# MQTT.js (npm) for the WebSocket tests, pinned by package-lock.json.
if [ ! -d tests/integration/js/node_modules/mqtt ]; then
  npm ci --prefix tests/integration/js --no-audit --no-fund --silent >/dev/null
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
tsan_dir=""
if [ "$HARPERRT_SANITIZE" = thread ]; then
  # Every process (test binaries, daemons, CLIs) writes its reports to tsan_dir/tsan.PID.
  case "$build_dir" in /*) tsan_dir="$build_dir/tsan-reports" ;; *) tsan_dir="$PWD/$build_dir/tsan-reports" ;; esac
  rm -rf "$tsan_dir" && mkdir -p "$tsan_dir"
  export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$PWD/tests/tsan.supp:log_path=$tsan_dir/tsan:second_deadlock_stack=1:history_size=4}
fi

status=0
ctest --test-dir "$build_dir" -j"${HARPERRT_TEST_JOBS:-${HARPERRT_JOBS:-$(nproc)}}" --output-on-failure --timeout 300 "$@" || status=$?
if [ -n "$tsan_dir" ] && [ -n "$(ls -A "$tsan_dir")" ]; then
  echo "!! ThreadSanitizer reports ($(ls "$tsan_dir" | wc -l) processes):" >&2
  cat "$tsan_dir"/* >&2
  status=1
fi
exit "$status"
