#!/usr/bin/env bash
# The leak hunt, end to end, on a native service (`make demo` runs it).
#
# The story: a service's memory climbs; we take a heap snapshot after a few requests and another
# after a burst of 500; `go tool pprof -top -base` names the connection buffers that were never
# released; the --fixed build makes the same diff flat. Then the case without a restart: the
# leaky service started without leaktrack, already leaking, and `leaktrack attach` to it
# (skipped where ptrace is not allowed: no CAP_SYS_PTRACE, and Yama's ptrace_scope above 0).
#
# Usage: examples/run_demo.sh BUILD_DIR
#   BUILD_DIR must hold libleaktrack.so, leaktrack (the CLI) and examples/cron_service.
#   Output goes to $LEAKTRACK_DEMO_OUT (default ./demo-out): for each of leaky/ and fixed/,
#   heap.0.pb.gz, heap.1.pb.gz, leaked.0.txt/leaked.1.txt (the service's own GET /debug/leaked),
#   top.txt (the diff shown) and service.log; attached/ the same for the attach leg.
#   tests/demo/demo_test.sh checks those files.
# Without the CLI (BUILD_DIR/leaktrack missing), or with LEAKTRACK_DEMO_RAW=1, it falls back to
# LD_PRELOAD + kill -USR2 and shows the raw dumps by source line (-lines): go tool pprof finds
# file:line in the DWARF but no C++ function names.
# Everything it starts is killed on exit; it needs curl and go (for `go tool pprof`).
set -euo pipefail

die() { echo "run_demo: $*" >&2; exit 1; }

(($# == 1)) || die "usage: run_demo.sh BUILD_DIR"
BUILD=$(cd "$1" 2>/dev/null && pwd) || die "no such build directory: $1"
SHIM=$BUILD/libleaktrack.so
CLI=$BUILD/leaktrack
SERVICE=$BUILD/examples/cron_service
OUT=${LEAKTRACK_DEMO_OUT:-./demo-out}
FIRST=5      # requests before the first snapshot
BURST=500    # requests between the snapshots
JOBS="jobs=backup,rotate-logs,send-report"

[[ -f $SHIM ]] || die "missing $SHIM: build it first (make all)"
[[ -x $SERVICE ]] || die "missing $SERVICE: build it first (make all)"
command -v curl >/dev/null || die "curl not found: run scripts/install-deps.sh"
command -v go >/dev/null || die "go not found (needed for go tool pprof): run scripts/install-deps.sh"
# Every leaked client holds two fds (its socket and the backend's end); the service raises its
# soft limit to the hard one, which must leave room for FIRST + BURST leaks.
hard_fds=$(ulimit -Hn)
if [[ $hard_fds != unlimited ]] && ((hard_fds < 2 * (FIRST + BURST) + 64)); then
  die "the fd hard limit ($hard_fds) is too low: $((FIRST + BURST)) leaked connections need" \
      "$((2 * (FIRST + BURST) + 64)) fds; raise it (as root: ulimit -Hn 4096) and rerun"
fi
USE_CLI=1
ATTACH=0
TOP_FLAGS=(-top)
if [[ ! -x $CLI || ${LEAKTRACK_DEMO_RAW:-0} == 1 ]]; then
  USE_CLI=0
  # go tool pprof finds file:line in the DWARF of a raw dump but no C++ function names (it does
  # not follow DW_AT_specification), so -lines is the only readable view of a raw dump.
  TOP_FLAGS=(-top -lines)
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# Paths as the user would type them: relative to where they stand when that is below it.
rel() {
  local r
  r=$(realpath --relative-to="$PWD" "$1")
  if [[ $r == ../* ]]; then realpath "$1"; else printf '%s\n' "$r"; fi
}

launcher_pid=""
service_pid=""
cleanup() {
  # The service first (it is the launcher itself, or its child), then whatever launched it.
  for pid in $service_pid $launcher_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $service_pid $launcher_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n $launcher_pid ]]; then wait "$launcher_pid" 2>/dev/null || true; fi
  launcher_pid=""
  service_pid=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
cmd() { printf '    $ %s\n' "$*"; }

# start_service DIR [service args...]: starts it under leaktrack (without, when ATTACH=1) and sets
# service_pid and port.
start_service() {
  local dir=$1; shift
  mkdir -p "$dir/raw"
  if ((ATTACH)); then
    cmd "$(rel "$SERVICE") --port 0 $*   # no leaktrack"
    LEAKTRACK_DIR=$dir/raw "$SERVICE" --port 0 "$@" >"$dir/service.log" 2>&1 &
  elif ((USE_CLI)); then
    cmd "$(rel "$CLI") run -- $(rel "$SERVICE") --port 0 $*"
    LEAKTRACK_DIR=$dir/raw "$CLI" run -- "$SERVICE" --port 0 "$@" >"$dir/service.log" 2>&1 &
  else
    cmd "LD_PRELOAD=$(rel "$SHIM") $(rel "$SERVICE") --port 0 $*"
    LD_PRELOAD=$SHIM LEAKTRACK_DIR=$dir/raw "$SERVICE" --port 0 "$@" >"$dir/service.log" 2>&1 &
  fi
  launcher_pid=$!
  local line=""
  for _ in $(seq 100); do
    line=$(grep -s -m1 'cron_service: pid .* listening on' "$dir/service.log" || true)
    [[ -n $line ]] && break
    kill -0 "$launcher_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $line ]] || { cat "$dir/service.log" >&2; die "the service did not start (log above)"; }
  say "    ${line}"
  service_pid=$(sed -E 's/.*pid ([0-9]+) .*/\1/' <<<"$line")
  port=$(sed -E 's/.*127\.0\.0\.1:([0-9]+) \(backend.*/\1/' <<<"$line")
}

# send N: N POST /v0/cron requests (one curl, URL globbing); all must answer 200.
send() {
  local n=$1 ok
  ok=$(curl -s -o /dev/null -w '%{http_code}\n' -X POST -d "$JOBS" \
         "http://127.0.0.1:$port/v0/cron?req=[1-$n]" | grep -c '^200$' || true)
  ((ok == n)) || die "only $ok of $n requests succeeded (see $(rel "$dir")/service.log)"
}

# truth DIR SEQ: the service's own account of its leaked clients, saved for the test.
truth() {
  curl -sf "http://127.0.0.1:$port/debug/leaked" >"$1/leaked.$2.txt" ||
    die "GET /debug/leaked failed"
}

# snapshot DIR SEQ: heap profile of the running service into DIR/heap.SEQ.pb.gz.
snapshot() {
  local dir=$1 seq=$2 target=$1/heap.$2.pb.gz
  rm -f "$target"
  if ((USE_CLI)); then
    cmd "$(rel "$CLI") dump $service_pid -o $(rel "$target")"
    "$CLI" dump "$service_pid" -o "$target" >/dev/null || die "leaktrack dump failed"
  else
    # Raw mode: SIGUSR2 makes the shim write leaktrack.<pid>.<seq>.pb.gz into LEAKTRACK_DIR.
    cmd "kill -USR2 $service_pid   # writes $(rel "$dir/raw")/leaktrack.$service_pid.$seq.pb.gz"
    local raw=$dir/raw/leaktrack.$service_pid.$seq.pb.gz
    kill -USR2 "$service_pid"
    for _ in $(seq 100); do [[ -s $raw ]] && break; sleep 0.1; done
    [[ -s $raw ]] || die "no dump appeared at $raw"
    cp "$raw" "$target"
  fi
}

# field FILE KEY: a value from a leaked.N.txt file.
field() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# hunt NAME [service args...]: the whole story for one build of the service. NAME "attached":
# the leaky service, started without leaktrack and attached to once it leaks.
hunt() {
  local name=$1; shift
  dir=$OUT/$name
  rm -rf "$dir"
  mkdir -p "$dir"
  say ""
  if ((ATTACH)); then
    say "== The leaky service again, started without leaktrack: cron_service${*:+ $*} =="
    say "1. It runs, and leaks, with no profiler: the case where restarting it would hide the leak."
    start_service "$dir" "$@"
    cmd "for i in \$(seq $FIRST); do curl -X POST -d '$JOBS' http://127.0.0.1:$port/v0/cron; done"
    send "$FIRST"
    say "2. Attach leaktrack to it (one thread stops for a few ms), send $FIRST more, take the first snapshot."
    cmd "$(rel "$CLI") attach $service_pid"
    "$CLI" attach "$service_pid" >"$dir/attach.txt" 2>&1 || { cat "$dir/attach.txt" >&2; die "attach failed"; }
    say "    $(head -1 "$dir/attach.txt")"
  else
    say "== The ${name} service: cron_service${*:+ $*} =="
    say "1. Start it under leaktrack (default sampling: one sample per 512 KiB allocated)."
    start_service "$dir" "$@"
    say "2. Send $FIRST requests, the way the article did, and take the first heap snapshot."
  fi
  cmd "for i in \$(seq $FIRST); do curl -X POST -d '$JOBS' http://127.0.0.1:$port/v0/cron; done"
  send "$FIRST"
  truth "$dir" 0
  snapshot "$dir" 0
  say "3. Send a burst of $BURST more, and take the second snapshot."
  cmd "curl -X POST -d '$JOBS' 'http://127.0.0.1:$port/v0/cron?req=[1-$BURST]'   # curl's URL globbing"
  send "$BURST"
  truth "$dir" 1
  snapshot "$dir" 1
  say "4. What is still held now that was not before?"
  cmd "cd $(rel "$dir") && go tool pprof ${TOP_FLAGS[*]} -base heap.0.pb.gz heap.1.pb.gz"
  (cd "$dir" && go tool pprof "${TOP_FLAGS[@]}" -base heap.0.pb.gz heap.1.pb.gz) \
    >"$dir/top.txt" 2>&1 || { cat "$dir/top.txt" >&2; die "go tool pprof failed"; }
  # Shown without the dump's comment lines (shim version, rate, counters) that pprof prints
  # between "Build ID:" and "Type:"; top.txt has them all.
  awk '/^Type:/ { body = 1 } /^(File|Build ID):/ || body { print "    " $0 }' "$dir/top.txt"
  if [[ $name == leaky ]] && ((USE_CLI)) && ! ((ATTACH)); then
    say "5. And who allocates them?"
    cmd "go tool pprof -peek 'NewBuf(Writer|Reader)' -base heap.0.pb.gz heap.1.pb.gz"
    (cd "$dir" && go tool pprof -peek 'NewBuf(Writer|Reader)' -base heap.0.pb.gz heap.1.pb.gz) \
      >"$dir/peek.txt" 2>&1 || { cat "$dir/peek.txt" >&2; die "go tool pprof -peek failed"; }
    awk '/^-+\+/ { body = 1 } body { print "    " $0 }' "$dir/peek.txt"
  fi
  local clients bytes
  clients=$(($(field "$dir/leaked.1.txt" leaked_clients) - $(field "$dir/leaked.0.txt" leaked_clients)))
  bytes=$(($(field "$dir/leaked.1.txt" leaked_buffer_bytes) - $(field "$dir/leaked.0.txt" leaked_buffer_bytes)))
  say "   The service's own account (GET /debug/leaked): $clients more clients never closed, holding"
  say "   $bytes bytes of connection buffers ($((bytes / 1024)) KiB); the profile estimates it from samples."
  cleanup
}

start=$SECONDS
if ((USE_CLI)); then
  say "leaktrack demo: the leak hunt (CLI: $(rel "$CLI"))"
else
  say "leaktrack demo: the leak hunt, raw mode (no CLI at $(rel "$CLI"), or LEAKTRACK_DEMO_RAW=1):"
  say "LD_PRELOAD + SIGUSR2 and unsymbolized dumps. go tool pprof can only find their source lines"
  say "(-lines), not C++ function names; build the CLI (make all) for the full story."
fi
hunt leaky
say "   The top lines are the connection buffers, allocated in NewBufWriter/NewBufReader under"
say "   Dial <- NewBackendClient <- CronHandler: a client per request that nobody closes."
hunt fixed --fixed
say "   With the one-line fix (client->Close()), the same $BURST requests leave nothing behind."
if ((USE_CLI)); then
  # attach ptraces a process that is not its descendant: CAP_SYS_PTRACE, or Yama's scope 0.
  caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  if ! (( (16#$caps >> 19) & 1 )) &&
     [[ $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0) != 0 ]]; then
    say ""
    say "== (Skipped: attaching to a running service needs CAP_SYS_PTRACE here, or ptrace_scope 0.) =="
  else
    ATTACH=1
    hunt attached
    ATTACH=0
    say "   Attached while it ran: the same two buffer sites, without a restart. Only what was"
    say "   allocated after the attach is in the profiles, which is what the diff compares."
  fi
fi

leaky=$(rel "$OUT/leaky")
say ""
say "== Done in $((SECONDS - start)) s. Dig further (profiles in $leaky) =="
cmd "cd $leaky"
cmd "go tool pprof -traces -base heap.0.pb.gz heap.1.pb.gz            # whole stacks of what grew"
cmd "go tool pprof -list 'NewBufWriter' -base heap.0.pb.gz heap.1.pb.gz  # the source lines"
cmd "go tool pprof -http=:8080 -base heap.0.pb.gz heap.1.pb.gz        # graphs and a flame graph"
cmd "$(cd "$OUT/leaky" && rel "$CLI") growth heap.0.pb.gz heap.1.pb.gz      # leaktrack's own summary"
say "On your own service:"
cmd "$(rel "$CLI") run -- ./your_service --its --flags     # or, already running: $(rel "$CLI") attach PID"
cmd "$(rel "$CLI") dump PID -o heap.0.pb.gz   # ... load ...   $(rel "$CLI") dump PID -o heap.1.pb.gz"
