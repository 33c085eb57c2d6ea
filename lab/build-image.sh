#!/usr/bin/env bash
# Builds the emulated-pmem lab's guest image (kernel + initramfs) once into a cache folder
# and prints that folder as the last line of stdout. Logs go to stderr. Installs nothing.
# The kernel: a Debian package (the default), a kernel build tree, or kernel files.
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${DAXBENCH_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/daxbench/lab}"

usage() {
  cat <<'USAGE'
usage: lab/build-image.sh                      the kernel behind linux-image-amd64, or
                                               $DAXBENCH_LAB_KERNEL when set
       lab/build-image.sh --package NAME       a linux-image-* package (a metapackage such as
                                               linux-image-rt-amd64 is resolved)
       lab/build-image.sh --build DIR          a kernel build tree (after make and make modules)
       lab/build-image.sh --kernel FILE [--modules DIR] [--config FILE]
                                               a bzImage or vmlinux; DIR an INSTALL_MOD_PATH root
                                               or its lib/modules/RELEASE; FILE a .config (else
                                               the kernel's own, CONFIG_IKCONFIG)
  --kinds K,K...  with any of these: check the kernel only for these kinds (ext4 xfs devdax
                  virtio-ext4 virtio-xfs; default all of them)
Prints the image folder as the last line of stdout. Exit status: 0 built or cached, 2 bad
command line, 3 the kernel named cannot be used (missing, or lacking what the lab needs),
1 anything else.
USAGE
}

log() { echo "build-image: $*" >&2; }
die() { echo "build-image: error: $*" >&2; exit 1; }

# Modules as distributions install them: plain, or compressed by `make modules_install`
# (CONFIG_MODULE_COMPRESS_*; Debian's 6.12 packages ship .ko.xz).
MODULE_FILES=(\( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \))
module_name() {  # PATH -> the module's name, dashes as underscores
  local n; n="$(basename "$1")"; n="${n%.ko*}"; echo "${n//-/_}"
}
module_bytes() {  # PATH: the module's ELF bytes on stdout
  case "$1" in
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) command -v zstd >/dev/null || die "$1 is zstd-compressed: install zstd"; zstd -dcq "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) cat "$1" ;;
  esac
}
# The kernel the user named cannot be used: a status of its own, so a caller can tell "fix
# your kernel" from "the lab is broken".
refuse() { echo "build-image: error: $*" >&2; exit 3; }
usage_error() { echo "build-image: error: $*" >&2; usage >&2; exit 2; }

# Modules the guest may load, by name; their `depends=` are added at build time. Those of
# REQUIRED_CONFIG below are added by their option; these are the extras, taken when the
# kernel has them: nd_e820 (legacy memmap= pmem, for experiments in a --shell), and
# crc32c-intel, the fast crc32c that init prefers over crc32c_generic. nd_btt comes in
# through nd_pmem's depends= when CONFIG_BTT selects it.
MODULES=(nd_e820 crc32c-intel)

# What the lab needs of a kernel, checked before anything goes into an image, so a kernel
# without it is refused with its reasons instead of booting into a hang. Per line: option;
# the module it builds ("-": none that init loads, so it must be =y); the kinds that need it
# (all; nvdimm = ext4 xfs devdax; fsdax = ext4 xfs virtio-ext4 virtio-xfs; nvdimm-fs = ext4
# xfs; virtio = virtio-ext4 virtio-xfs; ext4, xfs = the kinds on that filesystem; devdax);
# why. =m needs the module among the modules given. ND_BTT is not here: nd_pmem needs it
# only when CONFIG_BTT selects it, and then depends= says so.
REQUIRED_CONFIG=(
  "LIBNVDIMM libnvdimm all the NVDIMM bus"
  "BLK_DEV_PMEM nd_pmem all the pmem namespace driver"
  "ZONE_DEVICE - all page structs for pmem, which DAX needs"
  "ACPI_NFIT nfit nvdimm finds the NVDIMM QEMU describes in the ACPI NFIT"
  "NVDIMM_PFN - nvdimm-fs fsdax namespaces"
  "NVDIMM_DAX - devdax devdax namespaces"
  "FS_DAX - fsdax ext4 -o dax and xfs -o dax=always"
  "DEV_DAX device_dax devdax /dev/dax0.0; needs TRANSPARENT_HUGEPAGE, which PREEMPT_RT lacks"
  "DEV_DAX_PMEM dax_pmem devdax binds a devdax namespace to device_dax"
  "VIRTIO_PMEM virtio_pmem virtio the virtio-pmem device"
  "VIRTIO_PCI virtio_pci all finds QEMU's virtio devices"
  "NET_9P 9pnet all the 9p protocol"
  "NET_9P_VIRTIO 9pnet_virtio all 9p over virtio"
  "9P_FS 9p all mounts the host's root and the job folder"
  "EXT4_FS ext4 ext4 the filesystem"
  "XFS_FS xfs xfs the filesystem"
  "CRYPTO_CRC32C crc32c_generic fsdax metadata checksums of ext4 and xfs"
  "OVERLAY_FS overlay all the guest's writable /tmp over the host's"
  "PVPANIC_MMIO pvpanic_mmio all a guest panic ends QEMU with a failure"
  "TMPFS - all the guest's /run, /mnt, /dev/shm and /tmp overlay"
  "DEVTMPFS - all init mounts /dev as devtmpfs"
  "UNIX98_PTYS - all devpts in the guest"
  "BLK_DEV_INITRD - all the initramfs that holds init and the modules"
  "SERIAL_8250_CONSOLE - all console=ttyS0, where the guest's markers go"
  "PERF_EVENTS - all perf_event_open, which the counters use"
  "TRACEPOINTS - all the tracepoint counters (fs_dax:dax_pte_fault...)"
  "TRACING - all tracefs at /sys/kernel/tracing, for the tracepoints' ids"
)
# Only when the image boots an uncompressed vmlinux: QEMU enters an ELF kernel through PVH.
PVH_CONFIG="PVH - all QEMU boots an ELF vmlinux through its PVH entry"
ALL_KINDS=(ext4 xfs devdax virtio-ext4 virtio-xfs)
kinds_of() {  # GROUP: the kinds a REQUIRED_CONFIG line names
  case "$1" in
    all) echo "${ALL_KINDS[*]}" ;; nvdimm) echo ext4 xfs devdax ;; nvdimm-fs) echo ext4 xfs ;;
    fsdax) echo ext4 xfs virtio-ext4 virtio-xfs ;; virtio) echo virtio-ext4 virtio-xfs ;;
    ext4) echo ext4 virtio-ext4 ;; xfs) echo xfs virtio-xfs ;; devdax) echo devdax ;;
    *) die "REQUIRED_CONFIG names an unknown group '$1'" ;;
  esac
}

# --- Command line -----------------------------------------------------------------------
SOURCE=package PKG_NAME="${DAXBENCH_LAB_KERNEL:-linux-image-amd64}" BUILD_DIR="" KERNEL_ARG=""
MODULES_ARG="" CONFIG_ARG="" KINDS_ARG=""
while [ $# -gt 0 ]; do
  case "$1" in
    --package|--build|--kernel|--modules|--config|--kinds)
      if [ $# -lt 2 ] || [ -z "$2" ]; then usage_error "$1 needs a value"; fi
      case "$1" in
        --package) PKG_NAME="$2" ;; --build) BUILD_DIR="$2" ;; --kernel) KERNEL_ARG="$2" ;;
        --modules) MODULES_ARG="$2" ;; --config) CONFIG_ARG="$2" ;; --kinds) KINDS_ARG="$2" ;;
      esac
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
given=0
for v in "$BUILD_DIR" "$KERNEL_ARG"; do [ -z "$v" ] || given=$((given + 1)); done
[ "$given" -le 1 ] || usage_error "--build and --kernel exclude each other"
if [ -n "$BUILD_DIR" ]; then SOURCE=build
elif [ -n "$KERNEL_ARG" ]; then SOURCE=files
fi
if [ "$SOURCE" != files ] && [ -n "$MODULES_ARG$CONFIG_ARG" ]; then
  usage_error "--modules and --config go with --kernel"
fi

KINDS=("${ALL_KINDS[@]}")
if [ -n "$KINDS_ARG" ]; then
  read -ra KINDS <<<"${KINDS_ARG//,/ }"
  [ "${#KINDS[@]}" -gt 0 ] || usage_error "--kinds names no kind"
  for k in "${KINDS[@]}"; do
    [[ " ${ALL_KINDS[*]} " == *" $k "* ]] || usage_error "--kinds: unknown kind '$k' (${ALL_KINDS[*]})"
  done
fi

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
BB_VER="$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || true)"
[ -n "$BB_VER" ] || die "busybox-static is not installed"

# --- Kernel files: helpers ---------------------------------------------------------------
# Like the kernel's scripts/extract-vmlinux: try every offset of a known compressor's
# magic; the decompressor complains about the trailing bytes, so judge by the output.
extract_vmlinux() {  # BZIMAGE OUT
  local in="$1" out="$2" magic cmd off
  # grep -P patterns: a bash string cannot hold the NUL bytes of these magics.
  for spec in '\xfd7zXZ\x00|xz -dc' '\x5d\x00\x00\x00|xz -dc --format=lzma' \
              '\x28\xb5\x2f\xfd|zstd -dcq' '\x1f\x8b\x08|gzip -dc'; do
    magic="${spec%%|*}" cmd="${spec#*|}"
    command -v "${cmd%% *}" >/dev/null || continue
    while read -r off; do
      tail -c "+$((off + 1))" "$in" | $cmd >"$out" 2>/dev/null || true
      if is_elf "$out"; then
        log "vmlinux: ${cmd%% *} payload at offset $off"
        return 0
      fi
    done < <(LC_ALL=C grep -aboP "$magic" "$in" 2>/dev/null | cut -d: -f1)
  done
  rm -f "$out"
  return 1
}
is_elf() { [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
# The PVH entry point is the Xen ELF note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY).
has_pvh_note() {
  command -v readelf >/dev/null &&
    readelf -n "$1" 2>/dev/null | awk '$1 == "Xen" && /\(0x00000012\)/ { found = 1 } END { exit !found }'
}
# The release a kernel file says it is: a vmlinux holds "Linux version X ..."; a bzImage's
# setup header points at its version string (kernel_version, at 0x20e, relative to 0x200).
release_of() {
  local f="$1" at
  if is_elf "$f"; then
    LC_ALL=C grep -aom1 'Linux version [^ ]*' "$f" | awk '{ print $3 }'
  elif [ "$(dd if="$f" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ]; then
    at="$(od -An -tu2 -j 526 -N 2 "$f" | tr -d ' ')"
    dd if="$f" bs=1 skip=$((at + 512)) count=200 2>/dev/null | tr '\0' '\n' | head -1 | awk '{ print $1 }'
  fi
}
# CONFIG_IKCONFIG: a gzipped .config between the markers IKCFG_ST and IKCFG_ED, as the
# kernel's scripts/extract-ikconfig finds it; in a bzImage, inside the compressed payload.
ikconfig_of() {  # KERNEL OUT
  local in="$1" out="$2" off payload
  for candidate in "$in" payload; do
    if [ "$candidate" = payload ]; then
      is_elf "$in" && break
      payload="$(mktemp)"
      extract_vmlinux "$in" "$payload" || { rm -f "$payload"; break; }
      candidate="$payload"
    fi
    while read -r off; do
      tail -c "+$((off + 9))" "$candidate" | gzip -dc >"$out" 2>/dev/null || true
      if grep -q '^CONFIG_' "$out"; then rm -f "${payload:-}"; return 0; fi
    done < <(LC_ALL=C grep -abo 'IKCFG_ST' "$candidate" 2>/dev/null | cut -d: -f1)
  done
  rm -f "$out" "${payload:-}"
  return 1
}
# An absolute path for what the user named, which must exist.
absolute() {  # PATH WHAT
  [ -e "$1" ] || refuse "$2 $1 does not exist"
  if [ -d "$1" ]; then (cd "$1" && pwd -P)
  else echo "$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"
  fi
}
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
# The sha256 of a user's kernel file, remembered by path, size, mtime and inode: a vmlinux
# with debug info is hundreds of MB, seconds of hashing on every cache hit otherwise.
sha_remembered() {
  local id sum memo="$CACHE_ROOT/sha256-memo"
  id="$(stat -c '%s %.9Y %i' "$1") $1"
  sum="$(awk -v id="$id" 'substr($0, 66) == id { print substr($0, 1, 64); exit }' "$memo" 2>/dev/null || true)"
  if [ -z "$sum" ]; then
    sum="$(sha_of "$1")"
    mkdir -p "$CACHE_ROOT" && echo "$sum $id" >>"$memo"
  fi
  echo "$sum"
}

# --- Inputs and cache key --------------------------------------------------------------
# KSRC: the kernel file as given; KCONFIG: its .config; KMOD: a folder whose *.ko (any
# depth), modules.builtin and modules.order are the modules ("" for none); KREL: release.
KSRC="" KCONFIG="" KCONFIG_SOURCE="" KMOD="" MODULES_SOURCE="" KREL="" WHAT="" KPKG="" KVER_PKG=""
case "$SOURCE" in
  package)
    # The ABI number behind a metapackage (linux-image-amd64, -rt-amd64, -cloud-amd64)
    # moves with Debian's updates: resolve it now. One apt-cache call gives name and
    # version ("Depends: linux-image-6.1.0-NN-amd64 (= V)"): each call costs ≈0.5 s here
    # (no pkgcache.bin), and the cache hit should stay fast. A concrete package
    # (linux-image-6.1.0-NN-...) is taken as is, at its candidate version.
    [[ "$PKG_NAME" =~ ^linux-image-[A-Za-z0-9.+-]+$ ]] || refuse "'$PKG_NAME' is no linux-image-* package name"
    resolve_kernel() {  # prints "PACKAGE VERSION" or nothing
      apt-cache show --no-all-versions "$PKG_NAME" 2>/dev/null | awk -v p="$PKG_NAME" '
        /^$/ { exit }
        $1 == "Version:" && v == "" { v = $2 }
        $1 == "Depends:" && d == "" && match($0, /linux-image-[0-9][^ ,]* \(= [^)]*\)/) {
          d = substr($0, RSTART, RLENGTH); sub(/ \(= /, " ", d); sub(/\)$/, "", d) }
        END { if (p ~ /^linux-image-[0-9]/) { if (v != "") print p, v } else if (d != "") print d }'
    }
    KERNEL_SPEC="$(resolve_kernel || true)"
    if [ -z "$KERNEL_SPEC" ] && [ "$(id -u)" -eq 0 ] &&
       ! apt-cache show --no-all-versions linux-image-amd64 >/dev/null 2>&1; then
      # A fresh machine may have empty apt lists; refreshing them installs nothing. Lists
      # that know linux-image-amd64 are not empty: a bad name is the name's fault.
      log "apt lists know no $PKG_NAME: running apt-get update"
      apt-get update -qq >&2 || true
      KERNEL_SPEC="$(resolve_kernel || true)"
    fi
    [ -n "$KERNEL_SPEC" ] || refuse "cannot resolve the kernel package $PKG_NAME (run apt-get update; pin with DAXBENCH_LAB_KERNEL=linux-image-6.1.0-XX-amd64 or --package NAME)"
    KPKG="${KERNEL_SPEC%% *}" KVER_PKG="${KERNEL_SPEC#* }"
    [[ "$KPKG" =~ ^linux-image-[0-9][A-Za-z0-9.+-]*$ ]] || die "bad kernel package name '$KPKG'"
    [ "$KPKG" = "$PKG_NAME" ] || log "$PKG_NAME is $KPKG $KVER_PKG"
    WHAT="$KPKG $KVER_PKG"
    KERNEL_SOURCE="package $KPKG $KVER_PKG"
    INPUTS="kernel=$KPKG $KVER_PKG"
    ;;
  build)
    BUILD_DIR="$(absolute "$BUILD_DIR" "kernel build tree")"
    [ -d "$BUILD_DIR" ] || refuse "kernel build tree $BUILD_DIR is not a folder"
    WHAT="$BUILD_DIR"
    if [ -f "$BUILD_DIR/vmlinux" ] && has_pvh_note "$BUILD_DIR/vmlinux"; then
      KSRC="$BUILD_DIR/vmlinux"
    elif [ -f "$BUILD_DIR/arch/x86/boot/bzImage" ]; then
      KSRC="$BUILD_DIR/arch/x86/boot/bzImage"
    else
      refuse "kernel build tree $BUILD_DIR has neither a vmlinux with a PVH note nor arch/x86/boot/bzImage (run make)"
    fi
    [ -f "$BUILD_DIR/.config" ] || refuse "kernel build tree $BUILD_DIR has no .config"
    KCONFIG="$BUILD_DIR/.config" KCONFIG_SOURCE="$BUILD_DIR/.config" KMOD="$BUILD_DIR"
    if [ -s "$BUILD_DIR/include/config/kernel.release" ]; then
      KREL="$(head -1 "$BUILD_DIR/include/config/kernel.release")"
    else
      KREL="$(release_of "$KSRC")"
    fi
    KERNEL_SOURCE="build $BUILD_DIR"
    ;;
  files)
    KSRC="$(absolute "$KERNEL_ARG" "kernel file")"
    [ -f "$KSRC" ] || refuse "kernel file $KSRC is not a file"
    WHAT="$KSRC"
    KREL="$(release_of "$KSRC")"
    if [ -n "$MODULES_ARG" ]; then
      KMOD="$(absolute "$MODULES_ARG" "modules folder")"
      [ -d "$KMOD" ] || refuse "modules folder $KMOD is not a folder"
      # An INSTALL_MOD_PATH root holds lib/modules/RELEASE: that folder is the one.
      if [ -d "$KMOD/lib/modules" ]; then
        if [ -n "$KREL" ] && [ -d "$KMOD/lib/modules/$KREL" ]; then
          KMOD="$KMOD/lib/modules/$KREL"
        else
          found="$(ls "$KMOD/lib/modules")"
          if [ -z "$found" ] || [ "$(echo "$found" | wc -l)" -ne 1 ]; then
            refuse "modules folder $KMOD: expected one release in lib/modules, found: ${found:-none}"
          fi
          KMOD="$KMOD/lib/modules/$found"
        fi
      fi
      mod_rel="$(basename "$KMOD")"
      if [ -n "$KREL" ] && [[ "$mod_rel" =~ ^[0-9]+\.[0-9]+ ]] && [ "$mod_rel" != "$KREL" ]; then
        refuse "modules folder $KMOD is for release $mod_rel, the kernel $KSRC is $KREL"
      fi
      [ -n "$KREL" ] || { [[ "$mod_rel" =~ ^[0-9]+\.[0-9]+ ]] && KREL="$mod_rel"; }
    fi
    if [ -n "$CONFIG_ARG" ]; then
      KCONFIG="$(absolute "$CONFIG_ARG" "config file")"
      [ -f "$KCONFIG" ] || refuse "config file $KCONFIG is not a file"
      KCONFIG_SOURCE="$KCONFIG"
    fi
    KERNEL_SOURCE="files $KSRC"
    ;;
esac

if [ "$SOURCE" != package ]; then
  [ -n "$KREL" ] || refuse "kernel $WHAT: cannot tell its release (no include/config/kernel.release, no version string in $KSRC)"
  [[ "$KREL" =~ ^[A-Za-z0-9._+-]+$ ]] || refuse "kernel $WHAT: odd release '$KREL'"
  if [ -z "$KCONFIG" ]; then
    EMBEDDED="$(mktemp)"
    trap 'rm -f "$EMBEDDED"' EXIT
    ikconfig_of "$KSRC" "$EMBEDDED" ||
      refuse "kernel $WHAT carries no configuration: pass --config FILE, or build it with CONFIG_IKCONFIG=y"
    KCONFIG="$EMBEDDED" KCONFIG_SOURCE="embedded (IKCONFIG)"
  fi
  # The modules by size and mtime, not by content: a tree's modules are hundreds of MB
  # (Debian's: ≈4000 files, 350 MB) and hashing them would cost seconds on every cache
  # hit, while `make` rewrites (and so re-dates) every module it changes.
  modules_fp=none
  if [ -n "$KMOD" ]; then
    modules_fp="$( { cd "$KMOD" && find . "${MODULE_FILES[@]}" -type f -printf '%P %s %T@\n' | LC_ALL=C sort
                     for f in modules.builtin modules.order; do
                       [ ! -f "$f" ] || printf '%s %s\n' "$f" "$(sha_of "$f")"
                     done; } | sha256sum | cut -d' ' -f1)"
  fi
  KERNEL_SHA="$(sha_remembered "$KSRC")" CONFIG_SHA="$(sha_of "$KCONFIG")"
  # The source's form and path too: the manifest says where the image came from.
  INPUTS="$KERNEL_SOURCE kernel=$KERNEL_SHA config=$CONFIG_SHA modules=$modules_fp release=$KREL"
fi

KEY="$( { printf '%s\n' "$INPUTS" "busybox-static=$BB_VER"
          sha256sum "$LAB/init" "$LAB/build-image.sh" | cut -d' ' -f1; } |
        sha256sum | cut -c1-12)"
IMAGE="$CACHE_ROOT/image-$KEY"

# The kinds asked for that a kernel lacks something for: what they miss, each once.
refuse_kinds() {  # SUPPORTED-KINDS TSV(kind<TAB>problem lines)
  local bad=() joined
  for k in "${KINDS[@]}"; do [[ " $1 " == *" $k "* ]] || bad+=("$k"); done
  [ "${#bad[@]}" -gt 0 ] || return 0
  joined="$(awk -F'\t' -v kinds=" ${bad[*]} " 'index(kinds, " " $1 " ") && !seen[$2]++ { printf "%s%s", sep, $2; sep = ", " }' <<<"$2")"
  refuse "kernel $WHAT cannot run the lab: missing $joined${1:+ (it can run the kinds $1: see --kinds)}"
}
if [ -f "$IMAGE/complete" ]; then
  # Built for other kinds, perhaps: the kinds it serves and what the others lack are kept.
  refuse_kinds "$(sed -n 's/^kinds: //p' "$IMAGE/manifest.txt")" "$(cat "$IMAGE/config-missing.tsv" 2>/dev/null)"
  touch "$IMAGE/complete"  # its mtime is when it was last used: pruning spares recent ones
  log "cached: $IMAGE"
  echo "$IMAGE"
  exit 0
fi

mkdir -p "$CACHE_ROOT/debs"
# Build in a private temp folder next to the final one, then rename: an interrupted build
# never leaves a folder that has a `complete` marker.
WORK="$(mktemp -d "$CACHE_ROOT/.build-$KEY.XXXXXX")"
trap 'rm -rf "$WORK" "${EMBEDDED:-}"' EXIT

# --- Kernel package: download (cached) and unpack, never install -----------------------
if [ "$SOURCE" = package ]; then
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
  KSRC="$WORK/pkg/boot/vmlinuz-$KREL"
  [ -f "$KSRC" ] || die "no vmlinuz in $DEB"
  KMOD="$WORK/pkg/lib/modules/$KREL"
  KCONFIG="$WORK/pkg/boot/config-$KREL"
  [ -f "$KCONFIG" ] || die "no config-$KREL in $DEB"
  KCONFIG_SOURCE="$DEB:/boot/config-$KREL" MODULES_SOURCE="$DEB:/lib/modules/$KREL"
  KERNEL_SHA="$(sha_of "$KSRC")" CONFIG_SHA="$(sha_of "$KCONFIG")"
fi

# --- The modules given, and what the configuration builds in ----------------------------
declare -A MODFILE=() BUILTIN=() CFG=()
if [ -n "$KMOD" ]; then
  while IFS= read -r f; do
    n="$(module_name "$f")"
    [ -n "${MODFILE[$n]:-}" ] || MODFILE[$n]="$f"  # (a tree could hold two: the first)
  done < <(cd "$KMOD" && find . "${MODULE_FILES[@]}" -type f -printf '%P\n' | LC_ALL=C sort)
  if [ -f "$KMOD/modules.builtin" ]; then
    while IFS= read -r f; do
      n="$(basename "$f" .ko)"; BUILTIN[${n//-/_}]=1
    done < "$KMOD/modules.builtin"
  elif [ "${#MODFILE[@]}" -gt 0 ]; then
    refuse "kernel $WHAT: the modules in $KMOD come without modules.builtin"
  fi
fi
while IFS='=' read -r opt val; do
  CFG[${opt#CONFIG_}]="$val"
done < <(grep -E '^CONFIG_[A-Za-z0-9_]+=[ym]$' "$KCONFIG" || true)

# --- Required configuration: every missing piece at once, before anything is built -------
KERNEL_FILE=""
if is_elf "$KSRC"; then KERNEL_FILE=vmlinux; fi
checks=("${REQUIRED_CONFIG[@]}")
[ "$KERNEL_FILE" != vmlinux ] || checks+=("$PVH_CONFIG")
declare -A OPT_OK=()
missing_tsv=""  # kind<TAB>problem, for every kind, whether asked for or not
for line in "${checks[@]}"; do
  read -r opt mod group why <<<"$line"
  val="${CFG[$opt]:-}" problem=""
  if [ "$val" = y ]; then
    [ "$mod" = - ] || BUILTIN[$mod]=1
  elif [ "$val" = m ] && [ "$mod" != - ]; then
    [ -n "${MODFILE[$mod]:-}" ] || problem="CONFIG_$opt (=m, but no $mod.ko among the modules given: $why)"
  elif [ "$val" = m ]; then
    problem="CONFIG_$opt (=m, but it must be built in: $why)"
  else
    problem="CONFIG_$opt ($why)"
  fi
  if [ -z "$problem" ]; then OPT_OK[$opt]=1; continue; fi
  for k in $(kinds_of "$group"); do missing_tsv+="$k"$'\t'"$problem"$'\n'; done
done
SUPPORTED=()
for k in "${ALL_KINDS[@]}"; do
  grep -q "^$k"$'\t' <<<"$missing_tsv" || SUPPORTED+=("$k")
done
refuse_kinds "${SUPPORTED[*]}" "$missing_tsv"
if [ "$KERNEL_FILE" = vmlinux ] && ! has_pvh_note "$KSRC"; then
  refuse "kernel $WHAT cannot run the lab: $KSRC is a vmlinux without the PVH ELF note (or readelf is missing)"
fi

log "building $IMAGE ($KERNEL_SOURCE, busybox-static $BB_VER)"
mkdir -p "$WORK/image"
# --- Uncompressed vmlinux for QEMU's PVH entry (≈2.3 s faster per boot than bzImage) ---
if [ "$KERNEL_FILE" = vmlinux ]; then
  cp "$KSRC" "$WORK/image/vmlinux"
  BOOT_NOTE="uncompressed vmlinux, PVH entry"
elif extract_vmlinux "$KSRC" "$WORK/image/vmlinux" && has_pvh_note "$WORK/image/vmlinux"; then
  KERNEL_FILE=vmlinux BOOT_NOTE="uncompressed vmlinux, PVH entry"
else
  log "WARNING: no vmlinux with a PVH note could be extracted (or readelf is missing);" \
      "falling back to the compressed vmlinuz: each boot will be ≈2.3 s slower"
  rm -f "$WORK/image/vmlinux"
  cp "$KSRC" "$WORK/image/vmlinuz"
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

declare -A WANTED=()
# Adds a module and, recursively, what its .modinfo `depends=` names.
want() {  # NAME [optional]
  local n="${1//-/_}" deps d
  [ -n "${WANTED[$n]:-}" ] && return 0
  if [ -n "${BUILTIN[$n]:-}" ]; then WANTED[$n]=builtin; return 0; fi
  if [ -z "${MODFILE[$n]:-}" ]; then
    [ -z "${2:-}" ] || return 0
    refuse "kernel $WHAT: module '$n' is missing from the modules given (another module needs it)"
  fi
  WANTED[$n]="${MODFILE[$n]}"
  deps="$(module_bytes "$KMOD/${MODFILE[$n]}" | tr '\0' '\n' | sed -n 's/^depends=//p' | head -1)"
  for d in ${deps//,/ }; do want "$d"; done
}
for line in "${REQUIRED_CONFIG[@]}"; do
  read -r opt mod _ <<<"$line"
  [ "$mod" = - ] || [ -z "${OPT_OK[$opt]:-}" ] || want "$mod"
done
for m in "${MODULES[@]}"; do want "$m" optional; done
builtin_list=() module_list=()
while IFS= read -r n; do
  f="${WANTED[$n]}"
  if [ "$f" = builtin ]; then builtin_list+=("$n"); continue; fi
  module_list+=("$n")
  mkdir -p "$RD/lib/modules/$KREL/$(dirname "$f")"
  # Stored as plain .ko: busybox modprobe loads no compressed module, and unpacking one
  # under TCG at every boot would cost more than the disk it saves.
  module_bytes "$KMOD/$f" >"$RD/lib/modules/$KREL/${f%.ko*}.ko"
done < <(printf '%s\n' "${!WANTED[@]}" | LC_ALL=C sort)
# modules.builtin tells busybox modprobe that a name is built in; the options set =y make
# it for a kernel that comes without one (no modules at all).
{ [ ! -f "$KMOD/modules.builtin" ] || cat "$KMOD/modules.builtin"
  for n in "${builtin_list[@]}"; do echo "kernel/builtin/$n.ko"; done; } |
  LC_ALL=C sort -u >"$RD/lib/modules/$KREL/modules.builtin"
if [ -n "$KMOD" ] && [ -f "$KMOD/modules.order" ]; then
  cp "$KMOD/modules.order" "$RD/lib/modules/$KREL/"
else
  : >"$RD/lib/modules/$KREL/modules.order"
fi
"$BUSYBOX" depmod -b "$RD" "$KREL" || die "busybox depmod failed"
[ -f "$RD/lib/modules/$KREL/modules.dep" ] || die "depmod wrote no modules.dep"
[ "${#module_list[@]}" -eq 0 ] || [ -s "$RD/lib/modules/$KREL/modules.dep" ] || die "depmod wrote an empty modules.dep"
log "modules: ${#module_list[@]} copied$( [ ${#builtin_list[@]} -eq 0 ] || echo ", built in: ${builtin_list[*]}")"

# busybox cpio: the host has no cpio. Paths are relative, so the archive root is RD.
# Left uncompressed: gunzipping 3 MB under TCG cost ≈0.2 s of every boot, for 8 MB of disk.
(cd "$RD" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc 2>/dev/null) \
  >"$WORK/image/initramfs.cpio"
# A failed cpio yields a few bytes (a trailer at most), and the guest then hangs silently.
rd_size="$(stat -c %s "$WORK/image/initramfs.cpio")"
[ "$rd_size" -gt "$(stat -c %s "$BUSYBOX")" ] || die "initramfs is only $rd_size bytes: cpio failed"
[ "$(head -c 6 "$WORK/image/initramfs.cpio")" = 070701 ] || die "initramfs.cpio is no newc archive"

cp "$KCONFIG" "$WORK/image/config-$KREL"
kernel_size="$(stat -c %s "$WORK/image/$KERNEL_FILE")"
{
  echo "daxbench lab image $KEY"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  [ "$SOURCE" != package ] || echo "kernel_package: $KPKG $KVER_PKG"
  echo "kernel_source: $KERNEL_SOURCE"
  echo "kernel_sha256: $KERNEL_SHA"
  echo "config_source: $KCONFIG_SOURCE"
  echo "config_sha256: $CONFIG_SHA"
  echo "modules_source: ${MODULES_SOURCE:-${KMOD:-(none: built in)}}"
  echo "kernel_release: $KREL"
  echo "kinds: ${SUPPORTED[*]}"
  for k in "${ALL_KINDS[@]}"; do
    [[ " ${SUPPORTED[*]} " == *" $k "* ]] ||
      echo "missing_for_$k: $(awk -F'\t' -v k="$k" '$1 == k { printf "%s%s", sep, $2; sep = ", " }' <<<"$missing_tsv")"
  done
  echo "kernel_file: $KERNEL_FILE ($BOOT_NOTE), $kernel_size bytes"
  echo "initramfs: initramfs.cpio (uncompressed newc), $rd_size bytes"
  echo "busybox-static: $BB_VER"
  echo "init_sha256: $(sha256sum "$LAB/init" | cut -d' ' -f1)"
  echo "build_script_sha256: $(sha256sum "$LAB/build-image.sh" | cut -d' ' -f1)"
  echo "modules: $(printf '%s\n' "${module_list[@]}" | sort | tr '\n' ' ')"
  echo "builtin: ${builtin_list[*]:-(none)}"
} >"$WORK/image/manifest.txt"
echo "$KREL" >"$WORK/image/kernel-release"
printf '%s' "$missing_tsv" >"$WORK/image/config-missing.tsv"
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
# at once: another checkout (a second clone, CI beside a working tree), or another kernel
# of the same run, may be using one; each use touches its marker.
for old in "$CACHE_ROOT"/image-*; do
  if [ "$old" = "$IMAGE" ] || [ ! -f "$old/complete" ]; then continue; fi
  if [ -n "$(find "$old/complete" -mmin +1440 2>/dev/null)" ]; then
    log "removing image $old (unused for a day)"
    rm -rf "$old"
  fi
done
echo "$IMAGE"
