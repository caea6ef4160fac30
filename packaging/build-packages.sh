#!/usr/bin/env bash
# Builds the gop packages from one Native AOT `dotnet publish` of src/GuestOwnerProxy (linux-x64: one native `gop`
# executable, no .NET runtime on the host or in the package): OUTDIR/gop_VERSION_amd64.deb (dpkg-deb) and
# OUTDIR/gop-VERSION-1.x86_64.rpm (rpmbuild, Debian package `rpm`), both from the same publish output. The layout
# is in packaging/README.md.
# Usage: packaging/build-packages.sh [OUTDIR]   (default packaging/out; exits non-zero, printing
# `package: FAILED: reason`, when a step fails). GOP_PUBLISHED=DIR packages an existing native publish output
# instead of publishing again (CI publishes once and runs the native end-to-end test on the same binary).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-$root/packaging/out}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

fail() { echo "package: FAILED: $*" >&2; exit 1; }

publish=${GOP_PUBLISHED:-}
if [ -z "$publish" ]; then
  echo "== publish (Native AOT, linux-x64)"
  publish=$work/publish
  dotnet publish src/GuestOwnerProxy/GuestOwnerProxy.csproj -c Release -r linux-x64 -p:PublishAot=true \
    -o "$publish" -nologo -v q || fail "dotnet publish (Native AOT linux-x64) failed"
fi
[ -x "$publish/gop" ] || fail "no executable gop in $publish"
[ ! -e "$publish/appsettings.Development.json" ] || fail "appsettings.Development.json is in the publish output"
# A native build has no managed assemblies; one here means a JIT publish slipped in.
[ ! -e "$publish/gop.dll" ] || fail "$publish holds gop.dll: not a Native AOT publish"
full_version=$("$publish/gop" --version) || fail "the published gop --version failed"
version=${full_version%%+*}
version=${version%%-*}
echo "version $version ($full_version)"

# The installed tree, shared by both packages (only the unit's directory differs).
stage=$work/stage
install -d "$stage/usr/lib/gop" "$stage/usr/bin" "$stage/etc/gop/intermediates" "$stage/var/log/gop" "$stage/usr/share/doc/gop"
# The executable and its built-in defaults; the debug symbols (gop.dbg) and the libraries' .pdb stay out.
install -m 0755 "$publish/gop" "$stage/usr/lib/gop/gop"
install -m 0644 "$publish/appsettings.json" "$stage/usr/lib/gop/appsettings.json"
# Settings: the built-in defaults (appsettings.json) beside the binary, the operator's in /etc/gop (Production).
ln -s /etc/gop/appsettings.json "$stage/usr/lib/gop/appsettings.Production.json"
ln -s /usr/lib/gop/gop "$stage/usr/bin/gop"
install -m 0640 packaging/etc/appsettings.json "$stage/etc/gop/appsettings.json"
install -m 0600 packaging/etc/keysets.json "$stage/etc/gop/keysets.json"
install -m 0600 packaging/etc/keys.json "$stage/etc/gop/keys.json"
install -m 0644 README.md LICENSE "$stage/usr/share/doc/gop/"
install -m 0644 packaging/README.md "$stage/usr/share/doc/gop/packaging.md"
logrotate=no
if [ -f packaging/logrotate/gop ]; then
  install -d "$stage/etc/logrotate.d"
  install -m 0644 packaging/logrotate/gop "$stage/etc/logrotate.d/gop"
  logrotate=yes
fi

echo "== deb (dpkg-deb)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb not found"
deb=$work/deb
cp -a "$stage" "$deb"
install -d "$deb/lib/systemd/system" "$deb/DEBIAN"
install -m 0644 packaging/systemd/gop.service "$deb/lib/systemd/system/gop.service"
{
  echo /etc/gop/appsettings.json
  echo /etc/gop/keysets.json
  echo /etc/gop/keys.json
  [ "$logrotate" = no ] || echo /etc/logrotate.d/gop
} > "$deb/DEBIAN/conffiles"
installed_size=$(du -sk "$deb" | cut -f1)
cat > "$deb/DEBIAN/control" <<CONTROL
Package: gop
Version: $version
Architecture: amd64
Maintainer: GuestOwnerProxy maintainers <gop@localhost>
Section: admin
Priority: optional
Installed-Size: $installed_size
Depends: libc6 (>= 2.27), libgcc-s1, libssl3 | libssl3t64 | libssl1.1, passwd
Recommends: ca-certificates
Description: guest owner proxy (key broker) for confidential containers
 Verifies Hygon CSV and AMD SEV platform chains and launch measurements and releases
 the guest owner's keys to kata confidential containers. One native executable
 (.NET Native AOT): the host needs no .NET runtime.
CONTROL
install -m 0755 packaging/scripts/postinst "$deb/DEBIAN/postinst"
install -m 0755 packaging/scripts/prerm "$deb/DEBIAN/prerm"
deb_file=$out/gop_${version}_amd64.deb
dpkg-deb --root-owner-group --build "$deb" "$deb_file" >/dev/null || fail "dpkg-deb --build failed"
echo "built $deb_file"

echo "== rpm (rpmbuild)"
command -v rpmbuild >/dev/null || fail "rpmbuild not found (Debian package rpm)"
rpmtop=$work/rpm
mkdir -p "$rpmtop"/{BUILD,RPMS,SPECS,SRPMS,BUILDROOT}
logrotate_files=""
[ "$logrotate" = no ] || logrotate_files="%config(noreplace) /etc/logrotate.d/gop"
sed -e "s|@VERSION@|$version|g" -e "s|@STAGE@|$stage|g" -e "s|@LOGROTATE@|$logrotate_files|g" -e "s|@ROOT@|$root|g" \
  -e '/@POSTINST@/{r packaging/scripts/postinst' -e 'd}' -e '/@PRERM@/{r packaging/scripts/prerm' -e 'd}' \
  packaging/rpm/gop.spec.in > "$rpmtop/SPECS/gop.spec"
rpmbuild -bb --target x86_64-linux --define "_topdir $rpmtop" "$rpmtop/SPECS/gop.spec" >"$work/rpmbuild.log" 2>&1 \
  || { cat "$work/rpmbuild.log" >&2; fail "rpmbuild failed"; }
rpm_file=$(find "$rpmtop/RPMS" -name 'gop-*.rpm' | head -1)
[ -n "$rpm_file" ] || fail "rpmbuild produced no package"
cp "$rpm_file" "$out/"
echo "built $out/$(basename "$rpm_file")"
