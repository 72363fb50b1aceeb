# Sourced by bench/run.sh. Workload 3: the C++ compiler proper (cc1plus) at -O2 on a medium
# file, with the profiler preloaded into the compiler. The file is preprocessed once, so each
# run is exactly one cc1plus process doing parsing, instantiation and optimization; its wall
# time, CPU time and peak RSS come from bench_measure (wait4; heaptrack's helpers included).

COMPILE_CONFIGS=(glibc passthrough leaktrack heaptrack jemalloc leaktrack+jemalloc jemalloc+prof tcmalloc tcmalloc+sample)

compile_declare() {
  CC1PLUS=$(g++ -print-prog-name=cc1plus)
  g++ -std=c++17 -O2 -E "$SRC/bench/workloads/compile_input.cc" -o "$WORK/compile_input.ii"
  emit W compile time "seconds" 1.02 "compile: cc1plus -O2 on bench/workloads/compile_input.cc ($(wc -l <"$WORK/compile_input.ii") preprocessed lines)"
  local c
  for c in "${COMPILE_CONFIGS[@]}"; do emit C compile "$c" "$(config_base "$c")" "$(config_note "$c")"; done
}

# compile_run_once CONFIG REP
# heaptrack cannot profile this compile (seen with Debian 12's heaptrack 1.4.0): the trace is
# recorded fine (heaptrack --raw: 85 MB, 6 s), but heaptrack_interpret, which decodes it on the
# fly, grows to the machine's memory and aborts with std::bad_alloc. Bisecting the raw trace put
# the blow-up at one "+" record, the one that makes the longest probe run in its AllocationInfoSet
# (a tsl::robin_set keyed by (size, trace index) with a near-linear hash, ~65 * size + trace)
# pass robin-map's 4096 limit: from then on each insert doubles the table (96 MiB ... 6 -> 12 GiB),
# which cannot spread hashes that close together, until an allocation fails. cc1plus, blocked on
# the fifo, then dies of SIGPIPE (exit 141). The report says so; no harness setting changes it.
compile_run_once() {
  local cfg=$1 rep=$2 log="$WORK/logs/compile.$1.$2.log" m="$WORK/measure.txt" rc=0
  config_prefix "$cfg"
  rm -f "$m"
  (cd "$WORK/cwd" && timeout 600 "$BIN/bench_measure" --out "$m" -- "${PREFIX[@]}" "$CC1PLUS" \
      -fpreprocessed "$WORK/compile_input.ii" -quiet -O2 -std=c++17 -o "$WORK/compile_input.s") >"$log" 2>&1 || rc=$?
  rm -f "$WORK"/heaptrack.out*
  if [[ $rc -ne 0 ]]; then
    echo "bench: compile under $cfg failed (log: $log)" >&2
    note_failure compile "$cfg" "$log" "$rc" "$(awk '$1 == "maxrss_kib" {print $2}' "$m" 2>/dev/null)"
    emit R compile "$cfg" "$rep" NA NA
    return 0
  fi
  emit R compile "$cfg" "$rep" "$(awk '$1 == "wall_seconds" {print $2}' "$m")" \
    "$(awk '$1 == "maxrss_kib" {print $2}' "$m")" "$(awk '$1 == "cpu_seconds" {print $2}' "$m")"
}
