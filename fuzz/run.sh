#!/usr/bin/env bash
# fuzz/run.sh HARNESS SECONDS — fuzz one SharpFuzz harness with afl-fuzz for SECONDS (installing afl++ and the
# sharpfuzz tool if needed, building and instrumenting tests/GuestOwnerProxy.Fuzz), then print executions, coverage
# and crashes. Exit 0: no crash; 1: crashes (kept under $GOP_FUZZ_WORK/crashes/HARNESS, replayed below); 2: the
# fuzzer could not run. `fuzz/run.sh --list` names the harnesses. GOP_FUZZ_SKIP_PREPARE=1 reuses the last build.
set -uo pipefail
source "$(dirname "$0")/common.sh"

# Read whole before it runs: editing or pulling this file during a long run cannot change the run.
main() {

  if [ "${1:-}" = --list ]; then harnesses; exit 0; fi
  if [ "${1:-}" = --prepare ]; then prepare; exit 0; fi
  [ $# -eq 2 ] || { echo "usage: fuzz/run.sh HARNESS SECONDS   (harnesses: $(harnesses | tr '\n' ' '))" >&2; exit 2; }
  harness=$1 seconds=$2
  # GOP_FUZZ_SELFTEST=1 also accepts `selftest`: a planted crash, to check that a crash is found and reported (exit 1).
  selftest=false
  [ "$harness" = selftest ] && [ "${GOP_FUZZ_SELFTEST:-}" = 1 ] && selftest=true
  $selftest || harnesses | grep -qx -- "$harness" || die "unknown harness '$harness' (harnesses: $(harnesses | tr '\n' ' '))"
  [[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || die "SECONDS must be a positive integer"

  if [ "${GOP_FUZZ_SKIP_PREPARE:-}" != 1 ] || [ ! -f "$bin/.prepared" ]; then prepare; fi
  command -v afl-fuzz >/dev/null 2>&1 || die "afl-fuzz not found"

  # Input: the committed corpus, the vector seeds and whatever earlier runs here found (kept across runs).
  in=$work/in/$harness out=$work/out/$harness kept=$work/corpus/$harness crashes=$work/crashes/$harness
  rm -rf "$in" "$out" && mkdir -p "$in" "$kept" "$crashes" "$work/out"
  if $selftest; then
    printf CRB >"$in/seed"
  else
    cp "$root/fuzz/corpus/$harness"/* "$in"/ 2>/dev/null || die "no committed seeds in fuzz/corpus/$harness"
  fi
  [ -d "$work/vector-seeds/$harness" ] && cp "$work/vector-seeds/$harness"/* "$in"/
  find "$kept" -type f -exec cp {} "$in"/ \;

  # A seed that already crashes would stop afl-fuzz before it starts: replay all of them first, in one process.
  echo "== fuzz $harness: replaying $(ls "$in" | wc -l) seeds"
  if ! dotnet "$bin/gop-fuzz.dll" replay "$harness" "$in"/* </dev/null; then
    cp "$in"/* "$crashes"/ 2>/dev/null
    echo "fuzz $harness: CRASH on a seed input (see above)"
    exit 1
  fi

  echo "== fuzz $harness: afl-fuzz for ${seconds}s"
  export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
    AFL_FORKSRV_INIT_TMOUT=180000 AFL_FAST_CAL=1
  log=$work/afl-$harness.log
  # -V stops afl-fuzz after SECONDS; the outer timeout only guards against a wedged fuzzer.
  timeout -k 30 $((seconds + 600)) afl-fuzz -i "$in" -o "$out" -V "$seconds" -t 10000 -m none -- \
    "$(command -v dotnet)" "$bin/gop-fuzz.dll" "$harness" </dev/null >"$log" 2>&1
  rc=$?
  stats=$out/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    tail -n 40 "$log" >&2
    die "afl-fuzz did not run for $harness (exit $rc; log $log)"
  fi
  stat() { sed -n "s/^$1 *: *//p" "$stats" | head -n1; }
  find "$out/default/queue" -maxdepth 1 -type f -name 'id:*' -exec cp {} "$kept"/ \;
  ncrash=$(find "$out/default/crashes" -maxdepth 1 -type f -name 'id:*' | wc -l)
  echo "fuzz $harness: $(stat execs_done) executions ($(stat execs_per_sec)/s) in $(stat run_time)s; coverage $(stat edges_found) edges ($(stat bitmap_cvg) of the map), $(stat corpus_count) paths; $ncrash crashes, $(stat saved_hangs) hangs"
  if [ "$rc" -ne 0 ]; then
    tail -n 40 "$log" >&2
    die "afl-fuzz exited with $rc for $harness (log $log)"
  fi
  if [ "$ncrash" -gt 0 ]; then
    cp "$out/default/crashes"/id:* "$crashes"/
    echo "fuzz $harness: CRASH: $ncrash inputs in $crashes; replayed:"
    dotnet "$bin/gop-fuzz.dll" replay "$harness" "$out/default/crashes"/id:* </dev/null 2>&1 | head -n 80
    exit 1
  fi
  exit 0
}
main "$@"
