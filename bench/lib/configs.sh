# Sourced by bench/run.sh. Owns the list of configurations a workload runs under: what each one
# is, which bare allocator it is compared with, how to launch a command under it, and whether it
# can run on this machine. Nothing here measures anything.
#
# Needs: SHIM, PASSTHROUGH, WORK (set by run.sh).

JEMALLOC_SO=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
TCMALLOC_SO=/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4
# The peers sample at the same mean interval as leaktrack's default (512 KiB = 2^19 bytes).
JEMALLOC_PROF_CONF="prof:true,lg_prof_sample:19"
TCMALLOC_SAMPLE=524288
# heaptrack's interpreter can grow without bound (it does on the compile: see compile.sh); capping
# the address space of heaptrack and its helpers at half the RAM makes that fail in seconds with
# the same std::bad_alloc instead of taking a shared machine's memory for a minute. Far above
# what heaptrack needs where it works (well under 1 GiB here).
HEAPTRACK_AS_LIMIT_BYTES=$(awk '/^MemTotal:/ {printf "%.0f", $2 * 1024 / 2}' /proc/meminfo)

# config_base NAME: the bare allocator NAME is compared with.
config_base() {
  case "$1" in
    glibc|passthrough|leaktrack|heaptrack) echo glibc ;;
    jemalloc|leaktrack+jemalloc|jemalloc+prof) echo jemalloc ;;
    tcmalloc|tcmalloc+sample) echo tcmalloc ;;
    *) echo "bench: unknown config '$1'" >&2; return 1 ;;
  esac
}

# config_shim NAME: the interposer library NAME preloads in front of the allocator (leaktrack or
# the pass-through), or nothing for a bare allocator or a peer.
config_shim() {
  case "$1" in
    passthrough) echo "$PASSTHROUGH" ;;
    leaktrack|leaktrack+jemalloc) echo "$SHIM" ;;
  esac
}

# config_note NAME: one line for the table.
config_note() {
  case "$1" in
    glibc) echo "bare glibc malloc" ;;
    passthrough) echo "forwarding-only preload (calibration: the cost of any interposer)" ;;
    leaktrack) echo "leaktrack, default rate (512 KiB)" ;;
    heaptrack) echo "heaptrack $(heaptrack --version 2>/dev/null | awk '{print $2}'), traces every allocation (cannot sample)" ;;
    jemalloc) echo "bare jemalloc 5.3 (preloaded, or linked in)" ;;
    leaktrack+jemalloc) echo "leaktrack over jemalloc, default rate" ;;
    jemalloc+prof) echo "jemalloc's profiler, MALLOC_CONF=$JEMALLOC_PROF_CONF" ;;
    tcmalloc) echo "bare tcmalloc (gperftools), sampling off" ;;
    tcmalloc+sample) echo "tcmalloc's sampler, TCMALLOC_SAMPLE_PARAMETER=$TCMALLOC_SAMPLE" ;;
  esac
}

# config_available NAME: 0 if NAME can run here; otherwise prints why on stderr.
config_available() {
  case "$1" in
    leaktrack|leaktrack+jemalloc)
      [[ -f "$SHIM" ]] || { echo "bench: $1 unavailable: no shim at $SHIM" >&2; return 1; } ;;
  esac
  case "$1" in
    *jemalloc*) [[ -f "$JEMALLOC_SO" ]] || { echo "bench: $1 unavailable: no $JEMALLOC_SO" >&2; return 1; } ;;
  esac
  case "$1" in
    jemalloc+prof)
      [[ "${JEMALLOC_HAS_PROF:-0}" == 1 ]] || { echo "bench: jemalloc+prof unavailable: this libjemalloc is built without profiling" >&2; return 1; } ;;
    tcmalloc*) [[ -f "$TCMALLOC_SO" ]] || { echo "bench: $1 unavailable: no $TCMALLOC_SO" >&2; return 1; } ;;
    heaptrack) command -v heaptrack >/dev/null || { echo "bench: heaptrack unavailable: not installed" >&2; return 1; } ;;
  esac
  return 0
}

# config_prefix NAME: sets the array PREFIX, the words to put before a command to run it under
# NAME. The environment is otherwise the caller's (run.sh clears LEAKTRACK_* first).
# NAME:own is NAME writing a profile at exit into OWN_MEMORY_DIR (own_memory.sh).
config_prefix() {
  if [[ $1 == *:own ]]; then
    config_prefix "${1%:own}"
    PREFIX+=(env LEAKTRACK_AT_EXIT=1 "LEAKTRACK_DIR=$OWN_MEMORY_DIR")
    return
  fi
  case "$1" in
    glibc) PREFIX=(env) ;;
    passthrough) PREFIX=(env "LD_PRELOAD=$PASSTHROUGH") ;;
    leaktrack) PREFIX=(env "LD_PRELOAD=$SHIM") ;;
    heaptrack)
      PREFIX=(heaptrack -o "$WORK/heaptrack.out")
      if command -v prlimit >/dev/null && [[ -n $HEAPTRACK_AS_LIMIT_BYTES ]]; then
        PREFIX=(prlimit "--as=$HEAPTRACK_AS_LIMIT_BYTES" "${PREFIX[@]}")
      fi ;;
    jemalloc) PREFIX=(env "LD_PRELOAD=$JEMALLOC_SO") ;;
    leaktrack+jemalloc) PREFIX=(env "LD_PRELOAD=$SHIM $JEMALLOC_SO") ;;
    jemalloc+prof) PREFIX=(env "LD_PRELOAD=$JEMALLOC_SO" "MALLOC_CONF=$JEMALLOC_PROF_CONF") ;;
    tcmalloc) PREFIX=(env "LD_PRELOAD=$TCMALLOC_SO") ;;
    tcmalloc+sample) PREFIX=(env "LD_PRELOAD=$TCMALLOC_SO" "TCMALLOC_SAMPLE_PARAMETER=$TCMALLOC_SAMPLE") ;;
  esac
}

# Decides once whether Debian's jemalloc was built with --enable-prof: with prof:true and
# prof_final:true a profiling build writes a .heap file at exit; other builds print
# "Invalid conf pair" and write nothing.
check_jemalloc_prof() {
  JEMALLOC_HAS_PROF=0
  [[ -f "$JEMALLOC_SO" ]] || return 0
  local dir="$WORK/jeprof-check"
  mkdir -p "$dir"
  LD_PRELOAD="$JEMALLOC_SO" MALLOC_CONF="prof:true,prof_final:true,lg_prof_sample:0,prof_prefix:$dir/je" \
    "$BIN/bench_malloc_stress" 1000 >/dev/null 2>"$dir/stderr" || true
  if compgen -G "$dir/je.*.heap" >/dev/null; then JEMALLOC_HAS_PROF=1; fi
  rm -rf "$dir"
}
