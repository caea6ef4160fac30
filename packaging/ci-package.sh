#!/usr/bin/env bash
# CI's package step (.ci/run counts it as one test): build the .deb and the RPM (packaging/build-packages.sh: one
# Native AOT publish for both), list their contents and sizes, install the .deb on this machine (as root, with
# apt-get so its dependencies come along), run the installed `gop --version` and `gop check-config -c
# /etc/gop/keysets.json -k /etc/gop/keys.json`, run the installed native gop end to end (packaging/native-e2e.sh, under
# the kernel's W^X lock: serve, health, client GetBundle, simulated SEV, CSV and SEV-ES launches, SIGHUP, metrics, audit,
# sessions in Redis), check
# the systemd unit with `systemd-analyze verify` and report `systemd-analyze security` (installing Debian's systemd
# first if its tools are missing), then purge the package again. Any failure: `package: FAILED: reason`, exit 1.
# Needs root for the install; the rpm tools are installed from Debian (package rpm) when missing.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$(mktemp -d)
installed=no

fail() {
  echo "package: FAILED: $*"
  exit 1
}

cleanup() {
  if [ "$installed" = yes ]; then
    # Leave the machine as it was: the package, its unit and /etc/gop go again (the gop user stays, as Debian does).
    dpkg --purge gop >/dev/null 2>&1 || echo "package: warning: dpkg --purge gop failed"
  fi
  rm -rf "$out"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || fail "must run as root (installs the .deb)"
export DEBIAN_FRONTEND=noninteractive

apt_updated=no
apt_install() {
  if [ "$apt_updated" = no ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt_updated=yes
  fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1
}

command -v rpmbuild >/dev/null || apt_install rpm || fail "cannot install rpmbuild (Debian package rpm)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found (not a Debian machine?)"
# Native AOT links with clang against zlib (the ILCompiler package itself comes from NuGet with the restore).
command -v clang >/dev/null || apt_install clang || fail "cannot install clang (Native AOT links with it)"
dpkg -s zlib1g-dev >/dev/null 2>&1 || apt_install zlib1g-dev || fail "cannot install zlib1g-dev (Native AOT links libz)"

echo "== build"
packaging/build-packages.sh "$out" || fail "packaging/build-packages.sh failed"
deb=$(ls "$out"/gop_*_amd64.deb 2>/dev/null | head -1)
rpm=$(ls "$out"/gop-*.x86_64.rpm 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb was built"
[ -n "$rpm" ] || fail "no .rpm was built"

echo "== contents: $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
dpkg-deb --contents "$deb"
# The native build ships one executable: a managed assembly or a runtime library here means the JIT build slipped in.
dpkg-deb --contents "$deb" | grep -q '/usr/lib/gop/.*\.\(dll\|so\)$' && fail "the .deb ships .dll/.so files (not the native build)"
dpkg-deb --contents "$deb" | grep -q 'appsettings.Development.json' && fail "the .deb ships appsettings.Development.json"
echo "== contents: $(basename "$rpm") ($(du -h "$rpm" | cut -f1))"
rpm -qip "$rpm" 2>/dev/null | sed -n '1,12p'
echo "requires: $(rpm -qRp "$rpm" 2>/dev/null | grep -v '^rpmlib' | tr '\n' ' ')"
rpm -qlvp "$rpm" 2>/dev/null
rpm -qlp "$rpm" 2>/dev/null | grep -q '/usr/lib/gop/.*\.\(dll\|so\)$' && fail "the .rpm ships .dll/.so files (not the native build)"
rpm -qlp "$rpm" 2>/dev/null | grep -q 'appsettings.Development.json' && fail "the .rpm ships appsettings.Development.json"

echo "== install the .deb"
if dpkg -s gop >/dev/null 2>&1; then
  fail "a gop package is already installed on this machine; not touching it"
fi
installed=yes
apt_install "$deb" || dpkg -i "$deb" >/dev/null 2>&1 || fail "installing $(basename "$deb") failed"
dpkg -s gop >/dev/null 2>&1 || fail "the gop package is not installed after apt-get install"

echo "== installed gop"
version=$(/usr/bin/gop --version) || fail "the installed gop --version failed"
echo "gop --version: $version"
[ -n "$version" ] || fail "the installed gop --version printed nothing"
check=$(cd / && /usr/bin/gop check-config -c /etc/gop/keysets.json -k /etc/gop/keys.json 2>&1) \
  || { echo "$check"; fail "the installed gop check-config -c /etc/gop/keysets.json -k /etc/gop/keys.json failed"; }
echo "$check"
mode=$(stat -c '%a %U' /etc/gop/keys.json)
[ "$mode" = "600 gop" ] || fail "/etc/gop/keys.json is '$mode', not '600 gop'"
echo "/etc/gop/keys.json: $mode; /var/log/gop: $(stat -c '%a %U' /var/log/gop)"

echo "== installed native gop end to end"
packaging/native-e2e.sh /usr/bin/gop || fail "packaging/native-e2e.sh /usr/bin/gop failed"

echo "== systemd unit"
if ! command -v systemd-analyze >/dev/null; then
  apt_install systemd || echo "package: note: systemd-analyze not available and systemd cannot be installed; unit not checked"
fi
if command -v systemd-analyze >/dev/null; then
  # verify: syntax, known directives, the ExecStart binary exists (the installed one).
  verify=$(systemd-analyze verify /lib/systemd/system/gop.service 2>&1)
  status=$?
  [ -z "$verify" ] || echo "$verify"
  [ "$status" -eq 0 ] || fail "systemd-analyze verify gop.service failed"
  echo "systemd-analyze verify: ok"
  security=$(systemd-analyze security --offline=yes /lib/systemd/system/gop.service 2>&1) \
    || { echo "$security"; fail "systemd-analyze security gop.service failed"; }
  echo "$security" | grep -v '^✓' | tail -n 20
  score=$(echo "$security" | sed -n 's/.*Overall exposure level for gop.service: \([0-9.]*\).*/\1/p')
  [ -n "$score" ] || fail "systemd-analyze security printed no exposure level"
  echo "systemd-analyze security exposure: $score"
  # The unit is written to stay at "OK" (below 2.0): a change that loosens it fails here.
  awk -v s="$score" 'BEGIN { exit !(s < 2.0) }' || fail "exposure $score is not below 2.0"
fi

echo "package: ok ($(basename "$deb"), $(basename "$rpm"))"
