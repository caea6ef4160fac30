#!/usr/bin/env bash
# JIT vs native (Native AOT) gop on this machine, loopback only, a few minutes: `gop --version`, start-up to
# listening, `gop client GetBundle` (beside the Python gop-client.py when given) and server RSS after 10,000
# launches per GC setting. Prints a table and writes JSON (bench/native/measure.py does the timing).
# Usage: bench/native/measure.sh [--jit DIR] [--aot DIR] [--python-client gop-client.py] [--out FILE.json]
#                                [--runs N] [--startup-runs N] [--launches N] [--concurrency N] [--gc NAME ...]
#   --jit/--aot DIR  an existing publish output holding gop (otherwise both are published here first: the JIT one
#                    self-contained as the packages shipped it before, the native one as they ship it now)
#   --python-client  the original proxy's gop-client.py, with pre_attestation_pb2*.py generated beside it
#                    (docs/benchmarks.md, "Native binary"); run with /usr/bin/python3 (Debian's python3-grpcio)
#   --gc NAME        a GC setting for the memory runs ("server GC", "workstation GC", "workstation, non-concurrent";
#                    repeatable; default all three)
# Exits non-zero, printing `measure: FAILED: reason`, when a step fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
jit="" aot="" out="$repo/bench/native/result.json" pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --jit) jit=$2; shift 2 ;;
    --aot) aot=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --python-client|--runs|--startup-runs|--launches|--concurrency|--gc) pass+=("$1" "$2"); shift 2 ;;
    *) echo "measure: FAILED: unknown argument '$1' (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "$jit" ]; then
  echo "== publish JIT (self-contained linux-x64)"
  dotnet publish src/GuestOwnerProxy -c Release -r linux-x64 --self-contained true -o "$work/jit" -nologo -v q \
    || { echo "measure: FAILED: JIT publish" >&2; exit 1; }
  jit=$work/jit
fi
if [ -z "$aot" ]; then
  echo "== publish native (PublishAot)"
  dotnet publish src/GuestOwnerProxy -c Release -r linux-x64 -p:PublishAot=true -o "$work/aot" -nologo -v q \
    || { echo "measure: FAILED: native publish" >&2; exit 1; }
  aot=$work/aot
fi
for d in "$jit" "$aot"; do
  [ -x "$d/gop" ] || { echo "measure: FAILED: no executable $d/gop" >&2; exit 1; }
done
echo "== build the load test"
dotnet build bench/GuestOwnerProxy.LoadTest -c Release -nologo -v q >/dev/null \
  || { echo "measure: FAILED: building bench/GuestOwnerProxy.LoadTest" >&2; exit 1; }

python3 bench/native/measure.py --repo "$repo" --variant "jit=$jit/gop" --variant "aot=$aot/gop" \
  --load-test bench/GuestOwnerProxy.LoadTest/bin/Release/net10.0/GuestOwnerProxy.LoadTest.dll \
  --out "$out" "${pass[@]}"
