# Sourced by bench/run.sh. Per-operation costs of the shim's internals: runs the Google
# Benchmark binary (bench/hooks_benchmark.cc, linked with leaktrack_core) and turns its CSV into
# a Markdown table.

hooks_section() {
  local md=$1 bin="$BIN/bench_hooks_benchmark" csv="$WORK/hooks.csv" min_time=0.2
  [[ ${BENCH_QUICK:-0} == 1 ]] && min_time=0.01
  if [[ ! -x $bin ]]; then
    printf '\n## Per-operation costs (Google Benchmark)\n\nNot built (needs the leaktrack_core target and libbenchmark-dev).\n' >>"$md"
    return 0
  fi
  echo "bench: hooks_benchmark" >&2
  if ! (cd "$WORK/cwd" && "$bin" --benchmark_format=csv --benchmark_min_time="$min_time" \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true) >"$csv" 2>"$WORK/logs/hooks.log"; then
    echo "bench: hooks_benchmark failed (log: $WORK/logs/hooks.log)" >&2
    printf '\n## Per-operation costs (Google Benchmark)\n\nhooks_benchmark failed.\n' >>"$md"
    return 0
  fi
  {
    printf '\n## Per-operation costs (Google Benchmark)\n\n'
    printf 'bench/hooks_benchmark.cc on leaktrack_core (no preload; glibc underneath; default rate and depth).\n'
    printf 'Real* rows are the bare allocator; Hook* rows go through the shim'"'"'s hooks. /N is the allocation size,\n'
    printf 'or for SampledMallocFree and CaptureStack the depth of the caller'"'"'s stack (the walk stops at 64 frames).\n'
    printf '*Batch rows are per free (1024 frees per iteration, allocations untimed). Median of 3 repetitions.\n\n'
    printf '| benchmark | ns/op |\n|---|---:|\n'
    awk -F, '
      /^"BM_.*_median"/ {
        name = $1; gsub(/"/, "", name); sub(/^BM_/, "", name); sub(/_median$/, "", name)
        t = $3; unit = $5; gsub(/"/, "", unit)
        if (unit == "us") t *= 1000; else if (unit == "ms") t *= 1e6
        if (name ~ /Batch/) t /= 1024
        printf "| %s | %.1f |\n", name, t
      }' "$csv"
  } | tee -a "$md" >&2
}
