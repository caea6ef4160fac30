#!/usr/bin/env bash
# bench/redis-vs-memory.sh: issue 12's figures from ONE run on one machine: our server with sessions in memory against
# the same server with sessions in Redis, both separate native or JIT `gop serve` processes, driven by the same load
# test in the same interleaving (bench/compare.sh, the Redis replica as its "peer"). On top of compare.sh's table
# (launches/s, p50/p99, the server's own CPU per launch and RSS), it reports what Redis itself costs: redis-server's
# CPU per launch, and the store's round trips (scripts) and Redis commands per launch, from INFO commandstats.
#
# Bounded and loopback only, like compare.sh: it starts a redis-server of its own (no persistence, a free loopback
# port) unless --redis names a running one, starts the Redis-backed server, and stops both on exit.
# Usage: bench/redis-vs-memory.sh [--redis HOST:PORT --redis-pid PID] [--gop PATH] [--out DIR] [compare.sh options]
#   e.g. bench/redis-vs-memory.sh --gop out/native/gop --reps 2 --clients "1 8 32" --launches 300
# Docs: docs/load-test.md, "Sessions in Redis against sessions in memory".
set -euo pipefail

die() { echo "error: $*" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
redis="" redis_pid="" gop="" out="" build=1 pass=() server_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --redis) [[ $# -ge 2 ]] || die "--redis needs HOST:PORT"; redis=$2; shift 2 ;;
    --redis-pid) [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || die "--redis-pid needs a PID"; redis_pid=$2; shift 2 ;;
    --gop) [[ $# -ge 2 ]] || die "--gop needs a path"; gop=$2; pass+=(--gop "$2"); shift 2 ;;
    --out) [[ $# -ge 2 ]] || die "--out needs a directory"; out=$2; shift 2 ;;
    --no-build) build=0; pass+=("$1"); shift ;;
    # For both servers: compare.sh gives it to its own ("ours") only.
    --server-arg) [[ $# -ge 2 ]] || die "--server-arg needs a value"; server_args+=("$2"); pass+=("$1" "$2"); shift 2 ;;
    --peer|--peer-pid|--peer-name|--peer-launches|--peer-ovmf|--peer-keys|--peer-keyset|--no-ours|--summary-only)
      die "$1: this script's peer is the Redis-backed server" ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) pass+=("$1"); shift ;;
  esac
done
[[ -z "$redis" || -n "$redis_pid" ]] || die "--redis needs --redis-pid (its CPU is sampled from /proc)"
[[ -n "$redis" || -z "$redis_pid" ]] || die "--redis-pid needs --redis"
out=${out:-/tmp/gop-redis-vs-memory-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

started_redis="" server_pid=""
stop() {
  local pid
  for pid in $server_pid $started_redis; do
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap stop EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/common.sh
source "$repo/bench/common.sh"

if [[ -z "$redis" ]]; then
  command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server), or pass --redis"
  port=$(free_port 26400)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >"$out/redis.log" 2>&1 &
  started_redis=$! redis_pid=$! redis="127.0.0.1:$port"
  for _ in $(seq 1 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
fi
[[ "$redis" =~ ^(127\.[0-9.]+|localhost):([0-9]+)$ ]] || die "--redis: '$redis' is not a loopback HOST:PORT"
redis_port=${BASH_REMATCH[2]}
rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
rcli ping | grep -q PONG || die "no redis-server answers on $redis"

gop_cmd=(dotnet "$repo/src/GuestOwnerProxy/bin/Release/net10.0/gop.dll")
[[ -z "$gop" ]] || gop_cmd=("$gop")
lt_dll="$repo/bench/GuestOwnerProxy.LoadTest/bin/Release/net10.0/GuestOwnerProxy.LoadTest.dll"
if (( build )); then
  dotnet build -c Release "$repo/bench/GuestOwnerProxy.LoadTest" -nologo -v q >"$out/build.log" 2>&1 \
    || { tail -20 "$out/build.log" >&2; die "build failed (log: $out/build.log)"; }
fi

echo "== the Redis-backed server (sessions in $redis)"
dir="$out/redis-server"
dotnet "$lt_dll" --prepare-server "$dir" --repo "$repo" >"$out/prepare.log" 2>&1 || { cat "$out/prepare.log" >&2; die "prepare-server failed"; }
"${gop_cmd[@]}" sealing-key new "$dir/sealing.key" >/dev/null
mapfile -t setup_args <"$dir/serve.args"
metrics_port=$(free_port 19600)
(cd "$dir" && exec "${gop_cmd[@]}" serve --environment Production -p 0 --GuestOwnerProxy:ListenAddress=127.0.0.1 \
  "--GuestOwnerProxy:Metrics:Port=$metrics_port" "${setup_args[@]}" --GuestOwnerProxy:Sessions:Store=redis \
  "--GuestOwnerProxy:Sessions:Redis:Configuration=$redis" "--GuestOwnerProxy:Sessions:Redis:KeyPrefix=bench$$:" \
  "--GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0=$dir/sealing.key" "${server_args[@]}") >"$dir/server.log" 2>&1 &
server_pid=$!
port=$(listening_port "$dir/server.log" "$server_pid" "$metrics_port" "gop serve (Redis sessions)")
echo "   pid $server_pid on 127.0.0.1:$port; redis-server pid $redis_pid"

ticks=$(getconf CLK_TCK)
redis_cpu() { awk '{print $14 + $15}' "/proc/$redis_pid/stat"; }
# Per command: calls, from `INFO commandstats` (inner commands of scripts count too).
commandstats() { rcli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*/\1 \2/p'; }
# The reference: one bare round trip (redis-cli --latency --raw: PINGs for about a second), in the same run.
bare=$(timeout -s INT 3 redis-cli -h 127.0.0.1 -p "$redis_port" --latency --raw 2>/dev/null | awk 'END { print $3 }')
echo "   a bare Redis round trip (redis-cli --latency): ${bare:-?} ms"
# redis-server's idle CPU (its timers, the replica's health PING), measured for 5 s and subtracted over the run: the
# CPU window spans the whole matrix (the memory server's cells too), the launches are the Redis server's alone.
idle_before=$(redis_cpu); sleep 5; idle_rate=$(awk -v a="$idle_before" -v b="$(redis_cpu)" 'BEGIN { print (b - a) / 5 }')
started=$(date +%s.%N)
cpu_before=$(redis_cpu)
commandstats >"$out/commandstats.before"

status=0
"$repo/bench/compare.sh" --out "$out/compare" --refusal-clients "" --peer "127.0.0.1:$port" --peer-pid "$server_pid" \
  --peer-name redis --peer-launches --peer-ovmf "$dir/ovmf.fd" --peer-keys "$dir/keys.json" "${pass[@]}" || status=$?

cpu_after=$(redis_cpu)
elapsed=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
commandstats >"$out/commandstats.after"
# Launches the Redis-backed server served: every run against it, its warm-up launches included.
launches=$( { cat "$out"/compare/runs/*redis-launch-*.json "$out"/compare/warmup/*redis-launch-*.json 2>/dev/null || true; } \
  | jq -s '[.[] | (.options.warmup // 0) + (.result.succeeded // 0) + (.result.failed // 0)] | add // 0')
python3 - "$out" "$launches" "$cpu_before" "$cpu_after" "$ticks" "${bare:-}" "$idle_rate" "$elapsed" <<'PY'
import json, sys
out, launches, before, after, ticks = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
bare = float(sys.argv[6]) if sys.argv[6] else None
idle_ticks = float(sys.argv[7]) * float(sys.argv[8])  # idle ticks/s x the run's seconds
def read(name):
    d = {}
    for line in open(f"{out}/commandstats.{name}"):
        k, v = line.split()
        d[k] = int(v)
    return d
b, a = read("before"), read("after")
delta = {k: a[k] - b.get(k, 0) for k in a if a[k] - b.get(k, 0) > 0}
scripts = delta.get("evalsha", 0) + delta.get("eval", 0)
# Round trips of the store: scripts, and the keybroker protocol's launch-id lookup (GET); PING is the health check.
round_trips = scripts + delta.get("get", 0)
# INFO commandstats counts a script's inner commands as well as the script itself.
executed = sum(v for k, v in delta.items() if k not in ("info", "ping", "config|get", "client|setname", "client|id", "hello", "echo", "subscribe", "cluster|nodes", "cluster|slots", "script|load"))
inner = executed - round_trips
busy = max(0.0, after - before - idle_ticks)
result = {"launches": launches, "bareRoundTripMs": bare, "redisCpuMsPerLaunch": busy * 1000 / ticks / launches if launches else None,
          "redisIdleTicksSubtracted": idle_ticks,
          "roundTripsPerLaunch": round_trips / launches if launches else None,
          "innerCommandsPerLaunch": inner / launches if launches else None, "commandstatsDelta": delta}
json.dump(result, open(f"{out}/redis.json", "w"), indent=2)
if launches:
    print(f"redis-server: {result['redisCpuMsPerLaunch']:.3f} ms CPU per launch over {launches} launches "
          f"({ticks} ticks/s, its idle CPU subtracted); {result['roundTripsPerLaunch']:.2f} round trips (scripts and lookups) "
          f"per launch, running {result['innerCommandsPerLaunch']:.1f} Redis commands inside them")
# Per cell, medians over the repetitions: each call's p50 and the server's CPU per launch, Redis against memory, beside
# the issue's targets (Redis costs at most 15 % CPU per launch and 1 ms p50 over memory).
import glob, re, statistics
cells = {}
for path in glob.glob(f"{out}/compare/runs/r*-*-launch-*.json"):
    m = re.search(r"/r\d+-(ours|redis)-launch-(\w+)-c(\d+)\.json$", path)
    if not m:
        continue
    run = json.load(open(path))
    lat = run["result"]["latenciesMs"]
    cell = cells.setdefault((m[2], int(m[3])), {}).setdefault(m[1], {"bundle": [], "secret": [], "cpu": []})
    cell["bundle"].append(lat["GetLaunchBundle (rpc)"]["p50"])
    cell["secret"].append(lat["GetLaunchSecret (rpc)"]["p50"])
    cell["cpu"].append(run["server"]["cpuMsPerOperation"])
rows = []
print("platform clients | bundle p50 ms mem/redis | secret p50 ms mem/redis | server CPU ms/launch mem/redis (+%)")
for (platform, clients), c in sorted(cells.items()):
    if "ours" not in c or "redis" not in c:
        continue
    med = {t: {k: statistics.median(v) for k, v in c[t].items()} for t in ("ours", "redis")}
    extra = 100 * (med["redis"]["cpu"] / med["ours"]["cpu"] - 1)
    rows.append({"platform": platform, "clients": clients, "memory": med["ours"], "redis": med["redis"], "cpuExtraPercent": extra})
    print(f"{platform:8} {clients:7} | {med['ours']['bundle']:6.2f} / {med['redis']['bundle']:6.2f} ({med['redis']['bundle'] - med['ours']['bundle']:+.2f})"
          f" | {med['ours']['secret']:6.2f} / {med['redis']['secret']:6.2f} ({med['redis']['secret'] - med['ours']['secret']:+.2f})"
          f" | {med['ours']['cpu']:.2f} / {med['redis']['cpu']:.2f} ({extra:+.0f} %)")
result["cells"] = rows
json.dump(result, open(f"{out}/redis.json", "w"), indent=2)
print(f"json: {out}/redis.json; table: {out}/compare/summary.json")
PY
exit "$status"
