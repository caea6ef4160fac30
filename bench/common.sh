# Shared by bench/compare.sh and bench/redis-vs-memory.sh (sourced; the caller defines die).

# free_port FROM: the first loopback port from FROM on that nothing answers on (a server started on it may still lose
# it to another process; the callers read the port the server reports).
free_port() {
  local p
  for p in $(seq "$1" $(( $1 + 200 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port from $1"
}

# listening_port LOG PID METRICS_PORT WHAT: the gRPC port gop serve (PID) reports in LOG ("Now listening on", the
# metrics listener's excluded), waiting up to 60 s; dies if the server exits first or never says.
listening_port() {
  local log=$1 pid=$2 metrics=$3 what=$4 found=""
  for _ in $(seq 1 600); do
    found=$(grep -oE 'Now listening on: http://127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' | grep -vx "$metrics" | head -1 || true)
    [[ -n "$found" ]] && { echo "$found"; return; }
    kill -0 "$pid" 2>/dev/null || { tail -20 "$log" >&2; die "$what exited before listening"; }
    sleep 0.1
  done
  die "$what did not listen within 60 s (log: $log)"
}
