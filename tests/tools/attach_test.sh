#!/bin/bash
# `leaktrack attach`: programs started without the shim are profiled from the attach on.
#  1. The sleeper, waiting in nanosleep: attach, two dumps, and the growth between them is
#     sleeper_leak's; a second attach says it is profiled already.
#  2. Options: attach --rate --dir --interval win over the sleeper's LEAKTRACK_* environment;
#     dump (which cannot see them in /proc/PID/environ) finds them in the process and waits in
#     the right directory; the profile has the rate asked for. Bad options touch nothing.
#  3. A program hammering malloc/new/realloc on four threads with cross-thread frees, its main
#     thread in read(): attached mid-flight, it runs on without a corrupted block, its read()
#     returns the line written after the attach with errno as it was, and the dump names
#     busy_leak (the caller of operator new[], which the shim now is). A plugin it loads after
#     the attach (BIND_NOW: its GOT sealed in RELRO) is tracked too: plugin_leak in a later dump.
#  4. Refusals: no such process (1), a program with no thread waiting anywhere safe (3): one
#     spinning thread, or a thread in read() on a 32 KiB stack beside a spinning one.
# usage: attach_test.sh LEAKTRACK SLEEPER BUSY PLUGIN SMALL_STACK
set -u
LEAKTRACK=$1 SLEEPER=$2 BUSY=$3 PLUGIN=$4 SMALL_STACK=$5
source "$(dirname "$0")/script_lib.sh"
need_shim
need_ptrace
cd "$W"
need_syscall_file

# 1. The sleeper leaks 1 KiB every 10 ms; a 4 KiB rate samples that densely.
LEAKTRACK_RATE=4096 "$SLEEPER" "$W/ready" & p=$!
PIDS+=($p)
wait_ready "$W/ready"
"$LEAKTRACK" attach "$p" > "$W/attach.out" 2>&1 || fail "attach: $(cat "$W/attach.out")"
grep -q "^attached to $p through thread" "$W/attach.out" || fail "attach said: $(cat "$W/attach.out")"
grep -q libleaktrack.so "/proc/$p/maps" || fail "the shim is not mapped in $p"
expect_sleeper_growth "$p"
"$LEAKTRACK" attach "$p" > "$W/again" 2>&1 || fail "second attach: $(cat "$W/again")"
grep -q "profiled already" "$W/again" || fail "second attach said: $(cat "$W/again")"
kill -0 "$p" 2> /dev/null || fail "the sleeper died"

# 2. Options win over the environment; dump finds them in the process.
mkdir "$W/envdir" "$W/optdir"
LEAKTRACK_RATE=4096 LEAKTRACK_DIR="$W/envdir" "$SLEEPER" "$W/ready_opt" & o=$!
PIDS+=($o)
wait_ready "$W/ready_opt"
"$LEAKTRACK" attach "$o" --rate 1x > "$W/bad" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "^leaktrack attach: --rate needs" "$W/bad" || fail "rc $rc: $(cat "$W/bad")"
"$LEAKTRACK" attach "$o" --dir "$W/missing" > "$W/bad" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "^leaktrack attach: --dir $W/missing: " "$W/bad" ||
  fail "rc $rc: $(cat "$W/bad")"
grep -q libleaktrack.so "/proc/$o/maps" && fail "a refused attach loaded the shim"
"$LEAKTRACK" attach "$o" --rate 1K --dir "$W/optdir" --interval 30 > "$W/attach_opt" 2>&1 ||
  fail "attach with options: $(cat "$W/attach_opt")"
grep -q "^  LEAKTRACK_RATE=1K$" "$W/attach_opt" || fail "attach said: $(cat "$W/attach_opt")"
"$LEAKTRACK" dump "$o" --raw -o "$W/o.pb.gz" > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
ls "$W/optdir" | grep -q "^leaktrack\.$o\.0\.pb\.gz$" || fail "optdir: $(ls "$W/optdir")"
[ -z "$(ls "$W/envdir")" ] || fail "a dump went to the environment's directory: $(ls "$W/envdir")"
gzip -dc "$W/o.pb.gz" | grep -aq "rate=1024" || fail "the profile does not say rate=1024"
# The interval thread (LEAKTRACK_INTERVAL=30) exists only because of the option.
grep -lq leaktrack-dump /proc/"$o"/task/*/comm || fail "no interval thread in $o"
"$LEAKTRACK" attach "$o" --rate 1 > "$W/again_opt" 2> "$W/again_err" ||
  fail "second attach: $(cat "$W/again_opt" "$W/again_err")"
grep -q "not applied" "$W/again_err" || fail "second attach said: $(cat "$W/again_err")"

# 3. Attached while four threads allocate; its main thread waits in read() on a FIFO.
mkfifo "$W/in"
LEAKTRACK_RATE=65536 "$BUSY" "$W/ready2" < "$W/in" > "$W/busy.out" 2>&1 & q=$!
PIDS+=($q)
exec 3> "$W/in"  # opened after the program, which opens its end first
wait_ready "$W/ready2"
sleep 0.2
"$LEAKTRACK" attach "$q" > "$W/attach2.out" 2>&1 || fail "attach: $(cat "$W/attach2.out")"
grep -q "through thread $q (in read, stopped" "$W/attach2.out" || fail "attach said: $(cat "$W/attach2.out")"
sleep 1
"$LEAKTRACK" dump "$q" -o "$W/b.pb.gz" > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
kill -0 "$q" 2> /dev/null || fail "the busy program died: $(cat "$W/busy.out")"
echo "load $PLUGIN" >&3
sleep 1
"$LEAKTRACK" dump "$q" -o "$W/b2.pb.gz" > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
"$LEAKTRACK" top "$W/b2.pb.gz" > "$W/top2" 2>&1 || fail "top: $(cat "$W/top2")"
grep -q " plugin_leak$" "$W/top2" || fail "the plugin loaded after the attach is untracked: $(cat "$W/top2")"
finish_busy "$q" "$W/b.pb.gz"

# 4. Refusals.
"$LEAKTRACK" attach 999999999 > "$W/none" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "no process 999999999" "$W/none" || fail "rc $rc: $(cat "$W/none")"
# A single thread spinning in user code: nowhere to stop it safely.
bash -c 'while :; do :; done' & r=$!
PIDS+=($r)
for _ in $(seq 100); do grep -q while "/proc/$r/cmdline" 2> /dev/null && break; sleep 0.02; done
"$LEAKTRACK" attach "$r" --timeout 0.3 > "$W/busyloop" 2>&1
rc=$?
[ $rc = 3 ] && grep -q "1 running" "$W/busyloop" || fail "rc $rc: $(cat "$W/busyloop")"
grep -q libleaktrack.so "/proc/$r/maps" && fail "the spinning process got the shim"
grep -q "TracerPid:[[:space:]]*0" "/proc/$r/status" || fail "the spinning process stays traced"
# Its only waiting thread has too little stack for dlopen to run on.
mkfifo "$W/in3"
"$SMALL_STACK" "$W/ready3" < "$W/in3" & s=$!
PIDS+=($s)
exec 4> "$W/in3"  # its read() then waits for data, not for a writer
wait_ready "$W/ready3"
"$LEAKTRACK" attach "$s" --timeout 0.3 > "$W/small" 2>&1
rc=$?
[ $rc = 3 ] && grep -q "1 on a small stack" "$W/small" || fail "rc $rc: $(cat "$W/small")"
grep -q libleaktrack.so "/proc/$s/maps" && fail "the small-stack process got the shim"
echo PASS
