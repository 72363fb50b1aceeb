#!/usr/bin/env bash
# S2: nginx (master + 2 forked workers) under wrk, without and with the shim (a dump every
# 0.1 s). Results compared: wrk's error counters (non-2xx, socket errors), the sha256 of three
# files fetched with curl, and the master's exit status after a graceful QUIT. Dumps validated.
LT_ID=S2 LT_NAME=nginx_wrk
LT_HOW="nginx-light (master + 2 workers, fork without exec) on loopback under wrk -t2 -c16 -d3s; a dump every 0.1 s; no errors, same bodies and exit status, dumps valid; leaktrack dump gets the master's dump without sending it its own SIGUSR2"
source "$(dirname "$0")/service_lib.sh"
lt_need nginx wrk curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

mkdir -p "$LT_WORK/www"
head -c 100000 /dev/urandom >"$LT_WORK/www/big.bin"
seq 1 2000 >"$LT_WORK/www/index.html"
echo small >"$LT_WORK/www/small.txt"

phase() {
  local label=$1 dir=$LT_WORK/$1 port
  mkdir -p "$dir/tmp"
  port=$(lt_free_port)
  cat >"$dir/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  server { listen 127.0.0.1:$port; root $LT_WORK/www; }
}
CONF
  env $(lt_env "$label" "$dir") "$NGINX" -c "$dir/nginx.conf" -e "$dir/error.log" \
    >"$dir/server.log" 2>&1 &
  local pid=$!
  LT_PIDS+=("$pid")
  lt_wait_port "$port" 20 || lt_fail "$label: nginx did not listen ($(tail -2 "$dir/error.log"))"
  timeout 60 wrk -t2 -c16 -d3s "http://127.0.0.1:$port/index.html" >"$dir/wrk.txt" 2>&1
  local wrc=$?
  ((wrc == 124)) && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: wrk hung"; }
  {
    echo "wrk rc=$wrc"
    echo "requests > 0: $(awk '/requests in/{print ($1 > 0)}' "$dir/wrk.txt")"
    echo "non-2xx lines: $(grep -c 'Non-2xx' "$dir/wrk.txt")"
    echo "socket error lines: $(grep -c 'Socket errors' "$dir/wrk.txt")"
    for f in index.html big.bin small.txt; do
      curl -s "http://127.0.0.1:$port/$f" | sha256sum
    done
    curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/missing"
  } >"$dir/result.txt"
  if [[ $label == shim ]]; then
    # nginx keeps SIGUSR2 for itself (binary upgrade): `leaktrack dump` must not send it. Had it
    # been sent, error.log's [crit] line about the changing binary signal would differ from the
    # baseline's below. With the shim's interval thread there, dump asks that thread through
    # memory instead and gets the master's dump; and it finds the dump although nginx wrote its
    # process title over the environment that names LEAKTRACK_DIR (the shim says where).
    "$LT_CLI" dump "$pid" --raw -o "$dir/master.pb.gz" --timeout 5 >"$dir/dump.out" 2>&1
    local drc=$?
    ((drc == 0)) && [[ -s $dir/master.pb.gz ]] ||
      lt_fail "$label: dump of the master exited $drc: $(cat "$dir/dump.out")"
    # Without that thread it would refuse rather than signal: the shim's flag says whose
    # handler SIGUSR2 has (tools_run_dump_shim covers that refusal).
  fi
  kill -QUIT "$pid"
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { lt_backtrace "$pid" >"$dir/hang.txt"; lt_fail "$label: nginx did not exit after QUIT"; }
  wait "$pid"
  echo "master exit status $?" >>"$dir/result.txt"
  grep -E '\[(alert|emerg|crit)\]' "$dir/error.log" | sed 's/^.*\] [0-9#]*: //' | sort -u \
    >>"$dir/result.txt"
}

phase baseline
phase shim
lt_compare 10
