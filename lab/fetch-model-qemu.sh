#!/usr/bin/env bash
# Fetches, once, the QEMU that runs the lab's persistence model (docs/lab.md, "The persistence
# model") into the lab cache and prints its folder as the last line of stdout: Debian's
# qemu-system-x86 from bookworm-backports, extracted (never installed), and the
# qemu-plugin.h of the same version from Debian's source tarball. Logs go to stderr.
#
# Why not the installed qemu 7.2: its plugin API (version 1) cannot read registers, and TCG
# executes clwb/clflushopt/clflush as no-ops without a memory access, so a 7.2 plugin sees
# that a flush ran but never which line it flushed. API version 4 (QEMU 10.0) reads
# registers and guest memory: the plugin decodes the flush's operand and walks the guest's
# page tables. Ordinary lab runs keep the installed QEMU; only model boots use this one.
set -euo pipefail

CACHE_ROOT="${DAXBENCH_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daxbench/lab}"
SUITE="${DAXBENCH_MODEL_QEMU_SUITE:-bookworm-backports}"
# Pinned: the plugin is built against this version's header, and a moved backport would
# silently change the platform under every model result. Override to try another.
VERSION="${DAXBENCH_MODEL_QEMU_VERSION:-1:10.0.2+ds-2+deb13u1~bpo12+1}"
MIRROR="${DAXBENCH_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { echo "fetch-model-qemu: $*" >&2; }
die() { echo "fetch-model-qemu: error: $*" >&2; exit 1; }

for tool in apt-get dpkg tar ldd; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done
[[ "$VERSION" =~ ^[0-9]+:([0-9][0-9.]*)\+ ]] || die "cannot read the upstream version in '$VERSION'"
UPSTREAM="${BASH_REMATCH[1]}"
DEST="$CACHE_ROOT/model-qemu-${VERSION//[:~+]/_}"
if [ -f "$DEST/complete" ]; then
  echo "$DEST"
  exit 0
fi
mkdir -p "$CACHE_ROOT"
exec 8>"$DEST.lock"
flock 8  # another fetch of the same version: wait for it, then use its result
if [ -f "$DEST/complete" ]; then echo "$DEST"; exit 0; fi
rm -rf "$DEST.tmp"
mkdir -p "$DEST.tmp/lists/partial" "$DEST.tmp/debs" "$DEST.tmp/src"
# A private source list and lists folder: the machine's apt configuration is not touched.
cat >"$DEST.tmp/sources.list" <<EOF
deb $MIRROR $SUITE main
deb-src $MIRROR $SUITE main
EOF
APT=(-o "Dir::Etc::SourceList=$DEST.tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$DEST.tmp/lists" -o APT::Sandbox::User=root)
log "apt lists of $SUITE (private folder)"
apt-get "${APT[@]}" -qq update >&2 || die "apt-get update of $SUITE failed"
log "qemu-system-x86 $VERSION and its data, extracted into $DEST"
(cd "$DEST.tmp/debs" &&
  apt-get "${APT[@]}" -qq download "qemu-system-x86=$VERSION" "qemu-system-data=$VERSION" \
    "qemu-system-common=$VERSION" >&2) || die "cannot download qemu-system-x86=$VERSION from $SUITE"
for deb in "$DEST.tmp/debs"/*.deb; do dpkg -x "$deb" "$DEST.tmp/root"; done
# Only the orig tarball: the header is upstream's; Debian's patches do not touch the API.
log "qemu-plugin.h from the source package's orig tarball"
# The mirror keeps the orig tarball of a backport but not always its .dsc (a 404 that apt
# reports as a failure): the tarball's presence is the test, apt's messages only a log.
(cd "$DEST.tmp/src" && apt-get "${APT[@]}" -qq source --download-only "qemu=$VERSION") \
  >"$DEST.tmp/source.log" 2>&1 || true
orig="$(ls "$DEST.tmp/src"/qemu_*.orig.tar.* 2>/dev/null | head -1)"
[ -n "$orig" ] || { cat "$DEST.tmp/source.log" >&2; die "the orig tarball of qemu $VERSION did not download"; }
mkdir -p "$DEST.tmp/include"
tar -xf "$orig" -C "$DEST.tmp/src" --wildcards "*/include/qemu/qemu-plugin.h" ||
  die "no include/qemu/qemu-plugin.h in $orig"
cp "$DEST.tmp/src"/qemu-*/include/qemu/qemu-plugin.h "$DEST.tmp/include/"
rm -rf "$DEST.tmp/src" "$DEST.tmp/debs" "$DEST.tmp/lists"

BIN="$DEST.tmp/root/usr/bin/qemu-system-x86_64"
[ -x "$BIN" ] || die "the package has no qemu-system-x86_64"
missing="$(ldd "$BIN" | awk '/not found/ { print $1 }' | tr '\n' ' ')"
[ -z "$missing" ] || die "qemu-system-x86_64 $VERSION needs libraries not installed: $missing(apt-get install them from bookworm)"
got="$("$BIN" --version | head -1)"
[[ "$got" == *"version $UPSTREAM "* ]] || die "the extracted QEMU says '$got', not $UPSTREAM"
api="$(sed -n 's/^#define QEMU_PLUGIN_VERSION \([0-9]*\)$/\1/p' "$DEST.tmp/include/qemu-plugin.h")"
[ "${api:-0}" -ge 4 ] || die "qemu-plugin.h of $UPSTREAM has API version '${api:-?}'; the model needs 4 (register and memory reads)"
cat >"$DEST.tmp/model-qemu.env" <<EOF
# What lab/launch.sh --model reads (sourced).
MODEL_QEMU_BIN='$DEST/root/usr/bin/qemu-system-x86_64'
MODEL_QEMU_DATA='$DEST/root/usr/share/qemu'
MODEL_QEMU_VERSION='$VERSION'
MODEL_QEMU_PLUGIN_API='$api'
EOF
touch "$DEST.tmp/complete"
mv "$DEST.tmp" "$DEST"
log "ready: $got, plugin API $api"
echo "$DEST"
