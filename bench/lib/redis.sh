# Sourced by bench/run.sh. Workload 2: redis-server under redis-benchmark on loopback, a bounded
# number of requests per run. Debian's redis-server links jemalloc, so every config here is
# compared with plain jemalloc. A fresh server per run, warmed up before anything is counted.
# The server is pinned to CPU 0 and the client to CPU 1: in production the clients are on other
# machines and never share the server's core; unpinned, the two share one here whenever other work
# holds the other core, and the server's CPU per request then depends on how the scheduler
# interleaves them (one warm server, the same requests, machine under load: 0.34-0.53 s unpinned,
# 0.33-0.37 s pinned). heaptrack's interpreter shares the server's CPU: part of its cost.
#
# Two numbers per run, both for the same fixed measured requests (startup and warm-up excluded):
# - throughput: total requests over the total time of all tests (the harmonic mean of the rates
#   redis-benchmark reports); it moves with whatever else the machine is doing.
# - CPU: the server's own on-CPU time for the measured requests only: the sum over its threads of
#   /proc/PID/task/*/schedstat (nanoseconds) right after the measured tests minus the same sum
#   right before them (after the warm-up). It does not count the
#   client, the wait for a core, startup or warm-up, and it has no clock-tick granularity
#   (/proc/PID/stat's utime+stime is in 10 ms ticks: ~3% of the 0.35 s the old 30000/test run
#   took). heaptrack's interpreter is a separate process and is not included (its wall-clock
#   cost is).
# RSS is the server's VmHWM just before shutdown.

REDIS_CONFIGS=(jemalloc passthrough leaktrack+jemalloc heaptrack jemalloc+prof)
REDIS_TESTS=set,get,incr,lpush,lpop,sadd,hset
REDIS_NTESTS=7

redis_declare() {
  emit W redis throughput "requests/s" 1.02 "redis: redis-benchmark -n ${REDIS_REQUESTS}/test, 50 clients, pipeline 8, 100k keys, 7 tests"
  local c note
  for c in "${REDIS_CONFIGS[@]}"; do
    note=$(config_note "$c")
    [[ $c == passthrough ]] && note="forwarding-only preload over redis's own jemalloc"
    [[ $c == jemalloc ]] && note="bare redis-server (links jemalloc 5.3)"
    emit C redis "$c" jemalloc "$note"
  done
}

# Sets PORT to a loopback TCP port nobody listens on, below the kernel's ephemeral range (32768
# and up), where a client connection's local port would make the server's bind fail. Not run in
# a subshell: $RANDOM in a command substitution does not advance the parent's generator, so
# every call would draw the same port.
redis_pick_port() {
  local _
  for _ in $(seq 50); do
    PORT=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
  done
  return 1
}

# Starts redis-server under config $1 on a fresh port, logging to $2. Sets PORT, BG (the launched
# process) and PID (the server's pid, which INFO reports and which must be BG or BG's child:
# anything else answering on the port is not ours and is never touched). Retries on a port race.
# REDIS_WRAP (array, default empty) goes between the config's prefix and redis-server (the
# callgrind section puts valgrind there); REDIS_START_POLLS (default 300) is how many 0.1 s
# polls to wait for PONG.
REDIS_WRAP=()
redis_start() {
  local cfg=$1 log=$2 try _
  PID="" BG=""
  for try in 1 2 3; do
    redis_pick_port || return 1
    config_prefix "$cfg"
    (cd "$WORK/cwd" && exec taskset -c 0 "${PREFIX[@]}" "${REDIS_WRAP[@]}" redis-server --port "$PORT" --bind 127.0.0.1 \
       --save "" --appendonly no --protected-mode no --dir "$WORK/cwd") >>"$log" 2>&1 &
    BG=$!
    for _ in $(seq "${REDIS_START_POLLS:-300}"); do
      kill -0 "$BG" 2>/dev/null || break
      [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] && break
      sleep 0.1
    done
    PID=$(redis-cli -p "$PORT" info server 2>/dev/null | tr -d '\r' | awk -F: '$1 == "process_id" {print $2}') || true
    if [[ -n $PID ]] && kill -0 "$BG" 2>/dev/null &&
       [[ $PID == "$BG" || $(awk '$1 == "PPid:" {print $2}' "/proc/$PID/status" 2>/dev/null) == "$BG" ]]; then
      return 0
    fi
    echo "bench: redis-server under $cfg did not come up as ours on port $PORT (try $try)" >&2
    kill "$BG" 2>/dev/null || true
    wait "$BG" 2>/dev/null || true
    PID=""
  done
  return 1
}

# redis_cpu_ns PID: the on-CPU nanoseconds of all of PID's threads so far (schedstat's first
# field), or, where the kernel has no schedstat, utime + stime from /proc/PID/stat in ns.
redis_cpu_ns() {
  local pid=$1 f total=0 v rest
  for f in /proc/"$pid"/task/*/schedstat; do
    read -r v rest <"$f" 2>/dev/null || continue
    total=$((total + v))
  done
  if [[ $total -eq 0 ]]; then
    total=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null |
      awk -v hz="$(getconf CLK_TCK)" '{printf "%.0f", ($12 + $13) * 1e9 / hz}') || return 1
  fi
  echo "$total"
}

# redis_run_once CONFIG REP
redis_run_once() {
  local cfg=$1 rep=$2 log="$WORK/logs/redis.$1.$2.log" csv="$WORK/redis.csv" rss="" rps="" cpu=""
  : >"$log"
  if ! redis_start "$cfg" "$log"; then
    echo "bench: redis-server under $cfg did not start (log: $log)" >&2
    note_failure redis "$cfg" "$log"
    emit R redis "$cfg" "$rep" NA NA
    return 0
  fi
  # Warm-up: fills the key space the measured tests use, so no run starts from an empty heap.
  redis-benchmark -h 127.0.0.1 -p "$PORT" -n 50000 -c 50 -P 8 -r 100000 -d 128 -t set -q >/dev/null 2>&1 || true
  local cpu0 cpu1
  cpu0=$(redis_cpu_ns "$PID") || cpu0=""
  if timeout 300 taskset -c 1 redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$REDIS_REQUESTS" -c 50 -P 8 \
       -r 100000 -d 128 -t "$REDIS_TESTS" --csv >"$csv" 2>>"$log"; then
    rps=$(awk -F'"' -v want="$REDIS_NTESTS" 'NR > 1 && $4 > 0 {n++; s += 1 / $4} END {if (n == want) printf "%.0f", n / s}' "$csv") || rps=""
  fi
  cpu1=$(redis_cpu_ns "$PID") || cpu1=""
  if [[ -n $rps && -n $cpu0 && -n $cpu1 && $cpu1 -gt $cpu0 ]]; then
    cpu=$(awk -v d=$((cpu1 - cpu0)) 'BEGIN {printf "%.4f", d / 1e9}')
  fi
  rss=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$PID/status" 2>/dev/null) || rss=""
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$PID" 2>/dev/null || true
  wait "$BG" 2>/dev/null || true
  rm -f "$WORK"/heaptrack.out*
  if [[ -z $rps ]]; then
    echo "bench: redis-benchmark under $cfg failed (log: $log)" >&2
    note_failure redis "$cfg" "$log"
  fi
  emit R redis "$cfg" "$rep" "${rps:-NA}" "${rss:-NA}" "${cpu:-NA}"
}
