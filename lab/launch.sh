#!/usr/bin/env bash
# Boots one daxbench lab guest (QEMU, emulated pmem backed by a host file: an NFIT NVDIMM, or
# virtio-pmem for the virtio-* kinds) and execs
# QEMU last, so the caller's child IS QEMU: SIGKILL of it is a power cut. The guest's
# serial console is this script's stdout. The only place that knows the QEMU command line.
# QEMU options are comma-separated on purpose: one array element each.
# shellcheck disable=SC2054
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: lab/launch.sh --kind ext4|xfs|devdax|virtio-ext4|virtio-xfs --image DIR --pmem FILE [--pmem-size 1G]
                     [--job DIR] [--shell] [--smp N] [--accel auto|tcg|kvm]
                     [--journal default|long] [--persistence adr|eadr|virtio]
                     [--model PLUGIN.so --model-qemu DIR --durable FILE [--model-stats FILE]
                      [--model-counts FILE]]
  --pmem FILE   backing file of the emulated pmem; copied from the image's template when
                missing, used as is when present (its own size then wins)
  --job DIR     runs DIR/job.sh in the guest (cwd DIR, same absolute path as on the host)
  --shell       interactive shell on the console instead of the job (Ctrl-A x quits QEMU)
  --journal long  push the periodic journal commit out of reach (ext4 commit=3600, xfs
                xfssyncd_centisecs=720000): crash tests, where it would hide loss
  --persistence adr (default): the NVDIMM's persistence domain is the memory controller, so
                stores need a cache flush and a fence; eadr: the CPU cache is in the domain
                (QEMU nvdimm-persistence=mem-ctrl or cpu; the guest reads persistence_domain);
                virtio: the only value (and the default) for the virtio-* kinds: their pmem is
                a virtio-pmem device, with no platform domain; durable only through its flush
                request (fsync)
  --kind virtio-ext4|virtio-xfs  ext4 -o dax / xfs -o dax=always on QEMU's virtio-pmem-pci
                (the pmem of cloud VMs) instead of an NVDIMM: the kernel refuses MAP_SYNC
                there; the model does not apply
  --model PLUGIN.so  run the persistence model (docs/lab.md): the QEMU of --model-qemu (the
                folder lab/fetch-model-qemu.sh prints) with the plugin, which writes what the
                platform guarantees into --durable FILE (made as a copy of --pmem when missing);
                the guest boots with nokaslr nopti (the plugin walks its page tables through
                the kernel's direct map). --model-stats FILE: instruction counts at a clean exit;
                --model-counts FILE: the snapshot the guest's observed-count markers read
                (bench/lab/observed.h; in the job folder, which the guest sees uncached)
env: DAXBENCH_LAB_EXTRA_CMDLINE  appended to the guest kernel command line (debugging;
     not to the one-time setup boot that makes a template)
USAGE
}

log() { echo "launch: $*" >&2; }
# Host-side failures also print the guest's FAILED marker on stdout: the caller parses one
# stream whichever side failed.
fail() { echo "launch: error: $*" >&2; echo "DAXBENCH-LAB FAILED launch: $*"; exit 1; }
usage_error() { echo "launch: $*" >&2; usage >&2; exit 2; }

KIND="" IMAGE="" PMEM="" PMEM_SIZE="" JOB="" SHELL_MODE=0 SMP=1 ACCEL=auto JOURNAL=default
PERSISTENCE="" MODEL="" MODEL_QEMU="" DURABLE="" MODEL_STATS="" MODEL_COUNTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kind|--image|--pmem|--pmem-size|--job|--smp|--accel|--journal|--persistence|--model|\
    --model-qemu|--durable|--model-stats|--model-counts)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case "$1" in
        --kind) KIND="$2" ;; --image) IMAGE="$2" ;; --pmem) PMEM="$2" ;;
        --pmem-size) PMEM_SIZE="$2" ;; --job) JOB="$2" ;; --smp) SMP="$2" ;;
        --accel) ACCEL="$2" ;; --journal) JOURNAL="$2" ;; --persistence) PERSISTENCE="$2" ;;
        --model) MODEL="$2" ;; --model-qemu) MODEL_QEMU="$2" ;; --durable) DURABLE="$2" ;;
        --model-stats) MODEL_STATS="$2" ;; --model-counts) MODEL_COUNTS="$2" ;;
      esac
      shift ;;
    --shell) SHELL_MODE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

case "$KIND" in
  ext4|xfs|devdax) PMEM_DEVICE=nvdimm ;;
  virtio-ext4|virtio-xfs) PMEM_DEVICE=virtio ;;
  *) usage_error "--kind must be ext4, xfs, devdax, virtio-ext4 or virtio-xfs" ;;
esac
[ -n "$IMAGE" ] || usage_error "--image is required"
[ -n "$PMEM" ] || usage_error "--pmem is required"
[[ "$SMP" =~ ^[1-9][0-9]*$ ]] || usage_error "--smp must be a positive integer"
case "$ACCEL" in auto|tcg|kvm) ;; *) usage_error "--accel must be auto, tcg or kvm" ;; esac
case "$JOURNAL" in default|long) ;; *) usage_error "--journal must be default or long" ;; esac
# The NVDIMM's domain is a machine property (NFIT); a virtio-pmem device has none to set.
[ -n "$PERSISTENCE" ] || { [ "$PMEM_DEVICE" = virtio ] && PERSISTENCE=virtio || PERSISTENCE=adr; }
case "$PMEM_DEVICE:$PERSISTENCE" in
  nvdimm:adr) NVDIMM_PERSISTENCE=mem-ctrl ;;
  nvdimm:eadr) NVDIMM_PERSISTENCE=cpu ;;
  virtio:virtio) NVDIMM_PERSISTENCE="" ;;
  nvdimm:*) usage_error "--persistence must be adr or eadr for --kind $KIND" ;;
  virtio:*) usage_error "--persistence must be virtio for --kind $KIND (virtio-pmem has no ADR/eADR)" ;;
esac
QEMU_BIN=qemu-system-x86_64 QEMU_DATA_ARGS=()
if [ -n "$MODEL" ] && [ "$PMEM_DEVICE" = virtio ]; then
  # The model tracks the NVDIMM's guest-physical range; a virtio-pmem guest's stores land in
  # QEMU's shared mapping of the file, which a kill of QEMU keeps whole.
  usage_error "--model does not apply to --kind $KIND (no NVDIMM to model)"
fi
if [ -n "$MODEL" ]; then
  [ -n "$MODEL_QEMU" ] && [ -n "$DURABLE" ] || usage_error "--model needs --model-qemu and --durable"
  [ -f "$MODEL" ] || fail "persistence model plugin $MODEL not found (build the daxbench_pmem_model target)"
  [ -f "$MODEL_QEMU/complete" ] && [ -f "$MODEL_QEMU/model-qemu.env" ] ||
    fail "$MODEL_QEMU is not a model QEMU folder (run lab/fetch-model-qemu.sh)"
  # shellcheck disable=SC1091
  . "$MODEL_QEMU/model-qemu.env"
  QEMU_BIN="$MODEL_QEMU_BIN"
  # Its own option ROMs first, then the installed SeaBIOS (the package ships none).
  QEMU_DATA_ARGS=(-L "$MODEL_QEMU_DATA" -L /usr/share/seabios -L /usr/share/qemu)
elif [ -n "$DURABLE$MODEL_STATS$MODEL_COUNTS" ]; then
  usage_error "--durable, --model-stats and --model-counts need --model"
fi
[ -f "$IMAGE/complete" ] || fail "$IMAGE is not a complete lab image (run lab/build-image.sh)"
IMAGE="$(cd "$IMAGE" && pwd -P)"
command -v "$QEMU_BIN" >/dev/null || fail "$QEMU_BIN not found (apt-get install qemu-system-x86)"
command -v flock >/dev/null || fail "flock not found (util-linux)"

if [ -f "$IMAGE/vmlinux" ]; then KERNEL="$IMAGE/vmlinux"; else KERNEL="$IMAGE/vmlinuz"; fi
[ -f "$KERNEL" ] || fail "$IMAGE lacks its kernel"
[ -f "$IMAGE/initramfs.cpio" ] || fail "$IMAGE lacks its initramfs"

# Sizes in bytes; 2 MiB multiples keep the namespace and its DAX mappings aligned.
to_bytes() {
  local v="$1" n unit
  [[ "$v" =~ ^([0-9]+)([KkMmGg]?)$ ]] || return 1
  n="${BASH_REMATCH[1]}" unit="${BASH_REMATCH[2]^^}"
  case "$unit" in K) n=$((n << 10)) ;; M) n=$((n << 20)) ;; G) n=$((n << 30)) ;; esac
  echo "$n"
}
SIZE_GIVEN=1
[ -n "$PMEM_SIZE" ] || { PMEM_SIZE=1G; SIZE_GIVEN=0; }
SIZE="$(to_bytes "$PMEM_SIZE")" || usage_error "--pmem-size '$PMEM_SIZE' is not N, NK, NM or NG"
if [ $((SIZE % (2 << 20))) -ne 0 ] || [ "$SIZE" -lt $((128 << 20)) ]; then
  usage_error "--pmem-size must be a multiple of 2M and at least 128M"
fi

if [ -n "$JOB" ]; then
  [ -d "$JOB" ] || fail "job folder $JOB does not exist"
  JOB="$(cd "$JOB" && pwd -P)"
  # The path travels on the kernel command line, which splits on blanks.
  [[ "$JOB" =~ ^/[A-Za-z0-9._/+@%,:=-]*$ ]] || fail "job folder path '$JOB' has characters the kernel command line cannot carry"
  [ "$SHELL_MODE" = 1 ] || [ -f "$JOB/job.sh" ] || fail "$JOB/job.sh does not exist"
fi

# auto: KVM only with hardware virtualisation. On PVM hosts /dev/kvm exists but has no
# vmx/svm, and a stock kernel hangs or dies there with "KVM internal error".
if [ "$ACCEL" = auto ]; then
  if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    ACCEL=kvm
  else
    ACCEL=tcg
  fi
fi
if [ "$ACCEL" = kvm ]; then
  ACCEL_ARGS=(-enable-kvm -cpu host)
else
  # la57=off: 5-level paging under TCG only costs time.
  ACCEL_ARGS=(-accel tcg,thread=multi -cpu max,la57=off)
fi

RAM_MIB=512
MODEL_PMEM_BASE=0x100000000  # where the pc machine maps device memory with RAM_MIB of RAM
common_args() {  # PMEM_FILE SIZE_BYTES: the machine without console or shares
  local maxmem=$(( RAM_MIB + ($2 >> 20) + 1024 ))
  [ "$maxmem" -ge 8192 ] || maxmem=8192
  local machine=pc pmem_device=nvdimm,id=nv1,memdev=mem1
  if [ "$PMEM_DEVICE" = virtio ]; then
    # Device memory as well (hence slots/maxmem), but reached through virtio: the guest's
    # fsync becomes a flush request that QEMU answers with an fsync of the backing file.
    pmem_device=virtio-pmem-pci,id=vp1,memdev=mem1
  else
    machine="pc,nvdimm=on,nvdimm-persistence=$NVDIMM_PERSISTENCE"
  fi
  QEMU_ARGS=("$QEMU_BIN" "${QEMU_DATA_ARGS[@]}" -nodefaults -no-user-config -name daxbench-lab
    -machine "$machine" "${ACCEL_ARGS[@]}" -smp "$SMP"
    -m "${RAM_MIB}M,slots=2,maxmem=${maxmem}M"
    -object "memory-backend-file,id=mem1,share=on,mem-path=$1,size=$2"
    -device "$pmem_device"
    -kernel "$KERNEL" -initrd "$IMAGE/initramfs.cpio"
    # The host's root, read-only for QEMU itself: the guest can never write host files.
    # multidevs=remap: / spans several host filesystems whose inode numbers could collide.
    -fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
    -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
    # A guest panic: pvpanic (loaded by init) makes QEMU exit with status 1; before that,
    # panic=-1 on the command line reboots, which -no-reboot turns into an exit.
    -device pvpanic -no-reboot -action panic=exit-failure)
}
# console=ttyS0 panic=-1: a guest panic reboots at once, and -no-reboot turns that into a
# QEMU exit. quiet keeps the console to the markers (and panics, which print anyway).
# cryptomgr.notests: the crypto self-tests took ≈0.35 s of each boot under TCG.
CMDLINE_BASE="console=ttyS0 panic=-1 quiet cryptomgr.notests daxbench.kind=$KIND daxbench.accel=$ACCEL"

# --- The pmem file: a sparse copy of the kind's template, made once per image ----------
# Making a namespace and a filesystem takes long under TCG, so a setup boot does it once
# into the image folder; every fresh pmem file is then a sparse copy.
TEMPLATE="$IMAGE/pmem-$KIND-$((SIZE >> 20))M.img"
make_template() {
  local tmp="$TEMPLATE.tmp.$$" setup_log="$IMAGE/setup-$KIND-$((SIZE >> 20))M.log" rc=0
  exec 8>"$TEMPLATE.lock"
  flock 8  # another launcher may be making the same template: wait for it
  if [ -f "$TEMPLATE" ]; then exec 8>&-; return 0; fi
  log "making the $KIND template $(basename "$TEMPLATE") (one setup boot; later boots copy it)"
  rm -f "$tmp"
  # Expanded now; an interrupted setup boot leaves no half-made template behind.
  # shellcheck disable=SC2064
  trap "rm -f '$tmp'" EXIT
  truncate -s "$SIZE" "$tmp"
  common_args "$tmp" "$SIZE"
  # Bounded: a guest that hangs (e.g. KVM pausing on an internal error) must not block us.
  # --foreground keeps QEMU in the terminal's process group, so Ctrl-C still stops it.
  # Never with DAXBENCH_LAB_EXTRA_CMDLINE: it is meant for the boot asked for (tests break
  # that one on purpose), and a template made under it would be broken for every later boot.
  timeout --foreground 900 "${QEMU_ARGS[@]}" -display none -monitor none -serial stdio \
    -append "$CMDLINE_BASE daxbench.setup=1" \
    </dev/null >"$setup_log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '^DAXBENCH-LAB SETUP-DONE' "$setup_log"; then
    rm -f "$tmp"
    tail -n 30 "$setup_log" >&2
    fail "setup boot for the $KIND template failed (qemu rc $rc, log $setup_log)"
  fi
  mv "$tmp" "$TEMPLATE"
  trap - EXIT
  exec 8>&-
}

PMEM_DIR="$(dirname "$PMEM")"
[ -d "$PMEM_DIR" ] || fail "folder of --pmem ($PMEM_DIR) does not exist"
PMEM="$(cd "$PMEM_DIR" && pwd -P)/$(basename "$PMEM")"
if [ ! -e "$PMEM" ]; then
  [ -f "$TEMPLATE" ] || make_template
  tmp="$PMEM.tmp.$$"
  cp --sparse=always "$TEMPLATE" "$tmp"
  # ln fails if the name exists: of two launchers racing for one new file, one copy wins.
  ln "$tmp" "$PMEM" 2>/dev/null || log "$PMEM appeared meanwhile; using it as is"
  rm -f "$tmp"
else
  [ -f "$PMEM" ] || fail "$PMEM is not a regular file"
  actual="$(stat -c %s "$PMEM")"
  if [ "$SIZE_GIVEN" = 1 ] && [ "$actual" != "$SIZE" ]; then
    log "warning: $PMEM exists with $actual bytes; using that, not --pmem-size $PMEM_SIZE"
  fi
  SIZE="$actual"
fi

# One QEMU per pmem file: fd 9 holds an flock on the file itself and is inherited by the
# exec'ed QEMU, so the lock lives exactly as long as QEMU (no lock file to go stale).
exec 9<"$PMEM"
flock -n 9 || fail "$PMEM is in use by another lab guest"

CMDLINE="$CMDLINE_BASE"
if [ -n "$JOB" ]; then CMDLINE+=" daxbench.job=$JOB"; fi
[ "$JOURNAL" = default ] || CMDLINE+=" daxbench.journal=$JOURNAL"
common_args "$PMEM" "$SIZE"
if [ -n "$MODEL" ]; then
  # The durable image starts as what the pmem holds now: everything in it was durable before
  # this boot. Made before QEMU starts, so a cut can never find it half copied.
  if [ ! -e "$DURABLE" ]; then
    cp --sparse=always "$PMEM" "$DURABLE.tmp.$$" && mv "$DURABLE.tmp.$$" "$DURABLE"
  fi
  [ "$(stat -c %s "$DURABLE")" = "$SIZE" ] || fail "durable image $DURABLE is not $SIZE bytes"
  # With RAM_MIB below 3.5 GiB, the pc machine puts device memory (the NVDIMM) at 4 GiB; the
  # guest's READY line reports the region it found, and the host checks the two agree.
  PLUGIN_ARG="$MODEL,live=$PMEM,durable=$(cd "$(dirname "$DURABLE")" && pwd -P)/$(basename "$DURABLE"),base=$MODEL_PMEM_BASE"
  [ -z "$MODEL_STATS" ] || PLUGIN_ARG+=",stats=$MODEL_STATS"
  [ -z "$MODEL_COUNTS" ] || PLUGIN_ARG+=",counts=$MODEL_COUNTS"
  QEMU_ARGS+=(-plugin "$PLUGIN_ARG")
  CMDLINE+=" nokaslr nopti daxbench.model=1"
fi
if [ -n "$JOB" ]; then
  # Writable share; security_model=none: files are created as the user running QEMU.
  QEMU_ARGS+=(-fsdev "local,id=job,path=$JOB,security_model=none,multidevs=remap"
              -device virtio-9p-pci,fsdev=job,mount_tag=job)
fi
if [ "$SHELL_MODE" = 1 ]; then
  CMDLINE+=" daxbench.shell=1"
  if size="$(stty size 2>/dev/null)" && [[ "$size" =~ ^[1-9][0-9]*\ [1-9][0-9]*$ ]]; then
    CMDLINE+=" daxbench.rows=${size% *} daxbench.cols=${size#* }"
  fi
  [[ "${TERM:-}" =~ ^[A-Za-z0-9._-]+$ ]] && CMDLINE+=" daxbench.term=$TERM"
  # Console and monitor multiplexed on the terminal: Ctrl-C reaches the guest, Ctrl-A x
  # quits QEMU, Ctrl-A c is the monitor.
  QEMU_ARGS+=(-display none -chardev stdio,id=con0,mux=on,signal=off
              -serial chardev:con0 -mon chardev=con0)
else
  QEMU_ARGS+=(-display none -monitor none -serial stdio)
fi
CMDLINE+=" ${DAXBENCH_LAB_EXTRA_CMDLINE:-}"

echo "DAXBENCH-LAB ACCEL $ACCEL" >&2
if [ "$SHELL_MODE" = 1 ]; then
  exec "${QEMU_ARGS[@]}" -append "$CMDLINE"
fi
# stdin from /dev/null: QEMU then leaves the caller's terminal alone, and a SIGKILL (a
# power cut) cannot leave it in raw mode.
exec "${QEMU_ARGS[@]}" -append "$CMDLINE" </dev/null
