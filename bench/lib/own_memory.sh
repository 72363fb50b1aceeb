# Sourced by bench/run.sh. leaktrack's own memory, read rather than inferred. The peak-RSS
# column of the tables above is the program's whole footprint, so it also carries the
# allocator's run-to-run swing: with two threads glibc's own five rounds can differ by more
# than the whole memory budget. Here each workload runs once more under each leaktrack config
# with LEAKTRACK_AT_EXIT=1, and the profile the shim writes at exit says how much of its tables
# and side stacks is resident ("own memory: X MiB resident of Y MiB reserved", read from
# /proc/self/pagemap: preload/own_memory.h says what it counts and what it leaves out). Those
# pages are never given back, so the figure at exit is their peak.

# own_memory_median WORKLOAD CONFIG: the median peak RSS (KiB) of CONFIG's rounds, or nothing.
own_memory_median() {
  awk -F'\t' -v w="$1" -v c="$2" '$1 == "R" && $2 == w && $3 == c && $6 ~ /^[0-9]+$/ {print $6}' \
      "$RESULTS" | median_of
}

# own_memory_line DIR: the own-memory comment of the profile in DIR, or nothing.
own_memory_line() {
  local f
  for f in "$1"/*.pb.gz; do [[ -f $f ]] && gzip -dc "$f"; done 2>/dev/null |
    grep -ao 'own memory: [0-9.]* MiB resident of [0-9.]* MiB reserved' | tail -1 || true
}

own_memory_section() {
  local md=$1 wl cfg dir line rows="" res rsv base over budget configs=()
  for wl in malloc malloc1 redis compile; do
    wants "$wl" || continue
    [[ $wl == redis ]] && ! command -v redis-server >/dev/null && continue
    case $wl in
      redis) configs=("${REDIS_CONFIGS[@]}") ;;
      compile) configs=("${COMPILE_CONFIGS[@]}") ;;
      *) configs=("${MALLOC_CONFIGS[@]}") ;;
    esac
    for cfg in "${configs[@]}"; do
      [[ $cfg == leaktrack* ]] && config_available "$cfg" 2>/dev/null || continue
      dir="$WORK/own/$wl.$cfg"
      mkdir -p "$dir"
      echo "bench: own memory: $wl under $cfg" >&2
      OWN_MEMORY_DIR=$dir RESULTS="$WORK/own.tsv" "${wl}_run_once" "$cfg:own" own
      line=$(own_memory_line "$dir")
      if [[ -z $line ]]; then
        rows+="| $wl | $cfg | no profile at exit (log: $WORK/logs/$wl.$cfg:own.own.log) | | | |"$'\n'
        continue
      fi
      res=$(awk '{print $3}' <<<"$line")
      rsv=$(awk '{print $7}' <<<"$line")
      base=$(own_memory_median "$wl" "$(config_base "$cfg")")
      over=$(own_memory_median "$wl" "$cfg")
      over=${base:+${over:+$(awk -v a="$over" -v b="$base" 'BEGIN {printf "%+.1f", (a - b) / 1024}')}}
      budget=${base:+$(awk -v b="$base" 'BEGIN {printf "%.1f", 8 + 0.02 * b / 1024}')}
      rows+="| $wl | $cfg | $res | $rsv | $over | $budget |"$'\n'
    done
  done
  [[ -n $rows ]] || return 0
  {
    printf "\n## leaktrack's own memory\n\n"
    cat <<'TEXT'
One more run of each workload under each leaktrack config, with LEAKTRACK_AT_EXIT=1: the
profile written at exit says how much of the shim's tables and side stacks is resident (pages
written by this process, from /proc/self/pagemap; they are written only where samples land,
and never given back, so this is their peak). The peak RSS over the base, from the tables
above, is the whole program's difference: it adds the shim's code and data (~0.5 MiB), the
pages of the program's unwind tables that the unwinder reads (file pages, clean; ~2 MiB of
cc1plus), and the allocator's own run-to-run swing, which with two threads can exceed the
budget (compare glibc's min-max there).

TEXT
    printf '| workload | config | own memory resident MiB | reserved MiB |'
    printf ' peak RSS over base, medians, MiB | budget (8 MiB + 2%%) MiB |\n'
    printf '|---|---|---:|---:|---:|---:|\n'
    printf '%s' "$rows"
  } | tee -a "$md" >&2
}
