# Sourced by bench/run.sh. Workload 2: redis-server under redis-benchmark on loopback, a bounded
# number of requests per run. Debian's redis-server links jemalloc, so every config here is
# compared with plain jemalloc. A fresh server per run; the server is pinned to CPU 0 and the
# client to CPU 1 so they do not fight over a core (heaptrack's interpreter shares the server's
# CPU: that is part of its cost). Throughput is the total requests over the total time of all
# tests (the harmonic mean of their rates); RSS is the server's VmHWM and CPU its user + system
# time, both read just before shutdown (heaptrack's interpreter is not included).

REDIS_CONFIGS=(jemalloc passthrough leaktrack+jemalloc heaptrack jemalloc+prof)
REDIS_TESTS=set,get,incr,lpush,lpop,sadd,hset

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
redis_start() {
  local cfg=$1 log=$2 try _
  PID="" BG=""
  for try in 1 2 3; do
    redis_pick_port || return 1
    config_prefix "$cfg"
    (cd "$WORK/cwd" && exec taskset -c 0 "${PREFIX[@]}" redis-server --port "$PORT" --bind 127.0.0.1 \
       --save "" --appendonly no --protected-mode no --dir "$WORK/cwd") >>"$log" 2>&1 &
    BG=$!
    for _ in $(seq 300); do
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
  redis-benchmark -h 127.0.0.1 -p "$PORT" -n 20000 -c 50 -P 8 -t set -q >/dev/null 2>&1 || true  # warm-up
  if timeout 300 taskset -c 1 redis-benchmark -h 127.0.0.1 -p "$PORT" -n "$REDIS_REQUESTS" -c 50 -P 8 \
       -r 100000 -d 128 -t "$REDIS_TESTS" --csv >"$csv" 2>>"$log"; then
    rps=$(awk -F'"' 'NR > 1 && $4 > 0 {n++; s += 1 / $4} END {if (n) printf "%.0f", n / s}' "$csv") || rps=""
  fi
  rss=$(awk '$1 == "VmHWM:" {print $2}' "/proc/$PID/status" 2>/dev/null) || rss=""
  # Server CPU (utime + stime, fields 14 and 15 after the command name) for the fixed work.
  cpu=$( (sed 's/.*) //' "/proc/$PID/stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($12 + $13) / hz}') 2>/dev/null) || cpu=""
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || kill "$PID" 2>/dev/null || true
  wait "$BG" 2>/dev/null || true
  rm -f "$WORK"/heaptrack.out*
  if [[ -z $rps ]]; then
    echo "bench: redis-benchmark under $cfg failed (log: $log)" >&2
    note_failure redis "$cfg" "$log"
  fi
  emit R redis "$cfg" "$rep" "${rps:-NA}" "${rss:-NA}" "${cpu:-NA}"
}
