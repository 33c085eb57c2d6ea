#!/usr/bin/env bash
# daxbench's one entry point: installs missing Debian packages, builds, then runs a config
# (./run.sh --config sweep.yaml) and writes its reports and plots, lists what is registered
# (--list), runs every test (--test), or reports, compares and tracks results folders.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="${DAXBENCH_BUILD:-$ROOT/build}"  # DAXBENCH_BUILD: another build folder (the tests honour it too)
ASAN_BUILD="$ROOT/build-asan"
PYTHON=/usr/bin/python3  # Debian's interpreter: the one Debian's python3-* packages are for

BUILD_PACKAGES=(cmake g++ libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev libpfm4-dev libpmem-dev pybind11-dev python3-dev)
ANALYSIS_PACKAGES=(python3-matplotlib python3-numpy)
TEST_PACKAGES=(python3 python3-pytest strace chromium)
# libglib2.0-dev: the persistence model's QEMU plugin includes qemu-plugin.h, which needs glib.
LAB_PACKAGES=(qemu-system-x86 busybox-static xfsprogs e2fsprogs ndctl daxctl libglib2.0-dev)
FIO_PACKAGES=(fio)  # the cross-check beside cases with `fio: true` (docs/fio.md); also in the lab

usage() {
  cat <<'USAGE'
usage:
  ./run.sh --config NAME [--target SPEC]... [--out DIR] [--no-plots]
                                                          build, run a config, write its reports
                                                          and plots, print the results folder
  ./run.sh --check --config NAME [--target SPEC]...       validate a config and list its cases
  ./run.sh --list                                         registered modes, workloads, targets, flushes
  ./run.sh --test                                         build (Release and ASan+UBSan) and run all tests
  ./run.sh lab build                                      build the emulated-pmem guest image, print its folder
  ./run.sh lab shell [ext4|xfs|devdax|virtio-ext4|virtio-xfs] shell in a lab guest on fresh pmem (default ext4)
  ./run.sh report RUN_DIR [--no-plots] [--baseline MODE]  (re)write a results folder's reports and plots
  ./run.sh compare BASE NEW [--threshold 5%] [--alpha A]  compare two results folders: exit 1 on a
          [--reply] [--out DIR]                           significant regression beyond the threshold;
                                                          --reply prints the table for a mailing-list
                                                          reply, --out DIR writes it as DIR/reply.txt
  ./run.sh history add RUN_DIR [--db PATH]                add a results folder to results/history.sqlite
  ./run.sh dashboard [--db PATH] [--out DIR]              render the history as results/dashboard/

NAME is a path, or a file in configs/ (the .yaml may be left off).
SPEC is file:DIR, fsdax:DIR, devdax:/dev/daxX.Y or lab:ext4|xfs|devdax|virtio-ext4|virtio-xfs (default: the config's targets).
The analysis commands are docs/analysis.md; their exit status: 0 fine, 1 regression, 2 bad input.
USAGE
}

log() { echo "run.sh: $*" >&2; }

# Installs whichever of the given Debian packages are missing, non-interactively.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "missing packages: ${missing[*]} (run as root or install them)"; exit 1; }
    sudo=(sudo)
  fi
  log "installing missing packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Configures and builds into $1 with extra cmake arguments; `--target T` right after $1
# builds only T. The output goes to a log, shown only if the build fails, so the last line of
# standard output stays the results folder.
build() {
  local dir="$1"; shift
  local targets=()
  if [ "${1:-}" = --target ]; then targets=(--target "$2"); shift 2; fi
  mkdir -p "$dir"
  if ! { cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" &&
         cmake --build "$dir" -j "$(nproc)" "${targets[@]}"; } >"$dir/build.log" 2>&1; then
    cat "$dir/build.log" >&2
    log "build failed (log: $dir/build.log)"
    exit 1
  fi
}

# The lab's persistence model (docs/lab.md): its QEMU and qemu-plugin.h, fetched once into the
# lab cache; sets MODEL_ARGS, the build's argument that builds the plugin against them.
MODEL_ARGS=()
fetch_model_qemu() {
  local folder
  if ! folder="$("$ROOT/lab/fetch-model-qemu.sh" | tail -n 1)" || [ -z "$folder" ]; then
    log "error: fetching the persistence model's QEMU failed (its messages are above)"
    exit 1
  fi
  MODEL_ARGS=("-DDAXBENCH_MODEL_QEMU_DIR=$folder")
}

# The analysis (analysis/daxbench_analysis) with the statistics module the build made.
analysis() {
  PYTHONPATH="$ROOT/analysis:$BUILD/analysis" DAXBENCH_ROOT="$ROOT" MPLBACKEND=Agg \
    "$PYTHON" -m daxbench_analysis "$@"
}

# `report`, `compare`, `history` and `dashboard`: build the statistics module (C++, the
# analysis's only compiled part; not the driver, tests and micro-suite), then hand over to
# the analysis, whose exit status is ours.
analysis_command() {
  ensure_packages "${BUILD_PACKAGES[@]}" "${ANALYSIS_PACKAGES[@]}"
  build "$BUILD" --target _daxstats
  analysis "$@"
}

# Every test, the lab's and the power cuts' included: those are the suite's evidence that it
# sees loss, so a machine that can run QEMU runs them. Only DAXBENCH_TEST_NO_LAB=1, for a
# platform that cannot, leaves them out, and the end of the run says so loudly.
run_tests() {
  local lab=1
  [ "${DAXBENCH_TEST_NO_LAB:-0}" = 0 ] || lab=0
  local lab_packages=()
  [ "$lab" -eq 0 ] || lab_packages=("${LAB_PACKAGES[@]}")
  if ! ensure_packages "${BUILD_PACKAGES[@]}" "${ANALYSIS_PACKAGES[@]}" "${TEST_PACKAGES[@]}" \
       "${FIO_PACKAGES[@]}" "${lab_packages[@]}"; then
    log "error: installing the test packages failed (apt's messages are above)"
    [ "$lab" -eq 0 ] || log "on a platform that cannot run QEMU, DAXBENCH_TEST_NO_LAB=1 leaves the lab's packages and tests out"
    exit 1
  fi
  if [ "$lab" -eq 1 ]; then
    # First, and outside pytest: a broken image build stops the run here with its cause,
    # not as a test that waited for a guest. Cached: ≈1 s when nothing changed.
    log "lab image (the lab and power-cut tests boot it)"
    if ! "$ROOT/lab/build-image.sh" >/dev/null; then
      log "error: the lab image build failed (its messages are above); the lab and power-cut tests cannot run"
      exit 1
    fi
    log "persistence model (lab/fetch-model-qemu.sh: the QEMU the plugin runs in)"
    fetch_model_qemu
  fi
  if command -v clang-format >/dev/null; then
    log "formatting (.clang-format)"
    (cd "$ROOT" && git ls-files '*.cpp' '*.h' | xargs clang-format --dry-run --Werror)
  else
    log "clang-format not installed: formatting not checked"
  fi
  log "layers (cmake/layers.txt: every #include looks down)"
  "$PYTHON" "$ROOT/tools/check_layers.py" "$ROOT"
  log "plug-in names (each spelled only in its own plug-in's file)"
  "$PYTHON" "$ROOT/tools/check_plugin_names.py" "$ROOT"
  log "unit tests, Release build"
  build "$BUILD" "${MODEL_ARGS[@]}"
  (cd "$BUILD" && ctest --output-on-failure -j 2)
  log "unit tests, ASan+UBSan build (halts on the first error)"
  build "$ASAN_BUILD" -DDAXBENCH_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  (cd "$ASAN_BUILD" && ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
     UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j 2)
  log "end-to-end and analysis tests"
  local rc=0
  DAXBENCH_ROOT="$ROOT" PYTHONPATH="$ROOT/analysis:$BUILD/analysis" MPLBACKEND=Agg \
    "$PYTHON" -m pytest -q -rs -p no:cacheprovider "$ROOT/tests/e2e" "$ROOT/tests/analysis" || rc=$?
  if [ "$lab" -eq 0 ]; then
    log "################################################################################"
    log "# DAXBENCH_TEST_NO_LAB=1: the lab and power-cut tests did NOT run.              #"
    log "# Nothing here shows that the durable modes lose nothing at a power cut, or     #"
    log "# that the unsafe control is seen to lose. Run without it where QEMU can run.   #"
    log "################################################################################"
  fi
  return "$rc"
}

# The emulated-pmem lab (docs/lab.md): `lab build` or `lab shell [KIND]`.
lab_command() {
  ensure_packages "${LAB_PACKAGES[@]}"
  case "${1:-}" in
    build) "$ROOT/lab/build-image.sh" ;;
    shell)
      local kind="${2:-ext4}" image scratch rc=0
      image="$("$ROOT/lab/build-image.sh" | tail -n 1)"
      # A fresh pmem file for this shell only, removed when it ends.
      scratch="$(mktemp -d "${TMPDIR:-/tmp}/daxbench-lab-shell.XXXXXX")"
      # Expanded now: the trap runs after this function's locals are gone.
      # shellcheck disable=SC2064
      trap "rm -rf '$scratch'" EXIT
      "$ROOT/lab/launch.sh" --kind "$kind" --image "$image" --pmem "$scratch/pmem.img" --shell || rc=$?
      return "$rc" ;;
    *) usage >&2; exit 2 ;;
  esac
}

main() {
  case "${1:-}" in
    lab) shift; lab_command "$@"; return ;;
    report|compare|history|dashboard) analysis_command "$@"; return ;;
  esac
  local action=run config="" check=0 plots=1
  local target_args=() out_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --test) action=test ;;
      --list) action=list ;;
      --check) check=1 ;;
      --config) config="${2:?--config needs a value}"; shift ;;
      --target) target_args+=("$1" "${2:?$1 needs a value}"); shift ;;
      --out) out_args+=("$1" "${2:?$1 needs a value}"); shift ;;
      --no-plots) plots=0 ;;
      -h|--help) usage; exit 0 ;;
      *) log "unknown argument '$1'"; usage >&2; exit 2 ;;
    esac
    shift
  done

  case "$action" in
    test) run_tests; return ;;
    list) ensure_packages "${BUILD_PACKAGES[@]}"; build "$BUILD"; "$BUILD/daxbench" list; return ;;
  esac
  [ -n "$config" ] || { usage >&2; exit 2; }
  ensure_packages "${BUILD_PACKAGES[@]}"
  [ "$check" -eq 1 ] || ensure_packages "${ANALYSIS_PACKAGES[@]}" "${FIO_PACKAGES[@]}"
  build "$BUILD"
  local common=(--config "$config" --configs-dir "$ROOT/configs")
  # The lab's packages only when a case runs there; a bad config fails here, before any case.
  local targets
  targets="$("$BUILD/daxbench" check --targets "${common[@]}" "${target_args[@]}")" || exit $?
  if [ "$check" -eq 0 ] && grep -q '^lab:' <<<"$targets"; then
    ensure_packages "${LAB_PACKAGES[@]}"
    fetch_model_qemu
    build "$BUILD" "${MODEL_ARGS[@]}"  # the plugin too: the power cuts under ADR boot with it
  fi
  if [ "$check" -eq 1 ]; then
    exec "$BUILD/daxbench" check "${common[@]}" "${target_args[@]}"
  fi
  # Not exec'd, so the reports can follow; the driver still runs in the foreground process
  # group, so Ctrl-C reaches it and it keeps every finished case. Its standard output (only
  # the results folder) goes to a file, not a $(...): Ctrl-C while bash reads a command
  # substitution kills bash, while a plain wait lets the driver finish and bash go on.
  local stdout_file rc=0 folder
  stdout_file="$(mktemp "${TMPDIR:-/tmp}/daxbench-run.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -f '$stdout_file'" EXIT
  "$BUILD/daxbench" run "${common[@]}" --results-root "$ROOT/results" "${target_args[@]}" \
    "${out_args[@]}" >"$stdout_file" || rc=$?
  folder="$(tail -n 1 "$stdout_file")"
  report_run "$folder" "$rc" "$plots"
  cat "$stdout_file"
  exit "$rc"
}

# Reports (and plots) of a finished or partly failed run, output on stderr. Not after an
# interrupt: the user asked to stop (`./run.sh report DIR` reports the kept cases). A failed
# analysis is reported but never changes the run's exit status.
report_run() {
  local folder="$1" rc="$2" plots="$3"
  [ -n "$folder" ] && [ -f "$folder/records.jsonl" ] || return 0
  if [ "$rc" -eq 130 ] || [ "$rc" -eq 143 ]; then
    log "interrupted: no reports (./run.sh report $folder writes them)"
    return 0
  fi
  local plot_args=()
  [ "$plots" -eq 1 ] || plot_args=(--no-plots)
  log "reports${plot_args[*]:+ (no plots)} in $folder"
  analysis report "$folder" "${plot_args[@]}" >&2 || log "analysis failed (exit $?); the results are intact"
}

main "$@"
