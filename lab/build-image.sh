#!/usr/bin/env bash
# Builds the emulated-pmem lab's guest image (kernel + initramfs) once into a cache folder
# and prints that folder as the last line of stdout. Logs go to stderr. Installs nothing.
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${DAXBENCH_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daxbench/lab}"

# Modules the guest may load, by name; their `depends=` are added at build time. nd_btt is
# a hard dependency of nd_pmem; ext4/xfs need a crc32c implementation at mount time (a
# softdep, so it is listed explicitly); 9p over virtio carries the guest's root filesystem;
# pvpanic-mmio tells QEMU of a guest panic, which then exits with a failure status;
# overlay gives the guest a writable /tmp that still shows the host's; virtio_pmem (with
# nd_virtio, its flush path) gives the virtio-* kinds their pmem region.
MODULES=(libnvdimm nd_btt nd_pmem nd_e820 nfit crc16 mbcache jbd2 crc32c_generic
         crc32c-intel libcrc32c ext4 xfs device_dax dax_pmem nd_virtio virtio_pmem
         virtio_ring virtio virtio_pci netfs fscache 9pnet 9pnet_virtio 9p pvpanic-mmio overlay)

log() { echo "build-image: $*" >&2; }
die() { echo "build-image: error: $*" >&2; exit 1; }

for tool in apt-cache apt-get dpkg dpkg-query sha256sum; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done
BUSYBOX=/bin/busybox
# (grep without -q: with pipefail, -q's early exit would fail the pipeline on SIGPIPE)
if ! { [ -x "$BUSYBOX" ] && "$BUSYBOX" --list | grep -x depmod >/dev/null; }; then
  die "busybox-static is not installed (apt-get install busybox-static)"
fi
# Only the static build runs in an initramfs that carries no libc.
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  die "$BUSYBOX is not statically linked: install busybox-static"
fi

# --- Inputs and cache key --------------------------------------------------------------
# The ABI number behind linux-image-amd64 moves with Debian's updates: resolve it now.
# One apt-cache call gives name and version ("Depends: linux-image-6.1.0-NN-amd64 (= V)"):
# each call costs ≈0.5 s here (no pkgcache.bin), and the cache hit should stay fast.
# Prints "PACKAGE VERSION" or nothing.
resolve_kernel() {
  if [ -n "${DAXBENCH_LAB_KERNEL:-}" ]; then
    apt-cache show --no-all-versions "$DAXBENCH_LAB_KERNEL" 2>/dev/null |
      awk -v p="$DAXBENCH_LAB_KERNEL" '$1 == "Version:" { print p, $2; exit }'
  else
    apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
      sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -1
  fi
}
KERNEL_SPEC="$(resolve_kernel || true)"
if [ -z "$KERNEL_SPEC" ] && [ "$(id -u)" -eq 0 ] &&
   ! apt-cache show --no-all-versions linux-image-amd64 >/dev/null 2>&1; then
  # A fresh machine may have empty apt lists; refreshing them installs nothing. Lists that
  # know linux-image-amd64 are not empty: a bad pin is the pin's fault.
  log "apt lists know no ${DAXBENCH_LAB_KERNEL:-linux-image-amd64}: running apt-get update"
  apt-get update -qq >&2 || true
  KERNEL_SPEC="$(resolve_kernel || true)"
fi
[ -n "$KERNEL_SPEC" ] || die "cannot resolve the kernel package ${DAXBENCH_LAB_KERNEL:-behind linux-image-amd64} (run apt-get update; pin with DAXBENCH_LAB_KERNEL=linux-image-6.1.0-XX-amd64)"
KPKG="${KERNEL_SPEC%% *}" KVER_PKG="${KERNEL_SPEC#* }"
[[ "$KPKG" =~ ^linux-image-[0-9][A-Za-z0-9.+-]*$ ]] || die "bad kernel package name '$KPKG'"
BB_VER="$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)"
[ -n "$BB_VER" ] || die "busybox-static is not installed"

KEY="$( { printf '%s\n' "kernel=$KPKG $KVER_PKG" "busybox-static=$BB_VER"
          sha256sum "$LAB/init" "$LAB/build-image.sh" | cut -d' ' -f1; } |
        sha256sum | cut -c1-12)"
IMAGE="$CACHE_ROOT/image-$KEY"

if [ -f "$IMAGE/complete" ]; then
  touch "$IMAGE/complete"  # its mtime is when it was last used: pruning spares recent ones
  log "cached: $IMAGE"
  echo "$IMAGE"
  exit 0
fi

mkdir -p "$CACHE_ROOT/debs"
# Build in a private temp folder next to the final one, then rename: an interrupted build
# never leaves a folder that has a `complete` marker.
WORK="$(mktemp -d "$CACHE_ROOT/.build-$KEY.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
log "building $IMAGE ($KPKG $KVER_PKG, busybox-static $BB_VER)"

# --- Kernel package: download (cached) and unpack, never install -----------------------
DEB="$CACHE_ROOT/debs/${KPKG}_${KVER_PKG//:/%3a}_amd64.deb"
if [ ! -s "$DEB" ]; then
  log "downloading $KPKG=$KVER_PKG"
  # apt-get download writes into the current folder; fetch into WORK and move, so a
  # half-downloaded .deb is never taken for a whole one.
  (cd "$WORK" && apt-get download -q "$KPKG=$KVER_PKG" 2>&1 | grep -v 'unsandboxed as root' >&2) || true
  got="$(find "$WORK" -maxdepth 1 -name "${KPKG}_*.deb" | head -1)"
  [ -n "$got" ] || die "apt-get download $KPKG=$KVER_PKG failed"
  mv "$got" "$DEB"
fi
dpkg -x "$DEB" "$WORK/pkg" || die "dpkg -x $DEB failed"
KREL="$(ls "$WORK/pkg/lib/modules")"
if [ -z "$KREL" ] || [ "$(echo "$KREL" | wc -l)" -ne 1 ]; then
  die "expected one kernel release in $DEB, found: $KREL"
fi
VMLINUZ="$WORK/pkg/boot/vmlinuz-$KREL"
[ -f "$VMLINUZ" ] || die "no vmlinuz in $DEB"
KMOD="$WORK/pkg/lib/modules/$KREL"

mkdir -p "$WORK/image"
# --- Uncompressed vmlinux for QEMU's PVH entry (≈2.3 s faster per boot than bzImage) ---
# Like the kernel's scripts/extract-vmlinux: try every offset of a known compressor's
# magic; the decompressor complains about the trailing bytes, so judge by the output.
extract_vmlinux() {
  local out="$1" magic cmd off
  # grep -P patterns: a bash string cannot hold the NUL bytes of these magics.
  for spec in '\xfd7zXZ\x00|xz -dc' '\x5d\x00\x00\x00|xz -dc --format=lzma' \
              '\x28\xb5\x2f\xfd|zstd -dcq' '\x1f\x8b\x08|gzip -dc'; do
    magic="${spec%%|*}" cmd="${spec#*|}"
    command -v "${cmd%% *}" >/dev/null || continue
    while read -r off; do
      tail -c "+$((off + 1))" "$VMLINUZ" | $cmd >"$out" 2>/dev/null || true
      if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        log "vmlinux: ${cmd%% *} payload at offset $off"
        return 0
      fi
    done < <(LC_ALL=C grep -aboP "$magic" "$VMLINUZ" 2>/dev/null | cut -d: -f1)
  done
  rm -f "$out"
  return 1
}
# The PVH entry point is the Xen ELF note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
has_pvh_note() {
  command -v readelf >/dev/null &&
    readelf -n "$1" 2>/dev/null | awk '$1 == "Xen" && /\(0x00000012\)/ { found = 1 } END { exit !found }'
}
KERNEL_FILE=vmlinux BOOT_NOTE="uncompressed vmlinux, PVH entry"
if extract_vmlinux "$WORK/image/vmlinux" && has_pvh_note "$WORK/image/vmlinux"; then
  :
else
  log "WARNING: no vmlinux with a PVH note could be extracted (or readelf is missing);" \
      "falling back to the compressed vmlinuz: each boot will be ≈2.3 s slower"
  rm -f "$WORK/image/vmlinux"
  cp "$VMLINUZ" "$WORK/image/vmlinuz"
  KERNEL_FILE=vmlinuz BOOT_NOTE="compressed vmlinuz (bzImage entry): no PVH vmlinux"
fi

# --- initramfs: static busybox, /init, the modules and their dependencies ---------------
RD="$WORK/initramfs"
mkdir -p "$RD"/{bin,dev,proc,sys,newroot,tmp} "$RD/lib/modules/$KREL"
cp "$BUSYBOX" "$RD/bin/busybox"
# Applet links at build time: the guest then needs no `busybox --install` at every boot.
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$RD/bin/$applet"
done
install -m 0755 "$LAB/init" "$RD/init"

declare -A MODFILE=() WANTED=()
while IFS= read -r f; do
  n="$(basename "$f" .ko)"; MODFILE[${n//-/_}]="$f"
done < <(cd "$KMOD" && find kernel -name '*.ko')
declare -A BUILTIN=()
while IFS= read -r f; do
  n="$(basename "$f" .ko)"; BUILTIN[${n//-/_}]=1
done < "$KMOD/modules.builtin"

# Adds a module and, recursively, what its .modinfo `depends=` names.
want() {
  local n="${1//-/_}" deps d
  [ -n "${WANTED[$n]:-}" ] && return 0
  if [ -n "${BUILTIN[$n]:-}" ]; then WANTED[$n]=builtin; return 0; fi
  [ -n "${MODFILE[$n]:-}" ] || die "kernel $KREL has no module '$n'"
  WANTED[$n]="${MODFILE[$n]}"
  deps="$(tr '\0' '\n' < "$KMOD/${MODFILE[$n]}" | sed -n 's/^depends=//p' | head -1)"
  for d in ${deps//,/ }; do want "$d"; done
}
for m in "${MODULES[@]}"; do want "$m"; done
builtin_list=() module_list=()
for n in "${!WANTED[@]}"; do
  f="${WANTED[$n]}"
  if [ "$f" = builtin ]; then builtin_list+=("$n"); continue; fi
  module_list+=("$n")
  mkdir -p "$RD/lib/modules/$KREL/$(dirname "$f")"
  cp "$KMOD/$f" "$RD/lib/modules/$KREL/$f"
done
cp "$KMOD/modules.builtin" "$KMOD/modules.order" "$RD/lib/modules/$KREL/"
"$BUSYBOX" depmod -b "$RD" "$KREL" || die "busybox depmod failed"
[ -s "$RD/lib/modules/$KREL/modules.dep" ] || die "depmod wrote no modules.dep"
log "modules: ${#module_list[@]} copied$( [ ${#builtin_list[@]} -eq 0 ] || echo ", built in: ${builtin_list[*]}")"

# busybox cpio: the host has no cpio. Paths are relative, so the archive root is RD.
# Left uncompressed: gunzipping 3 MB under TCG cost ≈0.2 s of every boot, for 8 MB of disk.
(cd "$RD" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) \
  >"$WORK/image/initramfs.cpio"
# A failed cpio yields a few bytes (a trailer at most), and the guest then hangs silently.
rd_size="$(stat -c %s "$WORK/image/initramfs.cpio")"
[ "$rd_size" -gt 2000000 ] || die "initramfs is only $rd_size bytes: cpio failed"
[ "$(head -c 6 "$WORK/image/initramfs.cpio")" = 070701 ] || die "initramfs.cpio is no newc archive"

cp "$WORK/pkg/boot/config-$KREL" "$WORK/image/config-$KREL"
kernel_size="$(stat -c %s "$WORK/image/$KERNEL_FILE")"
{
  echo "daxbench lab image $KEY"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "kernel_package: $KPKG $KVER_PKG"
  echo "kernel_release: $KREL"
  echo "kernel_file: $KERNEL_FILE ($BOOT_NOTE), $kernel_size bytes"
  echo "initramfs: initramfs.cpio (uncompressed newc), $rd_size bytes"
  echo "busybox-static: $BB_VER"
  echo "init_sha256: $(sha256sum "$LAB/init" | cut -d' ' -f1)"
  echo "build_script_sha256: $(sha256sum "$LAB/build-image.sh" | cut -d' ' -f1)"
  echo "modules: $(printf '%s\n' "${module_list[@]}" | sort | tr '\n' ' ')"
  echo "builtin: ${builtin_list[*]:-(none)}"
} >"$WORK/image/manifest.txt"
echo "$KREL" >"$WORK/image/kernel-release"
# The marker last: a folder without it is never used.
touch "$WORK/image/complete"

rm -rf "$WORK/pkg" "$RD"
# A folder without the marker is no build of ours that finished: replace it.
[ -f "$IMAGE/complete" ] || rm -rf "$IMAGE"
if ! mv -T "$WORK/image" "$IMAGE" 2>/dev/null; then
  # Another build finished first (same inputs, same result): use that one.
  [ -f "$IMAGE/complete" ] || die "cannot move the image into $IMAGE"
  log "another build made $IMAGE first; using it"
fi
log "done: $KERNEL_FILE $kernel_size bytes, initramfs $rd_size bytes"
# Images of other inputs (each ~150 MB with its templates) go once unused for a day. Not
# at once: another checkout (a second clone, CI beside a working tree) may be using one.
for old in "$CACHE_ROOT"/image-*; do
  [ "$old" != "$IMAGE" ] && [ -f "$old/complete" ] || continue
  if [ -n "$(find "$old/complete" -mmin +1440 2>/dev/null)" ]; then
    log "removing image $old (unused for a day)"
    rm -rf "$old"
  fi
done
echo "$IMAGE"
