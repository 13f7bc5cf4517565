#!/usr/bin/env bash
# Builds the codec fuzzers with clang (libFuzzer + ASan + UBSan) in build-fuzz/ and runs each
# for SECONDS (default 60). Exits non-zero on any crash, sanitizer report or failed check;
# the reproducer is left in build-fuzz/artifacts/. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHARPERRT_BUILD_FUZZERS=ON -DHARPERRT_BUILD_TESTS=OFF -DHARPERRT_WERROR=ON \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j2 --target fuzz_frame fuzz_decode

mkdir -p "$build/artifacts"
status=0
for fuzzer in fuzz_frame fuzz_decode; do
  # New inputs go to the scratch corpus (first directory); the committed seeds stay as they are.
  work="$build/corpus/$fuzzer"
  mkdir -p "$work"
  echo "== $fuzzer for ${seconds}s"
  if ! "$build/tests/fuzz/$fuzzer" "$work" "$root/tests/fuzz/corpus/$fuzzer" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$fuzzer-"; then
    echo "!! $fuzzer failed; reproducer in $build/artifacts/" >&2
    status=1
  fi
done
exit "$status"
