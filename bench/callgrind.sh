#!/usr/bin/env bash
# User-space instructions per record of one harperrt operation, under callgrind: repeatable
# where wall-clock rates are not (this VM has no hardware counters for `perf stat`).
#
#   bench/callgrind.sh snapshot|puts [BUILD_DIR] [COUNT]
#
# Starts BUILD_DIR/cmd/harperrt (default build-bench, a Release build) under callgrind with
# instrumentation off, puts COUNT (default 20000) retained QoS 1 records through
# harperrt_loadgen (10 publishers, <= 1000 in flight), then measures only:
#   snapshot  one more snapshot of all COUNT records after a warm-up snapshot
#   puts      COUNT more puts over the same keys
# and prints the instructions per record (every thread of the daemon; kernel time is not
# counted). The profile stays in $OUT (default /tmp/harperrt-callgrind.MODE.out) for
# `callgrind_annotate [--inclusive=yes] [--tree=caller] $OUT`.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:?usage: bench/callgrind.sh snapshot|puts [BUILD_DIR] [COUNT]}
build=${2:-build-bench}
count=${3:-20000}
out=${OUT:-/tmp/harperrt-callgrind.$mode.out}
case "$mode" in snapshot | puts) ;; *) echo "mode must be snapshot or puts" >&2; exit 2 ;; esac
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 2; }

dir=$(mktemp -d /tmp/harperrt-callgrind.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/harperrt.yaml" <<EOF
rootPath: $dir/data
threads: 1
mqtt:
  limits: { connectRatePerIp: 0 }
storage: { sync: full }
logging: { level: warn }
tables:
  Bench: { primaryKey: id }
roles:
  bench:
    tables: { Bench: [read, insert, update, delete] }
anonymousRoles: [bench]
EOF
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
  "$build/cmd/harperrt" serve -c "$dir/harperrt.yaml" --ready-file "$dir/ready.json" \
  --set mqtt.network.port=0 --set http.port=0 > "$dir/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$dir/ready.json" ] && break; sleep 0.1; done
[ -s "$dir/ready.json" ] || { cat "$dir/daemon.log" >&2; exit 1; }
port=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['mqtt'])" "$dir/ready.json")
lg=("$build/bench/harperrt_loadgen")
puts=("${lg[@]}" retained --qos 1 --pubs 10 --inflight 1000 --prefix Bench/ --count "$count" --port "$port" --time-limit 600)
snapshot=("${lg[@]}" snapshot --qos 1 --filter 'Bench/#' --count "$count" --port "$port" --time-limit 600)

"${puts[@]}" > /dev/null
[ "$mode" = snapshot ] && "${snapshot[@]}" > /dev/null  # warm-up: the pages are read once
callgrind_control -i on "$pid" > /dev/null
callgrind_control -z "$pid" > /dev/null
if [ "$mode" = snapshot ]; then result=$("${snapshot[@]}"); else result=$("${puts[@]}"); fi
callgrind_control -i off "$pid" > /dev/null
kill -TERM "$pid"
wait "$pid" || true
echo "$result"
# Zeroing makes callgrind's own totals wrong; the sum over functions is right.
# --auto=no: with debug info, annotated source lines would be summed as well.
callgrind_annotate --auto=no --threshold=100 "$out" 2>/dev/null | awk -v n="$count" -v mode="$mode" '
  /file:function/ { go = 1; next }
  go && $1 ~ /^[0-9,]+$/ { gsub(",", "", $1); total += $1 }
  END { printf "{\"mode\":\"%s\",\"records\":%d,\"instructions_per_record\":%.0f}\n", mode, n, total / n }'
