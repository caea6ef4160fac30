#!/usr/bin/env bash
# bench/compare.sh: issue 14's side-by-side matrix from ONE run on one machine.
#
# Starts our server as a separate process (gop serve, Production environment, production defaults apart from the
# per-client limits, see below), then drives it with the load test over loopback: SEV and CSV launches at 1, 8, 32
# and 64 clients and cheap refusals (an unknown keyset) at 1 and 8 clients, interleaved, N repetitions. Each run
# samples the server's own CPU and RSS from /proc/PID (--server-pid), so the client's and the simulated firmware's
# CPU are not counted as the server's. With --peer HOST:PORT --peer-pid PID the same client drives another running
# Setup server (the original Python proxy, say) in the same interleaving: refusals always, launches with
# --peer-launches. OpenSSL's own cost of the operations a launch needs (P-384 ECDH and ECDSA, SM2) is measured in the
# same run. Prints a table (medians over the repetitions) and writes every result as JSON.
#
# Bounded: every load-test run has a launch count and a time cap (--cell-timeout), everything is on 127.0.0.1, and
# the script stops the server it started (only that one) on exit. Docs: docs/benchmarks.md, "How to compare with
# another proxy"; options of the load test: docs/load-test.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/compare.sh [--reps N] [--clients "1 8 32 64"] [--platforms "sev csv"] [--launches N]
                        [--refusals N] [--refusal-clients "1 8"] [--warmup N] [--cell-timeout SECONDS]
                        [--out DIR] [--no-build] [--gop PATH] [--server-arg ARG]... [--no-ours]
                        [--peer HOST:PORT --peer-pid PID [--peer-name NAME]
                         [--peer-launches --peer-ovmf FILE [--peer-keys FILE] [--peer-keyset ID]]]
                        [--openssl-seconds N] [--client-runs N] [--peer-client "CMD ..."] [--summary-only]

  --reps N             repetitions of the whole matrix, interleaved (default 3)
  --clients LIST       client counts for launches (default "1 8 32 64"; "" for none)
  --platforms LIST     launch platforms (default "sev csv")
  --launches N         measured launches per run (default 400)
  --refusals N         measured refused requests per run (default 2000)
  --refusal-clients L  client counts for refusals (default "1 8"; "" for none)
  --warmup N           warm-up operations per run, not counted (default 16)
  --server-warmup N    before the first repetition, N launches per platform (and N refusals) against each
                       target, not counted: JIT tiering and caches settle first (default 200; 0 skips it)
  --cell-timeout S     time cap of one run (default 300 s; the load test's --duration is 30 s less)
  --out DIR            where results go (default /tmp/gop-compare-<UTC time>)
  --no-build           use the existing Release build
  --gop PATH           run this gop executable (e.g. a published or native build) instead of
                       dotnet src/GuestOwnerProxy/bin/Release/net10.0/gop.dll
  --server-arg ARG     one more argument for our gop serve (repeatable), e.g.
                       --server-arg --GuestOwnerProxy:AuditLogSync=None; listed in the results
  --no-ours            do not start our server (peer only)
  --peer HOST:PORT     another running Setup server on a loopback address
  --peer-pid PID       its process (CPU and RSS sampled from /proc)
  --peer-name NAME     its name in the table (default "peer")
  --peer-launches      also run launches against the peer (its keyset must allow --peer-ovmf and it must
                       trust the development simulator roots; what it refuses is listed per run)
  --peer-ovmf FILE     the image the peer's keyset allows
  --peer-keys FILE     the peer's keys.json, to check the values the guest receives
  --peer-keyset ID     the keyset to ask the peer for (default KEYSET-1)
  --openssl-seconds N  seconds per `openssl speed` algorithm (default 3; 0 skips it)
  --client-runs N      after the matrix, wall time of N runs each of `gop client GetBundle` against our server
                       (a new process per call, as kata runs it) and of `gop --version` (default 20; 0 skips)
  --peer-client CMD    another client timed the same way, e.g. "python3 /opt/gop/gop-client.py" (its argv
                       as gop-client.py's: GetBundle -k PDH -t CHAIN SERVER PATH)
  --summary-only       measure nothing: print the table and rewrite summary.json from the runs in --out DIR
EOF
}

die() { echo "error: $*" >&2; exit 2; }

reps=3 clients="1 8 32 64" platforms="sev csv" launches=400 refusals=2000 refusal_clients="1 8" warmup=16 server_warmup=200
cell_timeout=300 out="" build=1 gop="" ours=1 peer="" peer_pid="" peer_name="peer" peer_launches=0
peer_ovmf="" peer_keys="" peer_keyset="KEYSET-1" openssl_seconds=3 summary_only=0 client_runs=20 peer_client=""
server_args=()

need() { [[ $# -ge 2 ]] || die "$1 needs a value"; }
number() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1: '$2' is not a number"; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) need "$@"; number "$1" "$2"; reps=$2; shift 2 ;;
    --clients) need "$@"; clients=$2; shift 2 ;;
    --platforms) need "$@"; platforms=$2; shift 2 ;;
    --launches) need "$@"; number "$1" "$2"; launches=$2; shift 2 ;;
    --refusals) need "$@"; number "$1" "$2"; refusals=$2; shift 2 ;;
    --refusal-clients) need "$@"; refusal_clients=$2; shift 2 ;;
    --warmup) need "$@"; number "$1" "$2"; warmup=$2; shift 2 ;;
    --server-warmup) need "$@"; number "$1" "$2"; server_warmup=$2; shift 2 ;;
    --cell-timeout) need "$@"; number "$1" "$2"; cell_timeout=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --gop) need "$@"; gop=$2; shift 2 ;;
    --server-arg) need "$@"; server_args+=("$2"); shift 2 ;;
    --no-ours) ours=0; shift ;;
    --peer) need "$@"; peer=$2; shift 2 ;;
    --peer-pid) need "$@"; number "$1" "$2"; peer_pid=$2; shift 2 ;;
    --peer-name) need "$@"; peer_name=$2; shift 2 ;;
    --peer-launches) peer_launches=1; shift ;;
    --peer-ovmf) need "$@"; peer_ovmf=$2; shift 2 ;;
    --peer-keys) need "$@"; peer_keys=$2; shift 2 ;;
    --peer-keyset) need "$@"; peer_keyset=$2; shift 2 ;;
    --openssl-seconds) need "$@"; number "$1" "$2"; openssl_seconds=$2; shift 2 ;;
    --summary-only) summary_only=1; shift ;;
    --client-runs) need "$@"; number "$1" "$2"; client_runs=$2; shift 2 ;;
    --peer-client) need "$@"; peer_client=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
(( reps >= 1 && reps <= 50 )) || die "--reps: $reps is not in 1..50"
(( cell_timeout >= 60 && cell_timeout <= 3600 )) || die "--cell-timeout: $cell_timeout is not in 60..3600"
for c in $clients $refusal_clients; do [[ "$c" =~ ^[0-9]+$ ]] && (( c >= 1 && c <= 256 )) || die "client count '$c' is not in 1..256"; done
for p in $platforms; do [[ "$p" == sev || "$p" == csv ]] || die "--platforms: '$p' is not sev or csv"; done
if [[ -n "$peer" ]]; then
  [[ -n "$peer_pid" ]] || die "--peer needs --peer-pid (its CPU is the point of the comparison)"
  (( peer_launches == 0 )) || [[ -f "$peer_ovmf" ]] || die "--peer-launches needs --peer-ovmf FILE (the image the peer's keyset allows)"
  [[ -z "$peer_keys" || -f "$peer_keys" ]] || die "--peer-keys: '$peer_keys' is not a file"
else
  [[ -z "$peer_pid" && $peer_launches == 0 ]] || die "--peer-pid/--peer-launches need --peer HOST:PORT"
fi
(( ours == 1 )) || [[ -n "$peer" ]] || die "--no-ours leaves nothing to measure without --peer"
command -v jq >/dev/null || die "jq is needed for the summary (apt-get install jq)"

repo=$(cd "$(dirname "$0")/.." && pwd)
if (( summary_only )); then
  [[ -n "$out" && -d "$out/runs" ]] || die "--summary-only needs --out DIR of an earlier run"
else
  out=${out:-/tmp/gop-compare-$(date -u +%Y%m%dT%H%M%SZ)}
  mkdir -p "$out/runs" "$out/meta"
fi
out=$(cd "$out" && pwd)
# What the summary needs besides the runs, kept as files so that --summary-only can rebuild it.
meta() { printf '%s\n' "$2" >"$out/meta/$1.json"; }
meta_of() { cat "$out/meta/$1.json" 2>/dev/null || echo null; }
failures=0
lt_dll="$repo/bench/GuestOwnerProxy.LoadTest/bin/Release/net10.0/GuestOwnerProxy.LoadTest.dll"
gop_cmd=(dotnet "$repo/src/GuestOwnerProxy/bin/Release/net10.0/gop.dll")
[[ -z "$gop" ]] || gop_cmd=("$gop")

if (( ! summary_only )); then
meta run "$(jq -n --arg gop "${gop_cmd[*]}" --arg peer "$peer" --arg peerName "$peer_name" --argjson reps "$reps" \
  --arg extra "${server_args[*]:-}" '{gop: $gop, peer: $peer, peerName: $peerName, reps: $reps, extra: $extra}')"
if (( build )); then
  echo "== build (Release)"
  dotnet build -c Release "$repo/bench/GuestOwnerProxy.LoadTest" -nologo -v q >"$out/build.log" 2>&1 \
    || { tail -20 "$out/build.log" >&2; die "build failed (log: $out/build.log)"; }
fi
[[ -f "$lt_dll" ]] || die "$lt_dll not built (drop --no-build)"
lt() { dotnet "$lt_dll" "$@"; }

server_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# A free loopback port for the metrics listener (on by default in production; port 0 would switch it off): free_port;
# the server's own port from its log: listening_port.
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ours_target=""
if (( ours )); then
  echo "== our server"
  mkdir -p "$out/server"
  lt --prepare-server "$out/server" --repo "$repo" >"$out/prepare.log" 2>&1 || { cat "$out/prepare.log" >&2; die "prepare-server failed"; }
  mapfile -t setup_args <"$out/server/serve.args"
  metrics_port=$(free_port 19464)
  serve=("${gop_cmd[@]}" serve --environment Production -p 0 --GuestOwnerProxy:ListenAddress=127.0.0.1
         "--GuestOwnerProxy:Metrics:Port=$metrics_port" "${setup_args[@]}" "${server_args[@]}")
  (cd "$out/server" && exec "${serve[@]}") >"$out/server/server.log" 2>&1 &
  server_pid=$!
  port=$(listening_port "$out/server/server.log" "$server_pid" "$metrics_port" "gop serve")
  ours_target="127.0.0.1:$port"
  echo "   pid $server_pid on $ours_target: ${serve[*]:0:${#gop_cmd[@]}} serve ... (settings: $out/server/serve.args${server_args[*]:+ + ${server_args[*]}})"
fi

openssl_json='null'
if (( openssl_seconds > 0 )); then
  echo "== openssl speed ($openssl_seconds s per algorithm: P-384 ECDH and ECDSA, SM2; user CPU time)"
  speed=$(openssl speed -seconds "$openssl_seconds" -mr ecdhp384 ecdsap384 sm2 2>/dev/null | grep -E '^\+F[0-9]+:' || true)
  # +F4:i:384:sign/s:verify/s (ECDSA), +F5:i:384:ops/s:s/op (ECDH), +F7:i:256:CurveSM2:sign/s:verify/s
  openssl_json=$(awk -F: -v version="$(openssl version)" '
    $1=="+F4" && $3==384 { es=1000/$4; ev=1000/$5 }
    $1=="+F5" && $3==384 { ecdh=1000/$4 }
    $1=="+F7" && $4=="CurveSM2" { ss=1000/$5; sv=1000/$6 }
    END { printf "{\"version\":\"%s\",\"msPerOp\":{\"ecdhP384\":%s,\"ecdsaP384Sign\":%s,\"ecdsaP384Verify\":%s,\"sm2Sign\":%s,\"sm2Verify\":%s}}",
          version, ecdh?ecdh:"null", es?es:"null", ev?ev:"null", ss?ss:"null", sv?sv:"null" }' <<<"$speed")
fi
meta openssl "$openssl_json"

# One run of the load test against one target; its JSON lands in runs/ (warmup/ for the server warm-up), its output beside it.
run() { # name target pid file extra-args...
  local name=$1 target=$2 pid=$3 file=$4; shift 4
  local rc=0 dir="$out/runs"
  [[ "$file" == warmup-* ]] && dir="$out/warmup"
  mkdir -p "$dir"
  timeout --signal=TERM --kill-after=10 "$cell_timeout" dotnet "$lt_dll" --target "$target" --server-pid "$pid" \
    --warmup "$warmup" --duration $(( cell_timeout - 30 )) --json-out "$dir/$file.json" "$@" >"$dir/$file.log" 2>&1 || rc=$?
  local summary
  summary=$(jq -r '"\(.result.succeeded) ok, \(.result.failed) failed, \(.result.perSecond|floor)/s, server \(.server.cpuMsPerOperation // "-" | tostring | .[0:6]) ms CPU/op"' \
    "$dir/$file.json" 2>/dev/null || echo "no result")
  printf '   %-40s rc=%s  %s\n' "$file" "$rc" "$summary"
  if (( rc != 0 )); then
    failures=$((failures + 1))
    grep -E '^(error|  error x)' "$dir/$file.log" | head -5 | sed 's/^/      /' || true
  fi
}

targets=()
(( ours )) && targets+=("ours")
[[ -n "$peer" ]] && targets+=("$peer_name")
cells=()
for p in $platforms; do for c in $clients; do cells+=("launch:$p:$c"); done; done
for c in $refusal_clients; do cells+=("refused:keyset:$c"); done

# The arguments of one cell against one target; returns 1 when the target does not run that cell.
cell_args() { # target-name mode kind count
  local t=$1 mode=$2 kind=$3 count=$4
  if [[ "$t" == ours ]]; then
    target=$ours_target pid=$server_pid
    launch_args=(--ovmf "$out/server/ovmf.fd" --keys "$out/server/keys.json" --keyset KEYSET-1)
  else
    target=$peer pid=$peer_pid
    [[ "$mode" == launch && $peer_launches == 0 ]] && return 1
    launch_args=(--ovmf "$peer_ovmf" --keyset "$peer_keyset")
    [[ -n "$peer_keys" ]] && launch_args+=(--keys "$peer_keys")
  fi
  if [[ "$mode" == launch ]]; then
    args=(--platform "$kind" --concurrency "$count" "${launch_args[@]}")
  else
    args=(--mode refused --deny "$kind" --concurrency "$count")
  fi
}

if (( server_warmup > 0 )); then
  echo "== server warm-up ($server_warmup operations per platform and of refusals per target, not counted)"
  for t in "${targets[@]}"; do
    for p in $platforms; do
      cell_args "$t" launch "$p" 8 || continue
      run "$t" "$target" "$pid" "warmup-$t-launch-$p" "${args[@]}" --launches "$server_warmup"
    done
    cell_args "$t" refused keyset 8
    run "$t" "$target" "$pid" "warmup-$t-refused-keyset" "${args[@]}" --launches "$server_warmup"
  done
fi

started=$(date -u +%s)
for rep in $(seq 1 "$reps"); do
  echo "== repetition $rep of $reps (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # Interleaved: every cell once per repetition, the targets alternating which goes first.
  order=("${targets[@]}")
  if (( rep % 2 == 0 && ${#targets[@]} == 2 )); then order=("${targets[1]}" "${targets[0]}"); fi
  for cell in "${cells[@]}"; do
    IFS=: read -r mode kind count <<<"$cell"
    for t in "${order[@]}"; do
      cell_args "$t" "$mode" "$kind" "$count" || continue
      if [[ "$mode" == launch ]]; then n=$launches; else n=$refusals; fi
      run "$t" "$target" "$pid" "r$rep-$t-$mode-$kind-c$count" "${args[@]}" --launches "$n"
    done
  done
done
meta elapsed $(( $(date -u +%s) - started ))

# Client start-up: a new process per call, as kata runs the client (twice per pod start). Wall time, $EPOCHREALTIME.
wall_ms() { # runs cmd... -> JSON {runs, p50Ms, p90Ms, minMs, maxMs} or {failed: "..."}
  local n=$1; shift
  local times=() start end
  for _ in $(seq 1 "$n"); do
    start=$EPOCHREALTIME
    "$@" >/dev/null 2>"$out/client.err" || { jq -n --arg cmd "$*" --arg err "$(head -c 300 "$out/client.err")" '{failed: $cmd, error: $err}'; return; }
    end=$EPOCHREALTIME
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  done
  printf '%s\n' "${times[@]}" | jq -s 'sort | {runs: length, p50Ms: .[(length - 1) / 2 | floor], p90Ms: .[(length * 0.9 | ceil) - 1], minMs: .[0], maxMs: .[-1]}'
}
if (( client_runs > 0 )) && [[ -n "$ours_target" ]]; then
  echo "== client wall time ($client_runs runs each, a new process per call, against our server)"
  kit="$out/server/sev"
  gop_bundle=$(wall_ms "$client_runs" "${gop_cmd[@]}" client GetBundle -k "$kit/pdh.cert" -t "$kit/cert_chain.cert" "$ours_target" "$out/client-gop")
  gop_version=$(wall_ms "$client_runs" "${gop_cmd[@]}" --version)
  peer_bundle=null
  if [[ -n "$peer_client" ]]; then
    read -ra peer_client_cmd <<<"$peer_client"
    peer_bundle=$(wall_ms "$client_runs" "${peer_client_cmd[@]}" GetBundle -k "$kit/pdh.cert" -t "$kit/cert_chain.cert" "$ours_target" "$out/client-peer")
  fi
  meta clients "$(jq -n --arg gop "${gop_cmd[*]}" --arg peer "$peer_client" --argjson b "$gop_bundle" --argjson v "$gop_version" --argjson p "$peer_bundle" \
    '{gop: $gop, gopClientGetBundle: $b, gopVersion: $v, peerClient: (if $peer == "" then null else $peer end), peerClientGetBundle: $p}')"
fi

if [[ -n "$server_pid" ]]; then
  meta rss-after-run "$(awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {printf "{\"rssKiB\":%d,\"hwmKiB\":%d}", r, h}' "/proc/$server_pid/status")"
  stop_server
fi
[[ -f "$out/server/serve.args" ]] && meta settings "$(jq -R . "$out/server/serve.args" | jq -s .)"
fi # not --summary-only

# The summary: every run, and per target x cell the median over the repetitions.
jq -n --slurpfile runs <(cat "$out"/runs/*.json 2>/dev/null) \
  --argjson openssl "$(meta_of openssl)" --argjson finalRss "$(meta_of rss-after-run)" --argjson run "$(meta_of run)" \
  --argjson elapsed "$(meta_of elapsed)" --argjson settings "$(meta_of settings)" --argjson clients "$(meta_of clients)" \
  --arg departures "RateLimit:PermitsPerSecond=0 and Sessions:MaxPerClient=1000000 (one load client is one host); the development simulator roots trusted on top of the vendor pins; everything else the production defaults (AuditLogSync=EveryRecord, console log at Information, metrics on)" '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def step: if .options.mode == "launch" then "launch (total)" else "GetLaunchSecret refused (rpc)" end;
  ($run // {}) as $r | ($r.peer // "") as $peer | ($r.peerName // "peer") as $peerName |
  def who: if $peer != "" and .options.target == ("http://" + $peer) then $peerName else "ours" end;
  {
    date: (now | todate), repetitions: ($r.reps // ($runs | group_by([.options.target, .options.mode, .options.deny // .options.platform, .options.concurrency]) | map(length) | max)), elapsedSeconds: $elapsed,
    machine: ($runs[0].machine // null),
    ours: { command: $r.gop, settings: $settings, extraArguments: ($r.extra // ""),
            departuresFromDefaults: $departures, rssAfterRun: $finalRss },
    peer: (if $peer == "" then null else { target: $peer, name: $peerName } end),
    openssl: $openssl,
    clients: $clients,
    cells: ($runs | group_by([who, .options.mode, .options.deny // .options.platform, .options.concurrency]) | map({
      target: (.[0] | who), mode: .[0].options.mode, kind: (.[0].options.deny // .[0].options.platform),
      clients: .[0].options.concurrency, runs: length,
      failed: (map(.result.failed) | add),
      perSecond: (map(.result.perSecond) | median),
      p50Ms: (map(.result.latenciesMs[step].p50) | median),
      p90Ms: (map(.result.latenciesMs[step].p90) | median),
      p99Ms: (map(.result.latenciesMs[step].p99) | median),
      maxMs: (map(.result.latenciesMs[step].max) | median),
      serverCpuMsPerOp: (map(.server.cpuMsPerOperation // empty) | median),
      serverCpuMsPerRequest: (map(.server.cpuMsPerRequest // empty) | median),
      serverRssPeakMiB: (map(.server.rssPeakKiB // empty) | max | if . == null then null else . / 1024 end),
      errors: (map(.result.errors | to_entries[]) | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries)
    })),
    runs: $runs
  }' >"$out/summary.json"

echo
echo "== results: $(jq -r '"medians over \(.repetitions) repetition(s), " + (.machine | "\(.cores) cores, \(.cpu), kernel \(.kernel), \(.runtime)") + (if .elapsedSeconds == null then "" else "; \(.elapsedSeconds) s" end)' "$out/summary.json")"
jq -r '
  def f(d): if . == null then "-" else (. * pow(10; d) | round / pow(10; d) | tostring) end;
  .openssl as $o |
  ["target", "mode", "kind", "clients", "runs", "ops/s", "p50 ms", "p99 ms", "srv CPU ms/op", "x OpenSSL op", "srv RSS peak MiB", "failed"],
  (.cells | sort_by(.target != "ours", .mode, .kind, .clients)[] |
    (if .mode != "launch" or $o == null then null
     elif .kind == "sev" then $o.msPerOp.ecdhP384 else $o.msPerOp.sm2Sign end) as $op |
    [.target, .mode, .kind, (.clients | tostring), (.runs | tostring), (.perSecond | f(1)), (.p50Ms | f(2)), (.p99Ms | f(2)),
     (.serverCpuMsPerOp | f(3)), (if $op == null or .serverCpuMsPerOp == null then "-" else (.serverCpuMsPerOp / $op | f(1)) end),
     (.serverRssPeakMiB | f(1)), (.failed | tostring)])
  | @tsv' "$out/summary.json" | column -t -s $'\t'
jq -r 'if .openssl == null then empty else .openssl | "OpenSSL (\(.version)), ms CPU per op: P-384 ECDH \(.msPerOp.ecdhP384 * 1000 | round / 1000), ECDSA P-384 sign \(.msPerOp.ecdsaP384Sign * 1000 | round / 1000) / verify \(.msPerOp.ecdsaP384Verify * 1000 | round / 1000), SM2 sign \(.msPerOp.sm2Sign * 1000 | round / 1000) / verify \(.msPerOp.sm2Verify * 1000 | round / 1000)  (x OpenSSL op: SEV launches against one ECDH, CSV against one SM2 sign)" end' "$out/summary.json"
jq -r 'if .ours.rssAfterRun == null then empty else "our server after the run: RSS \(.ours.rssAfterRun.rssKiB / 1024 | floor) MiB, VmHWM \(.ours.rssAfterRun.hwmKiB / 1024 | floor) MiB\nour settings: " + .ours.departuresFromDefaults
  + (if .ours.extraArguments == "" then "" else "; given with --server-arg (these win): " + .ours.extraArguments end) end' "$out/summary.json"
jq -r '.cells[] | select(.errors != {}) | "errors, \(.target) \(.mode) \(.kind) c\(.clients): " + (.errors | to_entries | map("\(.value)x \(.key)") | join("; "))' "$out/summary.json"
jq -r 'if .clients == null then empty else .clients | ("client wall time (ms, p50 / p90 of \(.gopClientGetBundle.runs // 0) runs; a new process each, against our server):",
  "  \(.gop) client GetBundle: " + (.gopClientGetBundle | if .failed then "FAILED: \(.error)" else "\(.p50Ms) / \(.p90Ms)" end),
  "  \(.gop) --version: " + (.gopVersion | if .failed then "FAILED: \(.error)" else "\(.p50Ms) / \(.p90Ms)" end),
  (if .peerClient == null then empty else "  \(.peerClient) GetBundle: " + (.peerClientGetBundle | if .failed then "FAILED: \(.error)" else "\(.p50Ms) / \(.p90Ms)" end) end)) end' "$out/summary.json"
echo "json: $out/summary.json (every run: $out/runs/)"
(( failures == 0 )) || { echo "$failures run(s) did not complete cleanly (see their logs)"; exit 1; }
