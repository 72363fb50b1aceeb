#!/bin/bash
# `leaktrack dump` must not cut the program's system calls short (tools/target_process.h,
# QuietThread): the dump signal goes to a thread SA_RESTART protects, not to a main thread
# waiting in poll(), which EINTR would end. Then, for a program with nothing but such a thread,
# dump's error says why the program exited; and with the shim's interval thread there, dump asks
# that thread through memory instead and sends no signal at all: 20 dumps, none interrupts it.
# Last, where dump may not write the process's memory (Yama), it asks that thread by a file.
# usage: dump_eintr_test.sh LEAKTRACK POLLER NO_PROC_MEM
set -u
LEAKTRACK=$1 POLLER=$2 NO_PROC_MEM=$3
source "$(dirname "$0")/script_lib.sh"
need_shim
cd "$W"
need_syscall_file

# Main thread in poll(), a worker in read(): 20 dumps, and the program never sees EINTR.
"$LEAKTRACK" run --rate 1 --dir "$W" -- "$POLLER" "$W/ready" worker 2> "$W/target.err" & p=$!
PIDS+=($p)
wait_ready "$W/ready"
for i in $(seq 20); do
  "$LEAKTRACK" dump "$p" --raw -o "$W/d$i.pb.gz" > /dev/null 2> "$W/err" ||
    fail "dump $i: $(cat "$W/err"); the program said: $(cat "$W/target.err")"
  kill -0 "$p" 2> /dev/null || fail "the program exited after dump $i: $(cat "$W/target.err")"
done
"$LEAKTRACK" top "$W/d20.pb.gz" 2>&1 | sed -n 5p | grep -q poller_leak ||
  fail "top: $("$LEAKTRACK" top "$W/d20.pb.gz" 2>&1)"

# Only the main thread, in poll(): the signal interrupts it, and the program exits 3 once its
# dump is written. dump says why.
"$LEAKTRACK" run --rate 1 --dir "$W" -- "$POLLER" "$W/ready2" 2> "$W/target2.err" & q=$!
PIDS+=($q)
wait_ready "$W/ready2"
"$LEAKTRACK" dump "$q" --timeout 2 > /dev/null 2> "$W/err2"
rc=$?
wait "$q"
status=$?
[ $status = 3 ] || fail "the single-threaded poller exited $status, want 3 (EINTR): $(cat "$W/target2.err")"
grep -q "poll: Interrupted system call" "$W/target2.err" || fail "poller said: $(cat "$W/target2.err")"
[ $rc = 0 ] || [ $rc = 1 ] || fail "dump exited $rc: $(cat "$W/err2")"
grep -q "waiting in poll.*caught signal ends .*EINTR" "$W/err2" ||
  fail "dump did not say why the program exited (rc $rc): $(cat "$W/err2")"

# Only the main thread, in poll(), but the shim has its interval thread (an hour's period):
# dump asks that thread through memory, no signal is sent, and poll() never sees EINTR.
"$LEAKTRACK" run --rate 1 --interval 3600 --dir "$W" -- "$POLLER" "$W/ready3" 2> "$W/target3.err" &
r=$!
PIDS+=($r)
wait_ready "$W/ready3"
for i in $(seq 20); do
  timeout 60 "$LEAKTRACK" dump "$r" --raw -o "$W/e$i.pb.gz" > /dev/null 2> "$W/err3" ||
    fail "dump $i: $(cat "$W/err3"); the program said: $(cat "$W/target3.err")"
  kill -0 "$r" 2> /dev/null || fail "the program exited after dump $i: $(cat "$W/target3.err")"
done
"$LEAKTRACK" top "$W/e20.pb.gz" 2>&1 | sed -n 5p | grep -q poller_leak ||
  fail "top: $("$LEAKTRACK" top "$W/e20.pb.gz" 2>&1)"

# The same, but dump may not open the process's /proc/PID/mem (NO_PROC_MEM stands in for Yama's
# ptrace_scope=1, or a container without CAP_SYS_PTRACE): it asks the interval thread by a
# request file in the dump directory, again with no signal, and no request file stays.
mkdir "$W/f"
"$LEAKTRACK" run --rate 1 --interval 3600 --dir "$W/f" -- "$POLLER" "$W/ready4" \
  2> "$W/target4.err" &
s=$!
PIDS+=($s)
wait_ready "$W/ready4"
LD_PRELOAD="$NO_PROC_MEM" bash -c "exec 3< /proc/$s/mem" 2> /dev/null &&
  fail "the stand-in for Yama let /proc/$s/mem be opened"
bash -c "exec 3< /proc/$s/mem" || fail "/proc/$s/mem cannot be opened without the stand-in"
for i in $(seq 5); do
  LD_PRELOAD="$NO_PROC_MEM" timeout 60 "$LEAKTRACK" dump "$s" --raw -o "$W/r$i.pb.gz" \
    > /dev/null 2> "$W/err4" ||
    fail "dump $i without /proc/PID/mem: $(cat "$W/err4"); the program: $(cat "$W/target4.err")"
  kill -0 "$s" 2> /dev/null || fail "the program exited after dump $i: $(cat "$W/target4.err")"
done
ls "$W/f" | grep -q request && fail "a request file was left behind: $(ls "$W/f")"
"$LEAKTRACK" top "$W/r5.pb.gz" 2>&1 | sed -n 5p | grep -q poller_leak ||
  fail "top: $("$LEAKTRACK" top "$W/r5.pb.gz" 2>&1)"
echo "PASS: 20 dumps never interrupted a program's poll(); the one that had to is explained;" \
  "with an interval thread none had to, through its memory or, without the rights, by a file"
