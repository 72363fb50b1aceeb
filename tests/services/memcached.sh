#!/usr/bin/env bash
# S3: memcached (4 worker threads) under a loopback client, without and with the shim (a dump
# every 0.1 s). Results compared: the client's full protocol transcript digest and counts, and
# memcached's exit status after SIGTERM. Dumps validated.
LT_ID=S3 LT_NAME=memcached_client
LT_HOW="memcached -t 4 on loopback; a Python client does 3000 set/get (1 B-200 KB), append/add, 500 incr/decr, deletes, multi-get; a dump every 0.1 s; identical transcript digest and exit status, dumps valid"
source "$(dirname "$0")/service_lib.sh"
lt_need memcached

phase() {
  local label=$1 dir=$LT_WORK/$1 port
  mkdir -p "$dir"
  port=$(lt_free_port)
  env $(lt_env "$label" "$dir") memcached -u root -l 127.0.0.1 -p "$port" -U 0 -t 4 -m 256 \
    -I 1m >"$dir/server.log" 2>&1 &
  local pid=$!
  LT_PIDS+=("$pid")
  lt_wait_port "$port" 20 || lt_fail "$label: memcached did not listen"
  timeout 90 python3 "$(dirname "$0")/memcache_client.py" "$port" >"$dir/result.txt" 2>"$dir/client.err"
  local crc=$?
  ((crc == 124)) && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: client hung"; }
  echo "client rc=$crc" >>"$dir/result.txt"
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: memcached did not exit on SIGTERM"; }
  wait "$pid"
  echo "server exit status $?" >>"$dir/result.txt"
}

phase baseline
phase shim
lt_compare 5
