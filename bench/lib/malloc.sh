# Sourced by bench/run.sh. Workload 1: our multithreaded malloc/free benchmark
# (bench/malloc_bench.cc). It reports its own ops/s and its own peak RSS (VmHWM), so a
# profiler's helper processes (heaptrack's interpreter) are not counted in the RSS column.
# It runs twice: with 2 threads (the workload the targets name) and with 1 thread, where glibc's
# heap is deterministic (no arena races), so the RSS column shows the profiler's own memory.

MALLOC_CONFIGS=(glibc passthrough leaktrack heaptrack jemalloc leaktrack+jemalloc jemalloc+prof tcmalloc tcmalloc+sample)

malloc_declare() {
  emit W malloc throughput "ops/s" 1.05 "malloc_bench: 2 threads x ${MALLOC_OPS} ops, long-tail sizes, cross-thread frees"
  local c
  for c in "${MALLOC_CONFIGS[@]}"; do emit C malloc "$c" "$(config_base "$c")" "$(config_note "$c")"; done
}

malloc1_declare() {
  emit W malloc1 throughput "ops/s" 1.05 "malloc_bench: 1 thread x ${MALLOC1_OPS} ops (deterministic heap: RSS shows the profiler's own memory)"
  local c
  for c in "${MALLOC_CONFIGS[@]}"; do emit C malloc1 "$c" "$(config_base "$c")" "$(config_note "$c")"; done
}

# malloc_run_once CONFIG REP [WORKLOAD THREADS OPS]
malloc_run_once() {
  local cfg=$1 rep=$2 wl=${3:-malloc} threads=${4:-2} ops=${5:-$MALLOC_OPS}
  local log="$WORK/logs/$wl.$1.$2.log" rc=0
  config_prefix "$cfg"
  (cd "$WORK/cwd" && timeout 600 "${PREFIX[@]}" "$BIN/bench_malloc_bench" --threads "$threads" --ops "$ops") >"$log" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    rm -f "$WORK"/heaptrack.out*
    echo "bench: $wl under $cfg failed (log: $log)" >&2
    note_failure "$wl" "$cfg" "$log" "$rc"
    emit R "$wl" "$cfg" "$rep" NA NA
    return 0
  fi
  rm -f "$WORK"/heaptrack.out*
  local rate rss cpu
  rate=$(awk '$1 == "ops_per_sec" {print $2}' "$log")
  rss=$(awk '$1 == "peak_rss_kib" {print $2}' "$log")
  cpu=$(awk '$1 == "cpu_seconds" {print $2}' "$log")
  emit R "$wl" "$cfg" "$rep" "${rate:-NA}" "${rss:-NA}" "${cpu:-NA}"
}

malloc1_run_once() { malloc_run_once "$1" "$2" malloc1 1 "$MALLOC1_OPS"; }
