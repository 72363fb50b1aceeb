#!/usr/bin/env bash
# The benchmark run behind `make bench`: builds nothing itself (make does), runs every workload
# bare, under leaktrack and under the peer profilers, alternating configurations within each
# repetition so drift hits all of them alike, then prints the table and writes
# docs/PERFORMANCE.md and docs/performance.svg. Sections live in bench/lib/*.sh, one job each.
#
# Usage: bash bench/run.sh BUILD_DIR
# Knobs (environment): BENCH_REPS (5), BENCH_ONLY (comma list of malloc,malloc1,redis,compile,
#   callgrind,cgwork,hooks,dump,idle,perf; default all), BENCH_QUICK=1 (tiny sizes, to check the harness),
#   BENCH_SHIM (default BUILD_DIR/libleaktrack.so), BENCH_DOCS (default <repo>/docs),
#   BENCH_STRICT=1 (exit 1 when leaktrack misses a target), BENCH_KEEP=1 (keep the work dir and
#   its logs).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: bash bench/run.sh BUILD_DIR" >&2
  exit 2
fi
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "bench: no build directory '$1'" >&2; exit 2; }
BIN="$BUILD/bench"
SHIM=${BENCH_SHIM:-$BUILD/libleaktrack.so}
PASSTHROUGH="$BIN/bench_passthrough.so"
DOCS=${BENCH_DOCS:-$SRC/docs}
REPS=${BENCH_REPS:-5}
ONLY=${BENCH_ONLY:-malloc,malloc1,redis,compile,callgrind,cgwork,hooks,dump,idle,perf}
for b in bench_malloc_bench bench_malloc_stress bench_measure bench_report bench_passthrough.so; do
  [[ -e "$BIN/$b" ]] || { echo "bench: $BIN/$b is missing; build first (make bench does)" >&2; exit 2; }
done
[[ $REPS =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_REPS must be a positive integer" >&2; exit 2; }

MALLOC_OPS=5000000 MALLOC1_OPS=3000000 REDIS_REQUESTS=60000 CALLGRIND_OPS=1000000
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
  MALLOC_OPS=200000 MALLOC1_OPS=100000 REDIS_REQUESTS=5000 CALLGRIND_OPS=20000
fi

# Every configuration starts from the same clean environment: the shim at its defaults.
while IFS='=' read -r name _; do
  [[ $name == LEAKTRACK_* ]] && unset "$name"
done < <(env)
unset LD_PRELOAD MALLOC_CONF TCMALLOC_SAMPLE_PARAMETER HEAPPROFILE

WORK=$(mktemp -d /tmp/leaktrack-bench.XXXXXX)
trap '[[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$WORK"' EXIT
mkdir -p "$WORK/logs" "$WORK/cwd" "$DOCS"
RESULTS="$WORK/results.tsv"
emit() { local IFS=$'\t'; echo "$*" >>"$RESULTS"; }
# median_of [FORMAT]: the median of the numbers on stdin, one a line, printed with FORMAT
# (default %.0f: rounded); nothing when there are none.
median_of() {
  sort -g | awk -v f="${1:-%.0f}" '{v[NR] = $1} END {
    if (NR) printf f "\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# failure_reason CONFIG LOG RC [PEAK_RSS_KIB]: one line saying why a run failed, from its exit
# status and the end of its log, for the table and the "Failed runs" section.
failure_reason() {
  local cfg=$1 log=$2 rc=${3:-} rss=${4:-} why="" peak=""
  [[ $rss =~ ^[0-9]+$ && $rss -gt 0 ]] && peak=$(awk -v k="$rss" 'BEGIN {printf "%.1f GiB", k / 1048576}')
  if [[ $cfg == heaptrack ]] && grep -q "std::bad_alloc" "$log"; then
    # heaptrack_interpret decodes the trace while the program runs and is the only C++ program in
    # the chain that throws; seen on cc1plus (bench/lib/compile.sh says how it was diagnosed).
    why="heaptrack's own trace interpreter (heaptrack_interpret) ran out of memory: std::bad_alloc${peak:+ at $peak peak RSS}"
    why+="; its (size, call stack) hash set keeps doubling once a probe run passes robin-map's limit, as it does for a program with ~10^5 distinct allocation sites"
    [[ $rc == 141 ]] && why+="; the profiled program then died of SIGPIPE writing to heaptrack's fifo (exit 141)"
    [[ -n ${HEAPTRACK_AS_LIMIT_BYTES:-} ]] && command -v prlimit >/dev/null &&
      why+="; the harness caps heaptrack's address space at half the RAM ($(awk -v b="$HEAPTRACK_AS_LIMIT_BYTES" 'BEGIN {printf "%.1f GiB", b / 1073741824}')) so it fails sooner"
    why+=" — heaptrack's limitation, not the harness's"
  elif [[ $rc == 124 ]]; then
    why="timed out (the harness's 600 s limit)"
  elif [[ $rc =~ ^[0-9]+$ && $rc -gt 128 ]]; then
    why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128))) (exit $rc)"
  elif [[ -n $rc && $rc != 0 ]]; then
    why="exit status $rc"
  else
    why="no result (see the log)"
  fi
  echo "$why"
}
# note_failure WORKLOAD CONFIG LOG [RC] [PEAK_RSS_KIB]: records why a run failed (an F record
# for the table) and keeps the end of its log for the report.
note_failure() {
  local why
  why=$(failure_reason "$2" "$3" "${4:-}" "${5:-}")
  emit F "$1" "$2" "$why"
  { echo "- $1 under $2: $why"; echo '  ```'; grep -v '^$' "$3" | tail -n 4 | sed 's/^/  /'; echo '  ```'; } >>"$WORK/failures.md"
}
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

source "$SRC/bench/lib/configs.sh"
source "$SRC/bench/lib/malloc.sh"
source "$SRC/bench/lib/redis.sh"
source "$SRC/bench/lib/compile.sh"
source "$SRC/bench/lib/callgrind.sh"
source "$SRC/bench/lib/callgrind_workloads.sh"
source "$SRC/bench/lib/hooks.sh"
source "$SRC/bench/lib/dump.sh"
source "$SRC/bench/lib/own_memory.sh"
source "$SRC/bench/lib/idle.sh"
source "$SRC/bench/lib/perf.sh"
source "$SRC/bench/lib/doc.sh"

check_jemalloc_prof
if [[ $JEMALLOC_HAS_PROF == 1 ]]; then
  echo "bench: Debian's libjemalloc2 is built with profiling (prof:true writes a heap profile)" >&2
fi
[[ -f $SHIM ]] || echo "bench: WARNING: no leaktrack shim at $SHIM; leaktrack rows will read 'unavailable'" >&2

# Runs workload $1 ($2 = its config array name): REPS rounds, every available config once per
# round, in declaration order in odd rounds and reversed in even ones (ABBA), so a drift in the
# machine's speed over a run does not favour the configs that come first. A config that fails in
# the first round is not tried again (heaptrack crashing on a workload would otherwise cost
# minutes per round); the table says it failed.
run_workload() {
  local wl=$1 cfg rep i
  local -n cfgs=$2
  local avail=() order=() failed=" "
  for cfg in "${cfgs[@]}"; do config_available "$cfg" && avail+=("$cfg"); done
  for rep in $(seq "$REPS"); do
    order=()
    for i in "${!avail[@]}"; do
      if (( rep % 2 )); then order+=("${avail[i]}"); else order=("${avail[i]}" "${order[@]}"); fi
    done
    for cfg in "${order[@]}"; do
      [[ $failed == *" $cfg "* ]] && continue
      "${wl}_run_once" "$cfg" "$rep"
      local last
      last=$(tail -1 "$RESULTS" | cut -f5,6)
      [[ $rep == 1 && $last == NA* ]] && failed+="$cfg "
      printf 'bench: %-8s %-20s round %d/%d: %s\n' "$wl" "$cfg" "$rep" "$REPS" "${last/$'\t'/  rss_kib=}" >&2
    done
  done
}

START=$SECONDS
wants malloc && { malloc_declare; run_workload malloc MALLOC_CONFIGS; }
wants malloc1 && { malloc1_declare; run_workload malloc1 MALLOC_CONFIGS; }
wants redis && {
  if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
    redis_declare; run_workload redis REDIS_CONFIGS
  else
    echo "bench: redis-server/redis-benchmark not installed: redis workload skipped" >&2
  fi
}
wants compile && { compile_declare; run_workload compile COMPILE_CONFIGS; }

MD_MAIN="$WORK/main.md" MD_EXTRA="$WORK/extra.md"
: >"$MD_MAIN"; : >"$MD_EXTRA"
REPORT_RC=0
if [[ -s $RESULTS ]]; then
  "$BIN/bench_report" "$RESULTS" --md "$MD_MAIN" --svg "$DOCS/performance.svg" || REPORT_RC=$?
  [[ $REPORT_RC -le 1 ]] || { echo "bench: bench_report failed" >&2; exit 2; }
fi
own_memory_section "$MD_EXTRA"
wants callgrind && callgrind_section "$MD_EXTRA"
wants cgwork && cgwork_section "$MD_EXTRA"
wants hooks && hooks_section "$MD_EXTRA"
wants dump && dump_section "$MD_EXTRA"
wants idle && idle_section "$MD_EXTRA"
wants perf && perf_section "$MD_EXTRA"
write_performance_md "$DOCS/PERFORMANCE.md"
echo "bench: done in $((SECONDS - START)) s; wrote $DOCS/PERFORMANCE.md and $DOCS/performance.svg" >&2
if [[ $REPORT_RC -ne 0 || ${DUMP_MISSED:-0} == 1 ]]; then
  echo "bench: leaktrack MISSED at least one target (see the verdict column)" >&2
  [[ ${BENCH_STRICT:-0} == 1 ]] && exit 1
fi
exit 0
