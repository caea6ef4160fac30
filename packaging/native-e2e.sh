#!/usr/bin/env bash
# The native (Native AOT) gop end to end, so a trimming regression (a reflection path the native build dropped)
# fails CI instead of production: --version, check-config (text and --json; a misspelt setting still refused by
# name), `gop serve` on loopback with the development roots, then grpc.health.v1, `gop client GetBundle`, SEV and
# CSV launches with `gop simulate` (Setup and keybroker protocols), a Prometheus scrape, and the audit log's
# JSON lines. The server and every client command run under the kernel's W^X lock (PR_SET_MDWE, what systemd's
# MemoryDenyWriteExecute=yes enforces; off in gop.service, see packaging/README.md): the paths run here must never need
# a page made executable after it was written, and a JIT build run under the same lock must be killed (the control). With redis-server on PATH, a
# second server keeps its sessions in Redis, under the lock too. Also: an SEV-ES launch, and SIGHUP (logs reopened,
# the server stays up). Run from anywhere; uses the repository's keysets.json, keys.json and config/dev.
# Usage: packaging/native-e2e.sh GOP   (exits non-zero, printing `native-e2e: FAILED: reason`, when a step fails)
set -uo pipefail
cd "$(dirname "$0")/.."
gop=${1:?usage: packaging/native-e2e.sh GOP}
work=$(mktemp -d)
server_pid=""

fail() {
  echo "native-e2e: FAILED: $*"
  [ -f "$work/server.err" ] && sed 's/^/  server: /' "$work/server.err" | tail -n 20
  exit 1
}
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# `"${wx[@]}" COMMAND...` runs COMMAND with PR_SET_MDWE(PR_MDWE_REFUSE_EXEC_GAIN) set (Linux 6.3+): kept across fork and execve,
# it refuses any mapping that is writable and executable at once, or that becomes executable after it was mapped.
# systemd's MemoryDenyWriteExecute=yes refuses the same (through this prctl, or a seccomp filter on older systemd; the
# trace in docs/operations.md shows the native server only maps shared libraries executable, which both allow).
wx=(python3 -c '
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    sys.exit("prctl(PR_SET_MDWE): " + os.strerror(ctypes.get_errno()))
os.execvp(sys.argv[1], sys.argv[1:])')
if "${wx[@]}" /bin/true 2>/dev/null; then
  jit=src/GuestOwnerProxy/bin/Release/net10.0/gop.dll
  if command -v dotnet >/dev/null && [ -f "$jit" ]; then
    # The control: a JIT writes code and then executes it, so under the lock it dies.
    # (In a subshell whose stderr is discarded, so the shell's "Segmentation fault" report goes there too.)
    # The JIT build runs without the lock (so a failure under it is the lock's doing) and dies under it.
    dotnet "$jit" --version >/dev/null 2>&1 || fail "the JIT build $jit does not run even without the W^X lock (build it first)"
    control=$( ( "${wx[@]}" dotnet "$jit" --version >/dev/null 2>&1; echo $? ) 2>/dev/null )
    [ "$control" -ge 128 ] || fail "the JIT build exited $control under PR_SET_MDWE instead of being killed: the W^X lock is not in force"
    echo "W^X lock: in force (the JIT build runs without it and is killed under it, exit $control; every gop below runs under it)"
  else
    echo "W^X lock: set (no JIT build here for the control); every gop below runs under it"
  fi
else
  echo "native-e2e: note: this kernel has no PR_SET_MDWE (Linux 6.3+): gop runs without the W^X lock"
  wx=()
fi

# The development roots (appsettings.Development.json is never published).
trust=(
  --GuestOwnerProxy:Trust:RootFiles:0=config/dev/csv/hrk.cert
  --GuestOwnerProxy:Trust:RootFiles:1=config/dev/sev/ark.cert
  --GuestOwnerProxy:Trust:ExtraRootFingerprints:0=0d02e70d089b8896e7652187a5d95b2201bdf0608ecf5d72f37faebea5616834
  --GuestOwnerProxy:Trust:ExtraRootFingerprints:1=2c9134255388b6a80489dc44575c6cf6c705b774163a0c45fcbeaebd9acabce1
  --GuestOwnerProxy:Trust:IntermediateFiles:0=config/dev/csv/hsk_cek.cert
  --GuestOwnerProxy:Trust:IntermediateFiles:1=config/dev/sev/ask.cert
)
export ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production

file "$gop" 2>/dev/null | grep -q ELF || [ -x "$gop" ] || fail "$gop is not an executable"
version=$(timeout 10 "${wx[@]}" "$gop" --version) || fail "gop --version"
echo "gop --version: $version"

check=$(timeout 30 "${wx[@]}" "$gop" check-config -c keysets.json -k keys.json "${trust[@]}" 2>&1) || { echo "$check"; fail "gop check-config"; }
echo "$check" | head -n 1
timeout 30 "${wx[@]}" "$gop" check-config -c keysets.json -k keys.json "${trust[@]}" --json > "$work/check.json" 2>/dev/null || fail "gop check-config --json"
python3 - "$work/check.json" <<'PY' || fail "check-config --json is not the expected document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["keyCount"] >= 1 and any(k["id"] == "KEYSET-1" for k in d["keysets"]), d
PY
# The settings names come from the options classes by reflection: the native build must still know them all.
typo=$(timeout 30 "${wx[@]}" "$gop" check-config -c keysets.json -k keys.json --GuestOwnerProxy:Sessions:MaxSesions=5 2>&1)
status=$?
[ "$status" -eq 2 ] || fail "a misspelt setting: exit $status, not 2 ($typo)"
echo "$typo" | grep -q "did you mean 'MaxSessions'" || fail "a misspelt setting is not named: $typo"
timeout 10 "${wx[@]}" "$gop" cert show --json config/dev/sev/pdh.cert > "$work/cert.json" || fail "gop cert show --json"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[0]["platform"] == "sev"' "$work/cert.json" \
  || fail "cert show --json is not the expected document"
echo "check-config, --json documents and the unknown-setting check: ok"

# wait_serving WHAT: the server at $server_pid on $port answers grpc.health.v1 SERVING within 20 s, or the run fails.
wait_serving() {
  for _ in $(seq 200); do
    timeout 5 "${wx[@]}" "$gop" health --server "127.0.0.1:$port" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || fail "$1 exited $(wait "$server_pid"; echo $?)"
    sleep 0.1
  done
  timeout 5 "${wx[@]}" "$gop" health --server "127.0.0.1:$port" || fail "$1: not SERVING within 20 s"
}

port=$(free_port)
metrics=$(free_port)
"${wx[@]}" "$gop" serve -p "$port" -c keysets.json -k keys.json --GuestOwnerProxy:ListenAddress=127.0.0.1 \
  --GuestOwnerProxy:AuditLog="$work/audit.jsonl" --GuestOwnerProxy:Metrics:Port="$metrics" \
  --GuestOwnerProxy:Metrics:ListenAddress=127.0.0.1 "${trust[@]}" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
wait_serving "gop serve"

bundle=$(timeout 30 "${wx[@]}" "$gop" client GetBundle -k config/dev/sev/pdh.cert -t config/dev/sev/cert_chain.cert -p 0 \
  "127.0.0.1:$port" "$work/conn") || fail "gop client GetBundle"
[ -s "$work/conn/godh.txt" ] && [ -s "$work/conn/launch_blob.txt" ] || fail "gop client GetBundle wrote no bundle ($bundle)"
echo "gop client GetBundle: $bundle"
for platform in sev csv; do
  for protocol in setup keybroker; do
    out=$(timeout 60 "${wx[@]}" "$gop" simulate --server "127.0.0.1:$port" --platform "$platform" --protocol "$protocol" \
      --ovmf config/dev/demo/OVMF.fd 2>&1) || { echo "$out"; fail "gop simulate --platform $platform --protocol $protocol"; }
    echo "gop simulate --platform $platform --protocol $protocol: $(echo "$out" | tail -n 1)"
  done
done
for platform in sev csv; do
  out=$(timeout 60 "${wx[@]}" "$gop" simulate --server "127.0.0.1:$port" --platform "$platform" --es --vcpus 4 \
    --keyset KEYSET-ES --ovmf config/dev/demo/OVMF.fd 2>&1) || { echo "$out"; fail "gop simulate --platform $platform --es"; }
  echo "gop simulate --platform $platform --es --vcpus 4: $(echo "$out" | tail -n 1)"
done
# Rotation as logrotate does it: rename, SIGHUP; the server stays up and writes a new file at the path.
mv "$work/audit.jsonl" "$work/audit.jsonl.1"
kill -HUP "$server_pid" || fail "kill -HUP"
# The signal's own line: the reload poll would recreate a renamed file too, so the new file alone proves nothing.
for _ in $(seq 100); do grep -q 'SIGHUP: log files reopened' "$work/server.out" && break; sleep 0.1; done
kill -0 "$server_pid" 2>/dev/null || fail "gop serve exited on SIGHUP"
grep -q 'SIGHUP: log files reopened' "$work/server.out" || fail "gop serve did not log 'SIGHUP: log files reopened' within 10 s"
out=$(timeout 60 "${wx[@]}" "$gop" simulate --server "127.0.0.1:$port" --platform sev --ovmf config/dev/demo/OVMF.fd 2>&1) \
  || { echo "$out"; fail "gop simulate after SIGHUP"; }
[ -s "$work/audit.jsonl" ] || fail "no new audit file after rename and SIGHUP"
echo "SIGHUP after a rename: server up, $(wc -l < "$work/audit.jsonl") record(s) in the new audit file"
cat "$work/audit.jsonl.1" "$work/audit.jsonl" > "$work/audit-all.jsonl"
scrape=$(curl -sf --max-time 10 "http://127.0.0.1:$metrics/metrics") || fail "GET /metrics"
echo "$scrape" | grep -q '^gop_' || fail "the metrics scrape has no gop_ instruments"
python3 - "$work/audit-all.jsonl" <<'PY' || fail "the audit log is not the expected JSON lines"
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
released = [r for r in records if r["event"] == "secret" and r["decision"] == "released"]
assert len(released) >= 7 and all(r["keyset"] and r["time"] for r in released), records
assert sum(r["keyset"] == "KEYSET-ES" for r in released) == 2, released
PY

# Sessions in Redis (StackExchange.Redis and the sealing, natively): a second server on its own redis-server.
redis_pid=""
if command -v redis-server >/dev/null; then
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >"$work/redis.log" 2>&1 &
  redis_pid=$!
  trap 'kill "$redis_pid" 2>/dev/null; cleanup' EXIT
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG || fail "redis-server did not answer on 127.0.0.1:$redis_port"
  timeout 10 "${wx[@]}" "$gop" sealing-key new "$work/seal.key" >/dev/null || fail "gop sealing-key new"
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null
  port=$(free_port)
  "${wx[@]}" "$gop" serve -p "$port" -c keysets.json -k keys.json --GuestOwnerProxy:ListenAddress=127.0.0.1 \
    --GuestOwnerProxy:AuditLog="$work/audit-redis.jsonl" --GuestOwnerProxy:Metrics:Port=0 "${trust[@]}" \
    --GuestOwnerProxy:Sessions:Store=redis --GuestOwnerProxy:Sessions:Redis:Configuration="127.0.0.1:$redis_port" \
    --GuestOwnerProxy:Sessions:Redis:SealingKeyFiles:0="$work/seal.key" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  wait_serving "gop serve (Redis sessions)"
  for platform in sev csv; do
    out=$(timeout 60 "${wx[@]}" "$gop" simulate --server "127.0.0.1:$port" --platform "$platform" \
      --ovmf config/dev/demo/OVMF.fd 2>&1) || { echo "$out"; fail "gop simulate --platform $platform (Redis sessions)"; }
    echo "gop simulate --platform $platform, sessions in Redis: $(echo "$out" | tail -n 1)"
  done
  # Two launches are 6 scripts (create, take, release each): the sessions went through this Redis.
  scripts=$(redis-cli -p "$redis_port" info commandstats | tr -d '\r' \
    | sed -n 's/^cmdstat_\(eval\|evalsha\):calls=\([0-9]*\),.*/\2/p' | awk '{ s += $1 } END { print s + 0 }')
  [ "${scripts:-0}" -ge 6 ] || fail "Redis ran ${scripts:-no} session scripts for two launches (6 expected)"
  keys=$(redis-cli -p "$redis_port" --scan --pattern '*') || fail "redis-cli --scan failed"
  sessions=$(echo "$keys" | grep -c 'session:' || true)
  [ "$sessions" -eq 0 ] || fail "$sessions session(s) left in Redis after the launches ended"
else
  echo "native-e2e: note: no redis-server here; the Redis session store is not run natively"
fi
echo "native-e2e: ok ($(wc -l < "$work/audit-all.jsonl") audit records, $(echo "$scrape" | grep -c '^gop_') gop_ metric lines)"
