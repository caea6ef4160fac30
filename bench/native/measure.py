#!/usr/bin/env python3
"""JIT vs native (AOT) gop, side by side, on loopback: driven by bench/native/measure.sh (which builds the binaries).

Figures (p50 over --runs, runs interleaved so a busy machine slows each variant alike):
  version     wall time of `gop --version`
  startup     exec to the gRPC port accepting a TCP connection (`gop serve`, the repository's keysets.json)
  client      wall time of `gop client GetBundle` (and the Python gop-client.py, when given) against one running
              server (the native one, so only the client differs)
  rss         server VmRSS / VmHWM after --launches launches by the load test (bench/GuestOwnerProxy.LoadTest
              --server), per GC setting (DOTNET_gcServer / DOTNET_gcConcurrent)
Prints a table and writes the figures as JSON (--out). Every process is bounded by a timeout and killed at the end.
"""
import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# The development roots (config/dev), as appsettings.Development.json trusts them; the native publish output has
# no Development settings file, so both variants get the same trust on the command line.
DEV_TRUST = [
    "--GuestOwnerProxy:Trust:RootFiles:0=config/dev/csv/hrk.cert",
    "--GuestOwnerProxy:Trust:RootFiles:1=config/dev/sev/ark.cert",
    "--GuestOwnerProxy:Trust:ExtraRootFingerprints:0=0d02e70d089b8896e7652187a5d95b2201bdf0608ecf5d72f37faebea5616834",
    "--GuestOwnerProxy:Trust:ExtraRootFingerprints:1=2c9134255388b6a80489dc44575c6cf6c705b774163a0c45fcbeaebd9acabce1",
    "--GuestOwnerProxy:Trust:IntermediateFiles:0=config/dev/csv/hsk_cek.cert",
    "--GuestOwnerProxy:Trust:IntermediateFiles:1=config/dev/sev/ask.cert",
]

# GC settings compared for the server's memory (environment variables the .NET runtime and the native runtime both read).
GC_SETTINGS = {
    "server GC": {"DOTNET_gcServer": "1"},
    "workstation GC": {"DOTNET_gcServer": "0"},
    "workstation, non-concurrent": {"DOTNET_gcServer": "0", "DOTNET_gcConcurrent": "0"},
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms, cpu=None):
    figures = {"p50_ms": round(percentile(ms, 50), 2), "p90_ms": round(percentile(ms, 90), 2),
               "min_ms": round(min(ms), 2), "runs": len(ms)}
    if cpu:
        # user + system CPU of the process: what a busy machine's run queue does not inflate.
        figures["cpu_p50_ms"] = round(percentile(cpu, 50), 2)
    return figures


def timed(cmd, cwd, timeout=30):
    """Wall time and CPU time (user + system, from wait4) of one run; raises on a non-zero exit or a timeout."""
    start = time.perf_counter_ns()
    process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    elapsed = (time.perf_counter_ns() - start) / 1e6
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {process.returncode}: {stderr.decode(errors='replace').strip()[:400]}")
    return elapsed, stdout


def children_cpu_ms():
    """User + system CPU of every reaped child so far, in ms (the difference around one run is that run's)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def timed_cpu(cmd, cwd, timeout=30):
    before = children_cpu_ms()
    elapsed, stdout = timed(cmd, cwd, timeout)
    return elapsed, children_cpu_ms() - before, stdout


class Server:
    """`gop serve` on a free loopback port, in the repository root; the time from exec to the port accepting."""

    def __init__(self, gop, repo, work, env_extra=None, timeout=30):
        self.port = free_port()
        self.audit = os.path.join(work, f"audit-{self.port}.jsonl")
        env = dict(os.environ, ASPNETCORE_ENVIRONMENT="Production", DOTNET_ENVIRONMENT="Production", **(env_extra or {}))
        cmd = [gop, "serve", "-p", str(self.port), "-c", "keysets.json", "-k", "keys.json",
               "--GuestOwnerProxy:ListenAddress=127.0.0.1", f"--GuestOwnerProxy:AuditLog={self.audit}",
               "--GuestOwnerProxy:AuditLogSync=None", "--GuestOwnerProxy:RateLimit:PermitsPerSecond=0",
               "--GuestOwnerProxy:ReloadInterval=00:00:00", "--GuestOwnerProxy:Metrics:Port=0", *DEV_TRUST]
        start = time.perf_counter_ns()
        self.process = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{gop} serve exited {self.process.returncode}: "
                                   f"{self.process.stderr.read().decode(errors='replace').strip()[:400]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.05):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{gop} serve did not listen within {timeout} s")
                time.sleep(0.001)
        self.startup_ms = (time.perf_counter_ns() - start) / 1e6

    def memory_kib(self):
        fields = {}
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0])
        return fields

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=GOP", help="a gop executable to measure")
    parser.add_argument("--load-test", required=True, help="GuestOwnerProxy.LoadTest.dll")
    parser.add_argument("--python-client", help="gop-client.py of the original proxy (its stubs beside it)")
    parser.add_argument("--python", default="/usr/bin/python3", help="the interpreter with grpcio for --python-client")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--startup-runs", type=int, default=10)
    parser.add_argument("--launches", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gc", action="append", choices=list(GC_SETTINGS), help="GC settings to try for memory (default all)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if not 1 <= args.runs <= 1000 or not 1 <= args.startup_runs <= 100 or not 1 <= args.launches <= 100000:
        parser.error("--runs 1..1000, --startup-runs 1..100, --launches 1..100000")

    repo = os.path.abspath(args.repo)
    variants = dict(v.split("=", 1) for v in args.variant)
    work = tempfile.mkdtemp(prefix="gop-native-")
    result = {"machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0], "kernel": os.uname().release},
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "variants": {}}
    for name, gop in variants.items():
        # What a package or image ships: everything in the publish folder but debug symbols.
        folder = os.path.dirname(os.path.abspath(gop))
        shipped = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)
                      if os.path.isfile(os.path.join(folder, f)) and not f.endswith((".dbg", ".pdb")))
        result["variants"][name] = {"executable": gop, "executable_bytes": os.path.getsize(gop), "shipped_bytes": shipped}

    print(f"== gop --version ({args.runs} runs each, interleaved)", flush=True)
    times = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    for name, gop in variants.items():  # warm the page cache
        timed([gop, "--version"], repo)
    for _ in range(args.runs):
        for name, gop in variants.items():
            elapsed, used, _ = timed_cpu([gop, "--version"], repo)
            times[name].append(elapsed)
            cpu[name].append(used)
    for name in variants:
        result["variants"][name]["version"] = summary(times[name], cpu[name])

    print(f"== start-up to listening ({args.startup_runs} runs each, interleaved)", flush=True)
    times = {name: [] for name in variants}
    for _ in range(args.startup_runs):
        for name, gop in variants.items():
            server = Server(gop, repo, work)
            times[name].append(server.startup_ms)
            server.stop()
    for name in variants:
        result["variants"][name]["startup"] = summary(times[name])

    # One server (the last variant, normally the native one), so only the client differs.
    server_name = list(variants)[-1]
    clients = {f"gop client ({name})": [gop, "client", "GetBundle"] for name, gop in variants.items()}
    if args.python_client:
        clients["gop-client.py (Python)"] = [args.python, args.python_client, "GetBundle"]
    print(f"== client GetBundle ({args.runs} runs each, interleaved, against the {server_name} server)", flush=True)
    server = Server(variants[server_name], repo, work)
    try:
        times = {name: [] for name in clients}
        cpu = {name: [] for name in clients}
        out = os.path.join(work, "conn")
        for run in range(args.runs + 1):
            for name, cmd in clients.items():
                full = [*cmd, "-k", "config/dev/sev/pdh.cert", "-t", "config/dev/sev/cert_chain.cert", "-p", "0",
                        f"127.0.0.1:{server.port}", out]
                elapsed, used, stdout = timed_cpu(full, repo)
                if b"godh.txt" not in stdout:
                    raise RuntimeError(f"{name} printed no bundle paths: {stdout[:200]!r}")
                if run > 0:  # the first round warms the page cache and the server's connection path
                    times[name].append(elapsed)
                    cpu[name].append(used)
        result["client"] = {"server": server_name,
                            "clients": {name: summary(values, cpu[name]) for name, values in times.items()}}
    finally:
        server.stop()

    print(f"== server memory after {args.launches} launches (load test, {args.concurrency} clients, both platforms)", flush=True)
    memory = {}
    for name, gop in variants.items():
        for gc_name in args.gc or GC_SETTINGS:
            gc_env = GC_SETTINGS[gc_name]
            server = Server(gop, repo, work, gc_env)
            try:
                idle = server.memory_kib()
                report = os.path.join(work, f"load-{server.port}.txt")
                with open(report, "w") as log:
                    done = subprocess.run(
                        ["dotnet", args.load_test, "--server", f"127.0.0.1:{server.port}", "--ovmf", "config/dev/demo/OVMF.fd",
                         "--keyset", "KEYSET-1", "--keys", "keys.json", "--platform", "both",
                         "--concurrency", str(args.concurrency), "--launches", str(args.launches), "--json"],
                        cwd=repo, stdout=log, stderr=subprocess.STDOUT, timeout=600)
                after = server.memory_kib()
                with open(report) as log:
                    lines = log.read().splitlines()
                if done.returncode != 0:
                    raise RuntimeError(f"load test against {name} ({gc_name}) exited {done.returncode}: {' / '.join(lines[-5:])}")
                load = next((json.loads(l) for l in reversed(lines) if l.startswith("{")), {})
                memory[f"{name}, {gc_name}"] = {
                    "variant": name, "gc": gc_name, "env": gc_env,
                    "idle_rss_mib": round(idle["VmRSS"] / 1024, 1),
                    "rss_mib": round(after["VmRSS"] / 1024, 1), "hwm_mib": round(after["VmHWM"] / 1024, 1),
                    "launches_per_s": load.get("launchesPerSecond") or load.get("throughput"),
                }
            finally:
                server.stop()
    result["memory"] = {"launches": args.launches, "concurrency": args.concurrency, "runs": memory}
    result["machine"]["load_1min_end"] = os.getloadavg()[0]

    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)

    print()
    print(f"{'':34} " + " ".join(f"{n:>16}" for n in variants))
    print(f"{'executable (MiB)':34} " + " ".join(f"{result['variants'][n]['executable_bytes'] / 2**20:16.1f}" for n in variants))
    print(f"{'publish folder w/o symbols (MiB)':34} " + " ".join(f"{result['variants'][n]['shipped_bytes'] / 2**20:16.1f}" for n in variants))
    print(f"{'gop --version p50 (ms)':34} " + " ".join(f"{result['variants'][n]['version']['p50_ms']:16.1f}" for n in variants))
    print(f"{'gop --version CPU p50 (ms)':34} " + " ".join(f"{result['variants'][n]['version']['cpu_p50_ms']:16.1f}" for n in variants))
    print(f"{'start-up to listening p50 (ms)':34} " + " ".join(f"{result['variants'][n]['startup']['p50_ms']:16.1f}" for n in variants))
    print()
    print(f"client GetBundle against the {server_name} server    p50 ms    p90 ms   CPU p50 ms")
    for name, s in result["client"]["clients"].items():
        print(f"  {name:40} {s['p50_ms']:8.1f}  {s['p90_ms']:8.1f}  {s['cpu_p50_ms']:8.1f}")
    print()
    print(f"server after {args.launches} launches                idle RSS   RSS   HWM (MiB)   launches/s")
    for name, m in memory.items():
        rate = m["launches_per_s"]
        print(f"  {name:40} {m['idle_rss_mib']:7.1f} {m['rss_mib']:7.1f} {m['hwm_mib']:7.1f}   {f'{rate:.0f}' if rate is not None else '-'}")
    print()
    print(f"load average {result['machine']['load_1min']:.1f} at the start, {result['machine']['load_1min_end']:.1f} at the end; JSON: {args.out}")


if __name__ == "__main__":
    try:
        main()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print(f"measure: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
