#!/usr/bin/env python3
"""Live queries on the write path (DESIGN.md §5): the retained-put rate of harperrt with no
query subscriptions and with N live queries on the same table, in the same run.

Each round starts a fresh daemon (bench/run.py's harperrt set-up: one I/O thread, sync full,
pinned to core 0), subscribes N queries from one MQTT 5 client (python3-paho-mqtt, core 1),
then runs the load generator's `retained` scenario (10 publishers, QoS 1, <= 1000 in flight,
100-byte JSON maps {"n": K, "pad": ...} to Bench/0 .. Bench/COUNT-1, core 1). Query i is
`Bench/?n=ge=A&n=lt=B` over its own slice of the keys, so every put is evaluated against
all N queries and each query matches --match puts (delivered live, counted). Rounds
alternate the order (0, N), (N, 0), ...; the result is the median of each and the ratio.
The issue's target: with 1,000 queries the put rate stays within 2x of the rate without.

Usage: bench/queries.py [--queries 1000] [--count 100000] [--rounds 3] [--match 1]
                        [--build-dir build-bench] [--no-build] [--quick]
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: Broker, run_loadgen, pin)

SUBSCRIBER = r"""
import sys, threading, time
import paho.mqtt.client as mqtt
port, n, count, match = (int(a) for a in sys.argv[1:5])
step = max(count // max(n, 1), 1)
acked = threading.Event()
pending = set()
got = [0]
lock = threading.Lock()
def on_subscribe(c, u, mid, rcs, props=None):
    with lock:
        pending.discard(mid)
        if not pending: acked.set()
def on_message(c, u, msg):
    got[0] += 1
c = mqtt.Client(client_id="bench-queries", protocol=mqtt.MQTTv5)
c.on_subscribe = on_subscribe
c.on_message = on_message
c.connect("127.0.0.1", port, keepalive=600)
c.loop_start()
with lock:
    for i in range(n):
        lo = i * step
        pending.add(c.subscribe(f"Bench/?n=ge={lo}&n=lt={lo + match}", qos=0)[1])
assert acked.wait(120), "SUBACKs missing"
print("ready", flush=True)
sys.stdin.read()  # until the bench closes our stdin (all puts acknowledged)
expected = min(n * match, count)
deadline = time.time() + 10  # deliveries may trail the last acks by a little
while got[0] < expected and time.time() < deadline:
    time.sleep(0.01)
print(got[0], flush=True)
c.disconnect(); c.loop_stop()
"""


def one_run(build_dir, queries, count, match, time_limit):
    broker = run.Broker("harperrt", build_dir, [])
    sub = None
    try:
        if queries:
            sub = subprocess.Popen([*run.pin(1), "/usr/bin/python3", "-c", SUBSCRIBER, str(broker.port), str(queries),
                                    str(count), str(match)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            line = sub.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"query subscriber did not start: {line!r}")
        res, ok = run.run_loadgen(build_dir, broker, ["retained", "--qos", "1", "--pubs", "10", "--inflight", "1000",
                                                      "--prefix", "Bench/", "--count", str(count)], time_limit)
        if not ok:
            raise RuntimeError("loadgen failed")
        delivered = 0
        if sub:
            sub.stdin.close()
            delivered = int(sub.stdout.readline().strip() or 0)
            sub.wait(timeout=30)
        return res["rate"], delivered, res.get("broker_cpu_s")
    finally:
        if sub and sub.poll() is None:
            sub.kill()
        broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--match", type=int, default=1, help="puts each query matches")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--build-dir", default=os.environ.get("HARPERRT_BUILD_DIR", "build-bench"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smoke pass: 100 queries, 2000 puts, 1 round")
    a = ap.parse_args()
    if a.quick:
        a.queries, a.count, a.rounds = 100, 2000, 1
    build_dir = os.path.join(run.ROOT, a.build_dir) if not os.path.isabs(a.build_dir) else a.build_dir
    if not a.no_build:
        env = dict(os.environ, HARPERRT_BUILD_DIR=build_dir, HARPERRT_TARGET="harperrt_loadgen")
        subprocess.run(["bash", os.path.join(run.ROOT, "scripts", "build.sh")], check=True, env=env)
        env["HARPERRT_TARGET"] = "harperrt"
        subprocess.run(["bash", os.path.join(run.ROOT, "scripts", "build.sh")], check=True, env=env)

    rates = {0: [], a.queries: []}
    delivered = []
    for r in range(a.rounds):
        order = [0, a.queries] if r % 2 == 0 else [a.queries, 0]
        for q in order:
            rate, got, cpu = one_run(build_dir, q, a.count, a.match, 120)
            rates[q].append(rate)
            if q:
                delivered.append(got)
            print(f"  round {r + 1}: {q:5d} queries: {rate:10.0f} puts/s" + (f", {got} deliveries" if q else ""),
                  flush=True)
    base, with_q = statistics.median(rates[0]), statistics.median(rates[a.queries])
    print(f"\nretained QoS 1 puts, {a.count} keys, medians of {a.rounds}:")
    print(f"  no queries:          {base:10.0f} puts/s")
    print(f"  {a.queries:5d} live queries: {with_q:10.0f} puts/s  (ratio {with_q / base:.2f}; "
          f"target >= 0.50), deliveries {statistics.median(delivered):.0f} of {min(a.queries * a.match, a.count)}")


if __name__ == "__main__":
    main()
