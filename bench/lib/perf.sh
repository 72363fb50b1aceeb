# Sourced by bench/run.sh. Where leaktrack's time goes: perf record of the malloc benchmark under
# the shim at the default rate, summarized by library and by symbol.

perf_section() {
  local md=$1 data="$WORK/perf.data"
  if [[ ! -f $SHIM ]] || ! command -v perf >/dev/null; then
    printf '\n## Profile of the shim (perf)\n\nSkipped (no shim or no perf).\n' >>"$md"
    return 0
  fi
  echo "bench: perf record of malloc_bench under leaktrack" >&2
  if ! (cd "$WORK/cwd" && perf record -q -F 4999 -o "$data" -- env LD_PRELOAD="$SHIM" \
        "$BIN/bench_malloc_bench" --threads 2 --ops "$MALLOC_OPS") >"$WORK/logs/perf.log" 2>&1; then
    printf '\n## Profile of the shim (perf)\n\nperf record failed: %s\n' "$(tail -1 "$WORK/logs/perf.log")" >>"$md"
    return 0
  fi
  {
    printf '\n## Profile of the shim (perf)\n\n'
    printf '`perf record` of malloc_bench under leaktrack (default rate), share of samples by library, then the\n'
    printf 'top symbols.\n\n```\n'
    # sed, not head: head would close the pipe early and pipefail would turn SIGPIPE into a failure.
    perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | sed -n '/^[^#]/p' | sed -n '1,8p'
    echo
    perf report -i "$data" --no-children --sort dso,sym --stdio 2>/dev/null | sed -n '/^[^#]/p' | sed -n '1,20p'
    printf '```\n'
  } | tee -a "$md" >&2
}
