# Sourced by bench/run.sh. The instruction-count comparison: the single-threaded loop in
# bench/malloc_stress.cc under callgrind, counting only StressLoop (so start-up and the
# profilers' own initialization are left out), for each allocator and profiler. Instruction
# counts are deterministic for the bare allocators; leaktrack and the samplers draw random
# sampling points, so their counts move by about the sampling noise (a few tenths of a percent
# at this length).
#
# The same runs simulate the caches (--cache-sim=yes: first-level instruction and data caches
# and the last level, sized as this machine's), because the instructions a profiler adds are
# not all it costs: its sampling path evicts the program's and the allocator's code and data.
# The estimated cycles are kcachegrind's cycle estimate without branch simulation:
# Ir + 10 x first-level misses + 100 x last-level misses. It knows no prefetching and no
# overlap of misses, so it is a deterministic proxy for the time this machine cannot measure
# steadily (no hardware counters, +-20% between identical runs), not a prediction of it.

CALLGRIND_CONFIGS=(glibc passthrough leaktrack jemalloc leaktrack+jemalloc leaktrack+jemalloc,unsampled
                   jemalloc+prof tcmalloc tcmalloc+sample)
# A config NAME,unsampled is NAME with LEAKTRACK_RATE at 1 TiB: not one sample in the loop, so
# its row is what the hooks cost alone (the interposition and the test for a sampled free), and
# its difference to NAME's row is what sampling at the default rate costs.
UNSAMPLED_RATE=1024G

# Appends a Markdown section to $1.
callgrind_section() {
  local md=$1 cfg out base ratio cratio counts
  declare -A irs=() l1=() ll=() cest=()
  if ! command -v valgrind >/dev/null; then
    printf '\n## Instructions per operation (callgrind)\n\nvalgrind is not installed: skipped.\n' >>"$md"
    return 0
  fi
  echo "bench: callgrind, ${CALLGRIND_OPS} ops per config" >&2
  for cfg in "${CALLGRIND_CONFIGS[@]}"; do
    config_available "${cfg%,unsampled}" 2>/dev/null || continue
    config_prefix "${cfg%,unsampled}"
    [[ $cfg == *,unsampled ]] && PREFIX+=(env "LEAKTRACK_RATE=$UNSAMPLED_RATE")
    out="$WORK/callgrind.$cfg.out"
    if ! (cd "$WORK/cwd" && timeout 900 "${PREFIX[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" \
          --cache-sim=yes --toggle-collect=StressLoop "$BIN/bench_malloc_stress" "$CALLGRIND_OPS") \
          >"$WORK/logs/callgrind.$cfg.log" 2>&1; then
      echo "bench: callgrind under $cfg failed (log: $WORK/logs/callgrind.$cfg.log)" >&2
      continue
    fi
    counts=$(awk -f "$SRC/bench/lib/callgrind_cost.awk" "$out")
    [[ -n $counts ]] || { echo "bench: callgrind under $cfg: no totals in $out" >&2; continue; }
    read -r "irs[$cfg]" "l1[$cfg]" "ll[$cfg]" "cest[$cfg]" <<<"$counts"
  done
  {
    printf '\n## Instructions per operation (callgrind)\n\n'
    printf 'bench/malloc_stress.cc, one thread, %s operations (each a malloc and, at once or later, its free),\n' "$CALLGRIND_OPS"
    printf 'long-tail sizes; only StressLoop is counted. Reference points, measured in the same run: the\n'
    printf 'passthrough row (the cost of any interposer) and the jemalloc+prof row (jemalloc'"'"'s own profiler).\n'
    printf 'Cache misses are simulated (first level: instruction + data; last level), and the estimated\n'
    printf 'cycles are Ir + 10 x first-level misses + 100 x last-level misses: a deterministic proxy for\n'
    printf 'time (no prefetching, no overlap), see bench/lib/callgrind.sh.\n'
    printf 'The leaktrack+jemalloc,unsampled row runs leaktrack with LEAKTRACK_RATE=%s, so that not one\n' "$UNSAMPLED_RATE"
    printf 'allocation of the loop is sampled: it is what the hooks cost alone (forwarding, and telling a\n'
    printf 'sampled free from the others); the rest of the leaktrack+jemalloc row is what sampling at the\n'
    printf 'default rate costs.\n\n'
    printf '| config | instructions/op | vs its base | L1 misses/op | LL misses/op | est. cycles/op | vs its base |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    for cfg in "${CALLGRIND_CONFIGS[@]}"; do
      [[ -n ${irs[$cfg]:-} ]] || { printf '| %s | unavailable | - | - | - | - | - |\n' "$cfg"; continue; }
      base=$(config_base "${cfg%,unsampled}")
      ratio="-" cratio="-"
      if [[ $base == "$cfg" ]]; then
        ratio="base" cratio="base"
      elif [[ -n ${irs[$base]:-} ]]; then
        ratio=$(awk -v a="${irs[$cfg]}" -v b="${irs[$base]}" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}')
        cratio=$(awk -v a="${cest[$cfg]}" -v b="${cest[$base]}" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}')
      fi
      awk -v c="$cfg" -v ir="${irs[$cfg]}" -v l1="${l1[$cfg]}" -v ll="${ll[$cfg]}" -v ce="${cest[$cfg]}" \
          -v r="$ratio" -v cr="$cratio" -v n="$CALLGRIND_OPS" \
          'BEGIN {printf "| %s | %.1f | %s | %.2f | %.3f | %.1f | %s |\n", c, ir / n, r, l1 / n, ll / n, ce / n, cr}'
    done
    if [[ -f "$WORK/callgrind.leaktrack.out" ]] && command -v callgrind_annotate >/dev/null; then
      printf '\nWhere leaktrack'"'"'s instructions go (self cost, whole run of StressLoop, shim and libunwind lines only):\n\n```\n'
      callgrind_annotate --auto=no --inclusive=no --show=Ir "$WORK/callgrind.leaktrack.out" 2>/dev/null |
        sed -n '/^ *[0-9,]\+ (.*\(preload\/\|libleaktrack\|libunwind\)/p' | sed '/=>/d' | sed -n '1,15p'
      printf '```\n'
    fi
  } | tee -a "$md" >&2
}
