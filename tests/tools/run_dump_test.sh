#!/bin/bash
# End-to-end tests of `leaktrack run` and `leaktrack dump`.
# usage: run_dump_test.sh LEAKTRACK SLEEPER CC errors|shim|blocked|main_exits|install
#   errors: refusals and bad PIDs (needs no shim)
#   shim:   run + dump + symbolize + growth against the real libleaktrack.so (skips, exit 77,
#           when it has not been built next to LEAKTRACK)
#   blocked: a program that blocks every signal is not signalled (skips without the shim)
#   main_exits: a program whose main thread has exited is dumped (skips without the shim)
#   install: cmake --install into a scratch prefix, then run from there
set -u
LEAKTRACK=$1 SLEEPER=$2 CC=$3 MODE=$4
source "$(dirname "$0")/script_lib.sh"
# expect CODE PATTERN CMD...: runs CMD, checks the exit code and a one-line stderr with PATTERN.
expect() {
  local code=$1 pattern=$2; shift 2
  "$@" > "$W/stdout" 2> "$W/err"; local rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, want $code: $(cat "$W/err")"
  [ "$(wc -l < "$W/err")" = 1 ] || fail "$*: want one stderr line, got: $(cat "$W/err")"
  grep -q -- "$pattern" "$W/err" || fail "$*: stderr lacks '$pattern': $(cat "$W/err")"
}

if [ "$MODE" = errors ]; then
  echo 'int main(void){return 0;}' > "$W/t.c"
  if "$CC" -static "$W/t.c" -o "$W/static" 2>/dev/null; then
    expect 1 "statically linked: allocation tracking impossible" "$LEAKTRACK" run -- "$W/static"
  else
    echo "note: no static libc, static refusal not tested"
  fi
  if "$CC" -fsanitize=address "$W/t.c" -o "$W/asan" 2>/dev/null; then
    expect 1 "linked against libasan" "$LEAKTRACK" run -- "$W/asan"
  fi
  "$CC" -fsanitize=thread "$W/t.c" -o "$W/tsan" 2>/dev/null &&
    expect 1 "linked against libtsan" "$LEAKTRACK" run -- "$W/tsan"
  # A musl program (its PT_INTERP is musl's loader; never run) and, where gcc can build one, a
  # 32-bit program: the loader would stop the first and run the second untracked.
  "$CC" "$W/t.c" -Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1 -o "$W/musl" ||
    fail "cannot link with another program interpreter"
  expect 1 "uses musl libc (/lib/ld-musl-x86_64.so.1); libleaktrack.so is built for glibc" \
    "$LEAKTRACK" run -- "$W/musl"
  if "$CC" -m32 "$W/t.c" -o "$W/m32" 2>/dev/null; then
    expect 1 "a 32-bit program; libleaktrack.so is 64-bit" "$LEAKTRACK" run -- "$W/m32"
  else
    echo "note: no 32-bit toolchain, 32-bit refusal not tested"
  fi
  expect 127 "command not found" "$LEAKTRACK" run -- /nonexistent/cmd
  expect 1 "not an existing directory" "$LEAKTRACK" run --dir /nonexistent -- true
  expect 2 "--signal" "$LEAKTRACK" run --signal BOGUS -- true
  # A PID that does not exist: a child that already exited.
  true & gone=$!; wait $gone
  expect 1 "no process with PID $gone" "$LEAKTRACK" dump "$gone"
  # A live process without the shim must be refused and must survive.
  env -u LD_PRELOAD "$SLEEPER" "$W/ready0" & p=$!; PIDS+=($p)
  wait_ready "$W/ready0"
  expect 1 "does not have libleaktrack.so loaded.*leaktrack attach $p" "$LEAKTRACK" dump "$p"
  sleep 0.1; kill -0 "$p" || fail "dump killed a process without the shim"
  # With the shim loaded but not active (LEAKTRACK_RATE=0: no dump handler), SIGUSR2 would end
  # the process: refused, and the process lives on. Likewise one that ignores the signal.
  if [ -f "$SHIM" ]; then
    LD_PRELOAD="$SHIM" LEAKTRACK_RATE=0 "$SLEEPER" "$W/ready1" & q=$!; PIDS+=($q)
    wait_ready "$W/ready1"
    expect 1 "process $q has libleaktrack.so loaded but no handler for SIGUSR2, which would end" \
      "$LEAKTRACK" dump "$q"
    sleep 0.1; kill -0 "$q" || fail "dump killed a process whose shim is not active"
    (trap '' USR2; LD_PRELOAD="$SHIM" LEAKTRACK_RATE=0 exec "$SLEEPER" "$W/ready2") & r=$!
    PIDS+=($r)
    wait_ready "$W/ready2"
    expect 1 "process $r ignores SIGUSR2, so it cannot be asked" "$LEAKTRACK" dump "$r"
    # A stopped process takes the signal only once continued: the timeout says so, and the
    # dump follows the SIGCONT.
    mkdir "$W/stopped"
    LD_PRELOAD="$SHIM" LEAKTRACK_DIR="$W/stopped" "$SLEEPER" "$W/ready3" & s=$!; PIDS+=($s)
    wait_ready "$W/ready3"
    kill -STOP "$s"
    expect 3 "process $s is stopped (SIGSTOP, ^Z or a debugger).*kill -CONT $s" \
      "$LEAKTRACK" dump --timeout 0.5 "$s"
    kill -CONT "$s"
    for _ in $(seq 100); do
      compgen -G "$W/stopped/leaktrack.$s.*.pb.gz" >/dev/null && break
      sleep 0.02
    done
    compgen -G "$W/stopped/leaktrack.$s.*.pb.gz" >/dev/null || fail "no dump after SIGCONT"
    # A dump that fails while the shim's handler is in place (a test build's failing open) is
    # not blamed on a replaced handler.
    if grep -q LEAKTRACK_TEST_FAIL_OPEN "$SHIM"; then
      LD_PRELOAD="$SHIM" LEAKTRACK_TEST_FAIL_OPEN=1 LEAKTRACK_DIR="$W" "$SLEEPER" "$W/ready4" &
      f=$!; PIDS+=($f)
      wait_ready "$W/ready4"
      expect 3 "although SIGUSR2 reaches the shim's handler: the dump failed" \
        "$LEAKTRACK" dump --timeout 0.5 "$f"
    fi
  fi
  echo "PASS: run/dump error cases"
  exit 0
fi

# A program that blocks every signal (it takes them with sigwait or signalfd) is not signalled:
# the signal would stay pending, or reach its own sigwait. Refused without an interval thread;
# with one, dump asks it through memory. Needs the shim.
if [ "$MODE" = blocked ]; then
  need_shim
  LD_PRELOAD="$SHIM" LEAKTRACK_DIR="$W" "$SLEEPER" "$W/ready" block-all & p=$!; PIDS+=($p)
  wait_ready "$W/ready"
  expect 1 "process $p blocks SIGUSR2 in every thread .*LEAKTRACK_INTERVAL" "$LEAKTRACK" dump "$p"
  grep -q "^ShdPnd:[[:space:]]*0*$" "/proc/$p/status" ||
    fail "a signal was sent: $(grep Pnd "/proc/$p/status")"
  # With an interval thread, dump asks it through memory: the dump comes at once, not with the
  # next periodic one an hour away (timeout 60 would end that wait), and no signal is sent.
  LD_PRELOAD="$SHIM" LEAKTRACK_DIR="$W" LEAKTRACK_RATE=1 LEAKTRACK_INTERVAL=3600 \
    "$SLEEPER" "$W/ready2" block-all &
  q=$!; PIDS+=($q)
  wait_ready "$W/ready2"
  timeout 60 "$LEAKTRACK" dump "$q" -o "$W/q.pb.gz" > /dev/null 2> "$W/err" ||
    fail "dump: $(cat "$W/err")"
  [ ! -s "$W/err" ] || fail "dump said: $(cat "$W/err")"
  grep -q "^ShdPnd:[[:space:]]*0*$" "/proc/$q/status" ||
    fail "a signal was sent: $(grep Pnd "/proc/$q/status")"
  "$LEAKTRACK" top "$W/q.pb.gz" 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "top: $("$LEAKTRACK" top "$W/q.pb.gz" 2>&1)"
  kill -0 "$p" && kill -0 "$q" || fail "a blocking process died"
  echo "PASS: processes that block the dump signal"
  exit 0
fi

# A server whose main() started its workers and called pthread_exit: its /proc/PID/maps reads
# empty (the kernel answers through the exited main thread), so dump took it for a process
# without the shim, and the shim's own dumps named no binary. With and without an interval
# thread of the shim's; then SIGTERM still ends it.
if [ "$MODE" = main_exits ]; then
  need_shim
  for interval in 0 0.2; do
    LD_PRELOAD="$SHIM" LEAKTRACK_DIR="$W" LEAKTRACK_RATE=1 LEAKTRACK_INTERVAL=$interval \
      "$SLEEPER" "$W/ready.$interval" main-exits & p=$!; PIDS+=($p)
    wait_ready "$W/ready.$interval"
    for _ in $(seq 50); do grep -q "^State:.Z" "/proc/$p/status" && break; sleep 0.02; done
    grep -q "^State:.Z" "/proc/$p/status" || fail "main thread of $p did not exit"
    "$LEAKTRACK" dump "$p" -o "$W/m.$interval.pb.gz" > /dev/null 2> "$W/err" ||
      fail "dump (interval $interval): $(cat "$W/err")"
    # Named, so the dump had the mappings (main's own fopen may still outweigh the leak).
    "$LEAKTRACK" top "$W/m.$interval.pb.gz" 2>&1 | grep -q " sleeper_leak$" ||
      fail "top (interval $interval): $("$LEAKTRACK" top "$W/m.$interval.pb.gz" 2>&1)"
    kill -TERM "$p"
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.02; done
    kill -0 "$p" 2>/dev/null && fail "SIGTERM did not end $p (interval $interval)"
  done
  echo "PASS: a process whose main thread has exited"
  exit 0
fi

if [ "$MODE" = install ]; then
  # cmake --install puts bin/leaktrack and lib/libleaktrack.so under the prefix; run finds it.
  BUILD=$(dirname "$LEAKTRACK")
  [ -f "$BUILD/libleaktrack.so" ] || { echo "SKIP: shim not built"; exit 77; }
  cmake --install "$BUILD" --prefix "$W/prefix" > /dev/null || fail "cmake --install"
  [ -x "$W/prefix/bin/leaktrack" ] && [ -f "$W/prefix/lib/libleaktrack.so" ] || fail "install layout"
  mkdir "$W/d"
  "$W/prefix/bin/leaktrack" run --at-exit --rate 1 --dir "$W/d" -- "$SLEEPER" "$W/r" own-handler &
  p=$!; PIDS+=($p); wait_ready "$W/r"
  grep -q "$W/prefix/lib/libleaktrack.so" "/proc/$p/maps" || fail "installed shim not used"
  echo "PASS: installed layout"
  exit 0
fi

need_shim
mkdir "$W/dumps" "$W/out"
cd "$W/out"
LD_PRELOAD=libm.so.6 "$LEAKTRACK" run --rate 1 --dir "$W/dumps" -- "$SLEEPER" "$W/ready1" & p=$!; PIDS+=($p)
wait_ready "$W/ready1"
tr '\0' '\n' < "/proc/$p/environ" | grep -q "^LD_PRELOAD=.*libleaktrack.so:libm.so.6$" ||
  fail "LD_PRELOAD not prepended: $(tr '\0' '\n' < /proc/$p/environ | grep LD_PRELOAD)"
grep -q libleaktrack.so "/proc/$p/maps" || fail "shim not loaded"
sleep 0.3
"$LEAKTRACK" dump "$p" > "$W/path1" 2> "$W/err1" || fail "dump 1: $(cat "$W/err1")"
D1=$(cat "$W/path1")
[ -f "$D1" ] || fail "dump 1 printed '$D1' which does not exist"
case "$D1" in ./leaktrack.$p.*.pb.gz) ;; *) fail "default output name: $D1";; esac
sleep 0.3
"$LEAKTRACK" dump "$p" -o "$W/d2.pb.gz" > /dev/null 2>&1 || fail "dump 2"
sleep 0.3
"$LEAKTRACK" dump "$p" --raw -o "$W/d3raw.pb.gz" > /dev/null 2>&1 || fail "dump 3 raw"
"$LEAKTRACK" symbolize "$W/d3raw.pb.gz" -o "$W/d3.pb.gz" > /dev/null 2>&1 || fail "symbolize d3"
"$LEAKTRACK" top "$D1" > "$W/top1" || fail "top"
grep -q sleeper_leak "$W/top1" || fail "top lacks sleeper_leak: $(cat "$W/top1")"
"$LEAKTRACK" growth "$D1" "$W/d2.pb.gz" "$W/d3.pb.gz" > "$W/growth" || fail "growth"
grep -A8 "#1 LEAK SUSPECT" "$W/growth" | grep -q sleeper_leak || fail "growth: $(cat "$W/growth")"
"$LEAKTRACK" diff "$D1" "$W/d2.pb.gz" | grep -q sleeper_leak || fail "diff"
if command -v go > /dev/null; then
  go tool pprof -traces "$W/d2.pb.gz" 2> "$W/pperr" | grep -A2 sleeper_leak | grep -q main ||
    fail "pprof traces: $(cat "$W/pperr")"
  # libc's allocations at start-up (fopen's FILE, stdio buffers) are charged to main, and the
  # profile says so; --all-frames keeps libc's frames and says nothing.
  FOLDED="charged to the calling function"
  go tool pprof -comments "$W/d2.pb.gz" 2> /dev/null | grep -q "$FOLDED" || fail "no fold comment"
  "$LEAKTRACK" dump "$p" --all-frames -o "$W/all.pb.gz" > /dev/null 2>&1 || fail "dump --all-frames"
  go tool pprof -comments "$W/all.pb.gz" 2> /dev/null | grep -q "$FOLDED" &&
    fail "dump --all-frames folded anyway"
  go tool pprof -traces "$W/all.pb.gz" 2> /dev/null | grep -q "libc\.so\|_IO_\|fopen" ||
    fail "dump --all-frames shows no libc frame: $(go tool pprof -traces "$W/all.pb.gz" 2>&1 | head -30)"
fi
# watch: three dumps and the growth report, in one command.
"$LEAKTRACK" watch "$p" --every 0.3 --count 3 -o "$W/watch" > "$W/watch.out" 2> "$W/watch.err" ||
  fail "watch: $(cat "$W/watch.err")"
[ "$(ls "$W/watch" | grep -c '^heap\.[0-2]\.pb\.gz$')" = 3 ] || fail "watch wrote: $(ls "$W/watch")"
grep -A8 "#1 LEAK SUSPECT" "$W/watch.out" | grep -q sleeper_leak || fail "watch: $(cat "$W/watch.out")"
# A process that exits on the way: the report covers the dumps taken.
"$LEAKTRACK" run --rate 1 --dir "$W/dumps" -- "$SLEEPER" "$W/ready6" & v=$!; PIDS+=($v)
wait_ready "$W/ready6"
"$LEAKTRACK" watch "$v" --every 0.5 --count 5 -o "$W/watch2" > "$W/watch2.out" 2> "$W/watch2.err" &
w=$!
for _ in $(seq 100); do [ -f "$W/watch2/heap.1.pb.gz" ] && break; sleep 0.05; done
kill "$v"
wait "$w" || fail "watch of a process that exited: $(cat "$W/watch2.err")"
grep -q "reporting on the [0-9]* dumps taken" "$W/watch2.err" || fail "watch: $(cat "$W/watch2.err")"
grep -A8 "#1 LEAK SUSPECT" "$W/watch2.out" | grep -q sleeper_leak || fail "watch: $(cat "$W/watch2.out")"
# A program that took SIGUSR2 itself: dump does not send it (it would run the program's action,
# as nginx upgrades its binary on SIGUSR2), and says to choose another signal.
"$LEAKTRACK" run --dir "$W/dumps" -- "$SLEEPER" "$W/ready2" own-handler 2>/dev/null & q=$!; PIDS+=($q)
wait_ready "$W/ready2"
expect 1 "process $q handles SIGUSR2 itself .*LEAKTRACK_SIGNAL=RTMIN+3" "$LEAKTRACK" dump "$q" \
  --timeout 1
kill -0 "$q" || fail "own-handler process died"
# --signal: the dump signal follows LEAKTRACK_SIGNAL from the target's environment.
"$LEAKTRACK" run --signal RTMIN+3 --dir "$W/dumps" -- "$SLEEPER" "$W/ready3" own-handler & r=$!; PIDS+=($r)
wait_ready "$W/ready3"
"$LEAKTRACK" dump "$r" -o "$W/rt.pb.gz" > /dev/null 2> "$W/err3" || fail "dump via RTMIN+3: $(cat "$W/err3")"
# --signal 0: no signal is sent; without an interval thread dump refuses at once, with one it
# asks that thread through memory and the dump comes at once.
"$LEAKTRACK" run --signal 0 --dir "$W/dumps" -- "$SLEEPER" "$W/ready4" & s=$!; PIDS+=($s)
wait_ready "$W/ready4"
expect 1 "runs with LEAKTRACK_SIGNAL=0, so it cannot be asked for a dump; restart it with LEAKTRACK_INTERVAL" \
  "$LEAKTRACK" dump "$s"
kill -0 "$s" || fail "LEAKTRACK_SIGNAL=0 process died"
"$LEAKTRACK" run --rate 1 --signal 0 --interval 3600 --dir "$W/dumps" -- "$SLEEPER" "$W/ready5" &
t=$!; PIDS+=($t)
wait_ready "$W/ready5"
timeout 60 "$LEAKTRACK" dump "$t" -o "$W/periodic.pb.gz" > /dev/null 2> "$W/err5" ||
  fail "dump of an interval-only process: $(cat "$W/err5")"
[ ! -s "$W/err5" ] || fail "dump's note: $(cat "$W/err5")"
"$LEAKTRACK" top "$W/periodic.pb.gz" | grep -q sleeper_leak || fail "periodic dump lacks sleeper_leak"
echo "PASS: run/dump with the shim"
