# Sourced by bench/run.sh. The instruction-count comparison: the single-threaded loop in
# bench/malloc_stress.cc under callgrind, counting only StressLoop (so start-up and the
# profilers' own initialization are left out), for each allocator and profiler. Instruction
# counts are deterministic for the bare allocators; leaktrack and the samplers draw random
# sampling points, so their counts move by about the sampling noise (a few tenths of a percent
# at this length).

CALLGRIND_CONFIGS=(glibc passthrough leaktrack jemalloc leaktrack+jemalloc jemalloc+prof tcmalloc tcmalloc+sample)

# Appends a Markdown section to $1.
callgrind_section() {
  local md=$1 cfg out ir base_glibc="" base ratio
  declare -A irs=()
  if ! command -v valgrind >/dev/null; then
    printf '\n## Instructions per operation (callgrind)\n\nvalgrind is not installed: skipped.\n' >>"$md"
    return 0
  fi
  echo "bench: callgrind, ${CALLGRIND_OPS} ops per config" >&2
  for cfg in "${CALLGRIND_CONFIGS[@]}"; do
    config_available "$cfg" 2>/dev/null || continue
    config_prefix "$cfg"
    out="$WORK/callgrind.$cfg.out"
    if ! (cd "$WORK/cwd" && timeout 600 "${PREFIX[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" \
          --toggle-collect=StressLoop "$BIN/bench_malloc_stress" "$CALLGRIND_OPS") >"$WORK/logs/callgrind.$cfg.log" 2>&1; then
      echo "bench: callgrind under $cfg failed (log: $WORK/logs/callgrind.$cfg.log)" >&2
      continue
    fi
    ir=$(awk '$1 == "summary:" || $1 == "totals:" {print $2; exit}' "$out")
    irs[$cfg]=$ir
  done
  {
    printf '\n## Instructions per operation (callgrind)\n\n'
    printf 'bench/malloc_stress.cc, one thread, %s operations (each a malloc and, at once or later, its free),\n' "$CALLGRIND_OPS"
    printf 'long-tail sizes; only StressLoop is counted. Reference points, measured in the same run: the\n'
    printf 'passthrough row (the cost of any interposer) and the jemalloc+prof row (jemalloc'"'"'s own profiler).\n\n'
    printf '| config | instructions/op | vs its base |\n|---|---:|---:|\n'
    for cfg in "${CALLGRIND_CONFIGS[@]}"; do
      [[ -n ${irs[$cfg]:-} ]] || { printf '| %s | unavailable | - |\n' "$cfg"; continue; }
      base=$(config_base "$cfg")
      ratio="-"
      [[ -n ${irs[$base]:-} && $base != "$cfg" ]] && ratio=$(awk -v a="${irs[$cfg]}" -v b="${irs[$base]}" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}')
      [[ $base == "$cfg" ]] && ratio="base"
      printf '| %s | %s | %s |\n' "$cfg" "$(awk -v a="${irs[$cfg]}" -v n="$CALLGRIND_OPS" 'BEGIN {printf "%.1f", a / n}')" "$ratio"
    done
    if [[ -f "$WORK/callgrind.leaktrack.out" ]] && command -v callgrind_annotate >/dev/null; then
      printf '\nWhere leaktrack'"'"'s instructions go (self cost, whole run of StressLoop, shim and libunwind lines only):\n\n```\n'
      callgrind_annotate --auto=no --inclusive=no "$WORK/callgrind.leaktrack.out" 2>/dev/null |
        sed -n '/^ *[0-9,]\+ (.*\(preload\/\|libleaktrack\|libunwind\)/p' | sed '/=>/d' | sed -n '1,15p'
      printf '```\n'
    fi
  } | tee -a "$md" >&2
}
