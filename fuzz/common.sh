# Shared by fuzz/run.sh and fuzz/run-all.sh (sourced). Work folder: $GOP_FUZZ_WORK, default ${TMPDIR:-/tmp}/gop-fuzz.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${GOP_FUZZ_WORK:-${TMPDIR:-/tmp}/gop-fuzz}
bin=$work/bin
tools=$work/tools
vectors=${GOP_VECTORS:-$root/../shared/vectors}
harness_project=$root/tests/GuestOwnerProxy.Fuzz/GuestOwnerProxy.Fuzz.csproj
# The assemblies whose branches afl-fuzz sees: the crypto core, the server (broker, configuration, generated protos)
# and the protobuf runtime. BouncyCastle and the framework stay uninstrumented (signature maths is not a parser).
instrumented=(GuestOwnerProxy.Crypto.dll gop.dll Google.Protobuf.dll)
sharpfuzz_version=2.3.0
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

die() { echo "fuzz: error: $*" >&2; exit 2; }

harnesses() { (cd "$root/tests/GuestOwnerProxy.Fuzz" && sed -n 's/^ *\["\([a-z-]*\)"\] = .*/\1/p' Harnesses.cs); }

# Installs afl++ (Debian) and the sharpfuzz tool when missing, builds the harness and instruments it. Fails loudly.
prepare() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH"
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing afl++ from Debian"
    command -v apt-get >/dev/null 2>&1 || die "afl-fuzz is missing and there is no apt-get to install afl++"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null || die "apt-get update failed (afl++ cannot be installed)"
    apt-get install -y -q --no-install-recommends afl++ </dev/null || die "apt-get install afl++ failed"
    command -v afl-fuzz >/dev/null 2>&1 || die "afl++ installed but afl-fuzz is not on PATH"
  fi
  mkdir -p "$work"
  if [ ! -x "$tools/sharpfuzz" ]; then
    echo "fuzz: installing the sharpfuzz tool $sharpfuzz_version"
    dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version "$sharpfuzz_version" </dev/null \
      || die "dotnet tool install SharpFuzz.CommandLine failed"
  fi
  echo "fuzz: building and instrumenting the harness"
  rm -rf "$bin.new"
  dotnet build "$harness_project" -c Release -nologo -v q -o "$bin.new" </dev/null || die "the harness does not build"
  for dll in "${instrumented[@]}"; do
    [ -f "$bin.new/$dll" ] || die "$dll is not in the build output"
    "$tools/sharpfuzz" "$bin.new/$dll" </dev/null || die "sharpfuzz could not instrument $dll"
  done
  rm -rf "$bin" && mv "$bin.new" "$bin"
  # Seeds cut from the published vectors: generated at run time into the work folder, never committed.
  rm -rf "$work/vector-seeds"
  if [ -f "$vectors/README.md" ]; then
    dotnet "$bin/gop-fuzz.dll" seeds "$work/vector-seeds" "$vectors" </dev/null || die "the vector seeds could not be generated"
  elif [ "${CI:-}" = true ]; then
    die "$vectors not found (CI must seed from the vectors)"
  else
    echo "fuzz: warning: $vectors not found; seeding from fuzz/corpus only" >&2
  fi
  touch "$bin/.prepared"
}
