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
compile_run_once() {
  local cfg=$1 rep=$2 log="$WORK/logs/compile.$1.$2.log" m="$WORK/measure.txt"
  config_prefix "$cfg"
  if ! (cd "$WORK/cwd" && timeout 600 "$BIN/bench_measure" --out "$m" -- "${PREFIX[@]}" "$CC1PLUS" \
        -fpreprocessed "$WORK/compile_input.ii" -quiet -O2 -std=c++17 -o "$WORK/compile_input.s") >"$log" 2>&1; then
    echo "bench: compile under $cfg failed (log: $log)" >&2
    note_failure compile "$cfg" "$log"
    emit R compile "$cfg" "$rep" NA NA
    return 0
  fi
  rm -f "$WORK"/heaptrack.out*
  emit R compile "$cfg" "$rep" "$(awk '$1 == "wall_seconds" {print $2}' "$m")" \
    "$(awk '$1 == "maxrss_kib" {print $2}' "$m")" "$(awk '$1 == "cpu_seconds" {print $2}' "$m")"
}
