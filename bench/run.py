#!/usr/bin/python3
"""harperrt vs Mosquitto, side by side in one run (bench/README.md).

Builds harperrt and harperrt_loadgen (scripts/build.sh), then for every scenario runs both
brokers alternately (A/B, B/A, ...) for --rounds rounds: a fresh broker pinned to core 0
(taskset -c 0), the load generator pinned to core 1. Prints medians and the ratio
harperrt / mosquitto for each metric. Exit status is non-zero only when a tool fails
(a broker does not start, the load generator errors or times out), never on ratios.

  bench/run.py [--quick] [--rounds 3] [--only fanin_q1,idle] [--no-build] [--json FILE]
               [--threads N] [--records N]

Opt-in (only with --only): records_10m, harperrt alone (mosquitto would hold 10M retained
messages in memory): --records (default 10 000 000) retained puts, then a snapshot of all
of them, with the broker's RSS at the end of each step.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MOSQUITTO = "/usr/sbin/mosquitto"


def pin(i):
    """taskset to the i-th CPU we may use (core 0 / core 1 on the bench machine), or nothing
    on a machine with fewer than two usable CPUs (a small CI runner)."""
    cpus = sorted(os.sched_getaffinity(0))
    return ["taskset", "-c", str(cpus[i])] if len(cpus) >= 2 else []

# What is changed from each broker's defaults, for every scenario (printed with results).
HARPERRT_BASE = {
    "threads": "1 (one I/O thread)",
    "storage.sync": "full (default)",
    "mqtt.limits.connectRatePerIp": "0 (default 100/s would throttle the 100/10k-connection set-ups; mosquitto has no such limit)",
    "tables": "Bench: { primaryKey: id }",
    "anonymousRoles": "[bench] with read/insert/update/delete on Bench (mosquitto: allow_anonymous true, no ACL)",
}
MOSQUITTO_BASE = [
    "listener PORT 127.0.0.1",
    "allow_anonymous true",
    "persistence true            # as Debian ships it (autosave on shutdown / every 1800 s: not durable per message)",
    "log_dest none",
]

def scenarios(quick, records=10_000_000):
    q = quick
    n_fanin = 2000 if q else 100000
    return [
        # name, loadgen args, mosquitto extra conf lines, [(metric, key, higher_is_better)]
        ("fanin_q1", ["fanin", "--qos", "1", "--pubs", "10", "--inflight", "1000", "--count", str(n_fanin)], [],
         [("delivered msg/s", "rate", True), ("lost", "lost", False)]),
        ("fanin_q2", ["fanin", "--qos", "2", "--pubs", "10", "--inflight", "1000", "--count", str(n_fanin // 2)], [],
         [("delivered msg/s", "rate", True), ("lost", "lost", False)]),
        ("fanin_q0", ["fanin", "--qos", "0", "--pubs", "10", "--inflight", "1000", "--count", str(n_fanin * 2)], [],
         [("broker CPU-s / 1M msgs", "cpu_s_per_million", False), ("delivered msg/s", "rate", True),
          ("lost", "lost", False)]),
        ("fanout_q0", ["fanout", "--qos", "0", "--subs", "10" if q else "100", "--inflight", "100",
                       "--count", "100" if q else "5000"], [],
         [("deliveries/s", "rate", True), ("lost", "lost", False)]),
        # Both processes under SCHED_FIFO (chrt -f 10) when allowed: on a machine shared with
        # builds, CFS time slices (ms) would otherwise be all this scenario measures.
        # Also from the actual send time, and the generator's send lag (its timer wake-up):
        # where a sample's time goes.
        ("latency_q1", ["latency", "--qos", "1", "--rate", "10000", "--count", "1000" if q else "30000"], [],
         [("p50 us", "p50_us", False), ("p99 us", "p99_us", False), ("p99.9 us", "p999_us", False),
          ("p50 us from send", "from_send_p50_us", False), ("send lag p50 us", "send_lag_p50_us", False)],
         {"rt": True}),
        # The same with the generator polling instead of sleeping: each sample then holds
        # the broker's wake-up and work, not the generator's own wake-up as well.
        ("latency_q1_spin", ["latency", "--qos", "1", "--rate", "10000", "--count", "1000" if q else "30000",
                             "--spin", "1"], [],
         [("p50 us", "p50_us", False), ("p99 us", "p99_us", False), ("p99.9 us", "p999_us", False),
          ("p50 us from send", "from_send_p50_us", False), ("send lag p50 us", "send_lag_p50_us", False)],
         {"rt": True, "loadgen_rt": False}),  # a polling process under SCHED_FIFO would starve its core
        # Two measurements on one broker: the puts populate what the snapshot reads.
        ("retained_q1+snapshot",
         [["retained", "--qos", "1", "--pubs", "10", "--inflight", "1000", "--prefix", "Bench/",
           "--count", "1000" if q else "100000"],
          ["snapshot", "--qos", "1", "--filter", "Bench/#", "--count", "1000" if q else "100000"]],
         ["max_queued_messages 0       # unlimited queue, or the snapshot stops at 1000"],
         [("retained puts/s", "0.rate", True), ("snapshot msgs/s", "1.rate", True),
          ("snapshot missing", "1.lost", False)]),
        ("idle", ["idle", "--conns", "200" if q else "10000", "--hold", "1"], [],
         [("KiB per connection", "kib_per_conn", False), ("idle daemon RSS KiB", "idle_rss_kib", False)]),
        ("records_10m",
         [["retained", "--qos", "1", "--pubs", "10", "--inflight", "1000", "--prefix", "Bench/",
           "--count", str(1000 if q else records)],
          ["snapshot", "--qos", "1", "--filter", "Bench/#", "--count", str(1000 if q else records)]],
         [],
         [("retained puts/s", "0.rate", True), ("RSS after puts KiB", "0.broker_rss_kib", False),
          ("snapshot msgs/s", "1.rate", True), ("RSS after snapshot KiB", "1.broker_rss_kib", False),
          ("snapshot missing", "1.lost", False)],
         {"opt_in": True, "only": "harperrt", "time_limit": 7200}),
    ]


def rt_prefix():
    ok = subprocess.run(["chrt", "-f", "10", "true"], capture_output=True).returncode == 0
    return ["chrt", "-f", "10"] if ok else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Broker:
    def __init__(self, kind, build_dir, extra_conf, prefix=(), threads=1):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"harperrt-bench-{kind}-")
        self.proc = None
        if kind == "harperrt":
            cfg = os.path.join(self.dir, "harperrt.yaml")
            with open(cfg, "w") as f:
                f.write(f"rootPath: {self.dir}/data\nthreads: {threads}\n"
                        "mqtt:\n  limits: { connectRatePerIp: 0 }\n"
                        "storage: { sync: full }\nlogging: { level: warn }\n"
                        "tables:\n  Bench: { primaryKey: id }\n"
                        "roles:\n  bench:\n    tables: { Bench: [read, insert, update, delete] }\n"
                        "anonymousRoles: [bench]\n")
            ready = os.path.join(self.dir, "ready.json")
            self.log = open(os.path.join(self.dir, "daemon.log"), "w")
            self.proc = subprocess.Popen(
                [*prefix, *pin(0), os.path.join(build_dir, "cmd", "harperrt"), "serve", "-c", cfg,
                 "--ready-file", ready, "--set", "mqtt.network.port=0", "--set", "http.port=0"],
                stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 30
            while not os.path.exists(ready):
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("harperrt did not start:\n" + open(self.log.name).read()[-2000:])
                time.sleep(0.02)
            time.sleep(0.05)
            info = json.load(open(ready))
            self.port, self.pid = info["mqtt"], self.proc.pid
        else:
            self.port = free_port()
            conf = os.path.join(self.dir, "mosquitto.conf")
            lines = [l.replace("PORT", str(self.port)).split("#")[0].rstrip() for l in MOSQUITTO_BASE + extra_conf]
            lines = [l.replace("persistence true", f"persistence true\npersistence_location {self.dir}/") for l in lines]
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            self.log = open(os.path.join(self.dir, "mosquitto.log"), "w")
            self.proc = subprocess.Popen([*prefix, *pin(0), MOSQUITTO, "-c", conf],
                                         stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while True:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("mosquitto did not start:\n" + open(self.log.name).read()[-2000:])
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.02)
            self.pid = self.proc.pid
        time.sleep(0.5)  # settle before the idle RSS sample
        self.idle_rss = rss_kib(self.pid)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not os.environ.get("HARPERRT_KEEP_BENCH_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


def run_loadgen(build_dir, broker, args, time_limit, prefix=()):
    cmd = [*prefix, *pin(1), os.path.join(build_dir, "bench", "harperrt_loadgen")] + args + [
        "--port", str(broker.port), "--pid", str(broker.pid), "--time-limit", str(time_limit)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=time_limit + 60)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"  loadgen hung ({broker.kind}, {' '.join(args)})\n")
        return {}, False
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "{}"
    try:
        res = json.loads(line)
    except ValueError:
        res = {}
    ok = p.returncode == 0 and bool(res)
    if not ok:
        sys.stderr.write(f"  loadgen failed ({broker.kind}, {' '.join(args)}): rc={p.returncode}\n{p.stderr[-2000:]}\n")
    return res, ok


def pick(results, key):
    if "." in key:
        i, k = key.split(".", 1)
        return results[int(i)].get(k)
    return results[0].get(key)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke pass: tiny counts, one round (CI)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per scenario (default 3, quick 1)")
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--build-dir", default=os.environ.get("HARPERRT_BUILD_DIR", os.path.join(ROOT, "build-bench")))
    ap.add_argument("--json", default="", help="also write every raw result to this file")
    ap.add_argument("--threads", type=int, default=1, help="harperrt I/O threads (default 1)")
    ap.add_argument("--records", type=int, default=10_000_000, help="records of the opt-in records_10m scenario")
    ap.add_argument("--mqtt", choices=["311", "5"], default="311", help="protocol version of every client (default 3.1.1)")
    a = ap.parse_args()
    rounds = a.rounds or (1 if a.quick else 3)
    time_limit = 30 if a.quick else 120
    build_dir = os.path.abspath(a.build_dir)

    if not a.no_build:
        for target in ("harperrt", "harperrt_loadgen"):
            env = dict(os.environ, HARPERRT_BUILD_DIR=build_dir, HARPERRT_TARGET=target)
            subprocess.run(["bash", os.path.join(ROOT, "scripts", "build.sh")], env=env, check=True,
                           stdout=subprocess.DEVNULL)
    if not os.path.exists(MOSQUITTO):
        sys.exit(f"{MOSQUITTO} is missing (scripts/install-deps.sh installs it)")

    failed = False
    rows, raw = [], []
    for name, lg_args, mq_extra, metrics, *rest in scenarios(a.quick, a.records):
        opts = rest[0] if rest else {}
        prefix = rt_prefix() if opts.get("rt") else []
        lg_prefix = prefix if opts.get("loadgen_rt", True) else []
        if a.only and name not in a.only.split(","):
            continue
        if opts.get("opt_in") and name not in a.only.split(","):
            continue
        steps = lg_args if isinstance(lg_args[0], list) else [lg_args]
        per = {"harperrt": [], "mosquitto": []}
        for r in range(rounds):
            order = ["harperrt", "mosquitto"] if r % 2 == 0 else ["mosquitto", "harperrt"]
            if opts.get("only"):
                order = [opts["only"]]
            for kind in order:
                try:
                    b = Broker(kind, build_dir, mq_extra, prefix, a.threads)
                except RuntimeError as e:
                    sys.stderr.write(str(e) + "\n")
                    failed = True
                    continue
                try:
                    results = []
                    for step in steps:
                        res, ok = run_loadgen(build_dir, b, step + ["--mqtt", a.mqtt], opts.get("time_limit", time_limit),
                                              lg_prefix)
                        failed |= not ok
                        results.append(res)
                    results[0]["idle_rss_kib"] = b.idle_rss
                    per[kind].append(results)
                    raw.append({"scenario": name, "broker": kind, "round": r, "results": results})
                    print(f"  {name:22} round {r + 1} {kind:9}: " + " ".join(
                        f"{m}={pick(results, k)}" for m, k, _ in metrics), file=sys.stderr, flush=True)
                finally:
                    b.stop()
        for metric, key, higher in metrics:
            med = {}
            for kind in per:
                vals = [pick(res, key) for res in per[kind]]
                vals = [v for v in vals if v is not None]
                med[kind] = statistics.median(vals) if vals else None
            h, mq = med["harperrt"], med["mosquitto"]
            ratio = (h / mq) if (h is not None and mq) else None
            rows.append((name, metric, h, mq, ratio, "higher" if higher else "lower"))

    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:,.0f}"
        return f"{v:,}"

    print(f"\nharperrt vs mosquitto: median of {rounds}, broker on core 0, loadgen on core 1, 100-byte payloads,"
          f" MQTT {'3.1.1' if a.mqtt == '311' else '5.0'}")
    print(f"{'scenario':22} {'metric':24} {'harperrt':>12} {'mosquitto':>12} {'ratio h/m':>10}  better")
    for name, metric, h, mq, ratio, better in rows:
        print(f"{name:22} {metric:24} {fmt(h):>12} {fmt(mq):>12} {fmt(ratio):>10}  {better}")
    settings = dict(HARPERRT_BASE, threads=f"{a.threads} ({'one I/O thread' if a.threads == 1 else 'I/O threads'})")
    print("\nharperrt settings:", "; ".join(f"{k}: {v}" for k, v in settings.items()))
    print("mosquitto settings (mosquitto 2.0 defaults otherwise: max_inflight_messages 20, max_queued_messages 1000):")
    for l in MOSQUITTO_BASE:
        print("   ", l)
    print("    retained_q1+snapshot only: max_queued_messages 0")
    print("latency_q1, latency_q1_spin: broker and loadgen under SCHED_FIFO (chrt -f 10) where permitted;"
          " latency_q1_spin: the loadgen polls instead of sleeping (its own wake-up not in the samples)"
          " and runs at normal priority")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "raw": raw}, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
