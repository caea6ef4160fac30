#!/usr/bin/env bash
# fuzz/run-all.sh SECONDS — every harness in turn for SECONDS each (one build for all). Exit 1 if any crashed,
# 2 if a fuzzer could not run; the last line names the harnesses that failed.
set -uo pipefail
source "$(dirname "$0")/common.sh"

# Read whole before it runs: editing or pulling this file during a long run cannot change the run.
main() {
  [ $# -eq 1 ] && [[ "$1" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run-all.sh SECONDS" >&2; exit 2; }
  prepare
  crashed=() broken=()
  for harness in $(harnesses); do
    GOP_FUZZ_SKIP_PREPARE=1 "$root/fuzz/run.sh" "$harness" "$1"
    case $? in
      0) ;;
      1) crashed+=("$harness") ;;
      *) broken+=("$harness") ;;
    esac
  done
  if [ ${#crashed[@]} -eq 0 ] && [ ${#broken[@]} -eq 0 ]; then
    echo "fuzz: all $(harnesses | wc -l) harnesses ran ${1}s each without a crash"
    exit 0
  fi
  echo "fuzz: FAILED: crashed: ${crashed[*]:-none}; could not run: ${broken[*]:-none}"
  [ ${#broken[@]} -eq 0 ] && exit 1 || exit 2
}
main "$@"
