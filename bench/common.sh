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
