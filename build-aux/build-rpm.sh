#!/bin/sh
# Builds the rewind and rewind-helper RPMs the way a distribution would: from
# the "meson dist" tarball and the vendor tarball of node_modules, offline,
# with build-aux/rewind.spec. Then runs rpmlint on the spec and the RPMs.
#
# Usage: sh build-aux/build-rpm.sh OUTDIR
# Leaves OUTDIR/noarch/*.rpm, OUTDIR/SOURCES/ (both tarballs), OUTDIR/rpmlint.txt
# and OUTDIR/times.txt (seconds per step). Needs rpm, rpmlint, meson, git and
# an "npm ci"-installed node_modules in the checkout.
#
# meson dist archives the last commit (git archive HEAD): uncommitted changes
# are not in the tarball. It runs with --no-tests: the dist check would build
# without node_modules and then run the whole test suite a second time.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$root/meson.build")
work=$(mktemp -d "${TMPDIR:-/tmp}/rewind-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
rm -rf "$out/SOURCES" "$out/noarch" "$out/rpmlint.txt" "$out/times.txt"
mkdir -p "$out/SOURCES"

SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct)
export SOURCE_DATE_EPOCH

step() {
  name=$1
  shift
  start=$(date +%s)
  "$@"
  echo "$name $(($(date +%s) - start))" >>"$out/times.txt"
}

dist() {
  meson setup "$work/dist-build" "$root" >/dev/null
  meson dist -C "$work/dist-build" --no-tests --formats xztar
  mv "$work/dist-build/meson-dist/rewind-$version.tar.xz" "$out/SOURCES/"
}
step dist dist
step vendor node "$root/build-aux/vendor-node-modules.mjs" "$out/SOURCES/rewind-$version-node-modules.tar.xz" >/dev/null

# The spec's BuildRequires name Fedora packages; rpm on Debian has an empty
# package database, so they are not checked here (install-deps.sh installs
# the Debian equivalents). Debian's rpm runs brp-compress (which gzips man
# pages) with /bin/sh, and dash has no "read -d" the script uses, so it
# compresses nothing; run by bash it does what it does on Fedora.
step rpmbuild rpmbuild -bb --nodeps \
  --define "__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}" \
  --define "_topdir $work/rpmbuild" \
  --define "_sourcedir $out/SOURCES" \
  --define "_rpmdir $out" \
  --define "_smp_build_ncpus 1" \
  --define "use_source_date_epoch_as_buildtime 1" \
  --define "clamp_mtime_to_source_date_epoch 1" \
  --quiet \
  "$root/build-aux/rewind.spec"

# rpmlint with the explained findings filtered (build-aux/rewind.rpmlintrc);
# tests/system/packaging.test.ts checks that nothing else is reported.
lint() {
  rpmlint -r "$root/build-aux/rewind.rpmlintrc" "$root/build-aux/rewind.spec" "$out"/noarch/*.rpm >"$out/rpmlint.txt" 2>&1 || true
}
step rpmlint lint
ls -l "$out"/noarch/*.rpm
cat "$out/rpmlint.txt"
cat "$out/times.txt"
