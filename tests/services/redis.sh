#!/usr/bin/env bash
# S1: redis-server under redis-benchmark, without and with the shim (a dump every 0.1 s).
# Results compared: the benchmark's exit status and error lines, the deterministic data it
# leaves (INCR counter, list length, key count, a value), and the server's exit status after
# SHUTDOWN NOSAVE. Then every dump must validate.
LT_ID=S1 LT_NAME=redis_benchmark
LT_HOW="redis-server on loopback, redis-benchmark -n 20000 -c 8 (set,get,incr,lpush,lpop,sadd,hset); a dump every 0.1 s; same data and exit status, dumps valid"
source "$(dirname "$0")/service_lib.sh"
lt_need redis-server redis-benchmark redis-cli

phase() {
  local label=$1 dir=$LT_WORK/$1 port
  mkdir -p "$dir"
  port=$(lt_free_port)
  env $(lt_env "$label" "$dir") redis-server --port "$port" --bind 127.0.0.1 --save '' \
    --appendonly no --dir "$dir" --logfile "$dir/redis.log" >"$dir/server.log" 2>&1 &
  local pid=$!
  LT_PIDS+=("$pid")
  lt_wait_port "$port" 20 || lt_fail "$label: redis-server did not listen"
  timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -n 20000 -c 8 -q \
    -t set,get,incr,lpush,lpop,sadd,hset >"$dir/bench.txt" 2>&1
  local brc=$?
  ((brc == 124)) && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: benchmark hung"; }
  {
    echo "benchmark rc=$brc errors=$(grep -ci 'error' "$dir/bench.txt")"
    echo "ops reported: $(grep -c 'requests per second' "$dir/bench.txt")"
    redis-cli -p "$port" GET 'counter:__rand_int__'
    redis-cli -p "$port" LLEN mylist
    redis-cli -p "$port" SCARD myset
    redis-cli -p "$port" DBSIZE
    redis-cli -p "$port" GET 'key:__rand_int__'
    redis-cli -p "$port" SET probe "$(seq 1 500 | tr '\n' ,)" >/dev/null
    redis-cli -p "$port" GET probe | md5sum
  } >"$dir/result.txt"
  redis-cli -p "$port" SHUTDOWN NOSAVE >/dev/null 2>&1
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: redis-server did not exit after SHUTDOWN"; }
  wait "$pid"
  echo "server exit status $?" >>"$dir/result.txt"
  cp "$dir/server.log" "$dir/shim-stderr.log"
}

phase baseline
phase shim
lt_compare 10
