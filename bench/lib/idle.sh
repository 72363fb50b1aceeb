# Sourced by bench/run.sh. What leaktrack costs a process that does nothing: with
# LEAKTRACK_INTERVAL set, the shim's interval thread wakes every 100 ms to look for a dump
# request and for being the last thread (preload/dump_trigger.cc, last_thread.h). Nothing else of
# the shim runs while the program is idle. bench/idle_threads.cc holds 0 or 500 threads blocked
# and sleeps; this reads the interval thread's own CPU time from its schedstat over a window.
# No target in issue 6; the peers have no such thread (their cost at rest is 0).

IDLE_RUNS=3
IDLE_SECONDS=10
[[ ${BENCH_QUICK:-0} == 1 ]] && IDLE_SECONDS=2

# idle_once THREADS RUN: prints "cpu_ns timeslices" of the interval thread over the
# IDLE_SECONDS window, or nothing if the run failed.
idle_once() {
  local threads=$1 run=$2 dir="$WORK/idle.$1.$2" pid tid="" a b a1 a3 b1 b3 i
  mkdir -p "$dir"
  LEAKTRACK_INTERVAL=3600 LEAKTRACK_DIR="$dir" LD_PRELOAD="$SHIM" \
    "$BIN/bench_idle_threads" "$threads" $((IDLE_SECONDS + 5)) &
  pid=$!
  sleep 1  # start-up (the threads' creation) stays out of the window
  for i in /proc/$pid/task/*; do
    [[ $(cat "$i/comm" 2>/dev/null) == leaktrack-dump ]] && tid=${i##*/}
  done
  if [[ -n $tid ]]; then
    a=$(cat "/proc/$pid/task/$tid/schedstat")
    sleep "$IDLE_SECONDS"
    b=$(cat "/proc/$pid/task/$tid/schedstat")
    read -r a1 _ a3 <<<"$a"
    read -r b1 _ b3 <<<"$b"
    echo "$((b1 - a1)) $((b3 - a3))"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

idle_section() {
  local md=$1 threads run line ns slices rows="" per_wake=() per_core=()
  if [[ ! -f $SHIM ]]; then
    printf '\n## Idle cost\n\nNo shim at %s: skipped.\n' "$SHIM" >>"$md"
    return 0
  fi
  echo "bench: idle cost, $IDLE_RUNS runs of ${IDLE_SECONDS} s each for 0 and 500 threads" >&2
  for threads in 0 500; do
    per_wake=() per_core=()
    for run in $(seq "$IDLE_RUNS"); do
      line=$(idle_once "$threads" "$run")
      if [[ -z $line ]]; then
        rows+="| $threads | $run | failed: no leaktrack-dump thread | | |"$'\n'
        continue
      fi
      read -r ns slices <<<"$line"
      per_wake+=("$(awk -v n="$ns" -v s="$slices" 'BEGIN {printf "%.0f", s ? n / s / 1000 : 0}')")
      per_core+=("$(awk -v n="$ns" -v t="$IDLE_SECONDS" 'BEGIN {printf "%.3f", n / (t * 1e9) * 100}')")
      rows+="| $threads | $run | $slices | ${per_wake[-1]} | ${per_core[-1]} |"$'\n'
    done
    rows+="| $threads | **median** | | **$(printf '%s\n' "${per_wake[@]}" | median_of)** | **$(printf '%s\n' "${per_core[@]}" | median_of %.3f)** |"$'\n'
  done
  {
    printf '\n## Idle cost\n\n'
    printf 'A process at rest (bench/idle_threads.cc: 0 or 500 threads blocked, main asleep) under the shim\n'
    printf 'with LEAKTRACK_INTERVAL=3600: the interval thread is then all of leaktrack that runs. It wakes\n'
    printf 'every 100 ms to look for a dump request and for being the last thread. Read from the thread'"'"'s\n'
    printf '/proc schedstat over %s s after the first second: its wake-ups, its CPU time per wake-up, and\n' "$IDLE_SECONDS"
    printf 'that CPU time as a share of one core. Without LEAKTRACK_INTERVAL there is no such thread and\n'
    printf 'an idle process costs nothing. No target in issue 6.\n\n'
    printf '| program threads | run | wake-ups | CPU us per wake-up | %% of one core |\n'
    printf '|---:|---|---:|---:|---:|\n'
    printf '%s' "$rows"
  } | tee -a "$md" >&2
}
