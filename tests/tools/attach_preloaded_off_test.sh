#!/bin/bash
# `leaktrack attach` to a process that preloaded the shim but runs it off (LEAKTRACK_RATE=0):
# the attach starts that shim (no second copy, no rewritten call slot), and from then on the
# process is profiled as if started on.
#  1. The sleeper, off: dump refuses it; attach starts it (at --rate), two dumps, and the growth
#     between them is sleeper_leak's; the profile says it was attached; a second attach says it
#     is profiled already. One libleaktrack.so is mapped, before and after.
#  2. The busy program (four threads allocating, cross-thread frees, its main thread in read()),
#     off: started mid-flight, it runs on without a corrupted block and the dump names busy_leak.
#     Its calls go through pointers the preload bound at start-up: no GOT rewrite could reach
#     them, and none is needed.
# usage: attach_preloaded_off_test.sh LEAKTRACK SLEEPER BUSY
set -u
LEAKTRACK=$1 SLEEPER=$2 BUSY=$3
source "$(dirname "$0")/script_lib.sh"
need_shim
need_ptrace
cd "$W"
need_syscall_file
shims_mapped() { grep libleaktrack.so "/proc/$1/maps" | awk '{print $5}' | sort -u | wc -l; }

# 1. The sleeper leaks 1 KiB every 10 ms; a 4 KiB rate samples that densely.
LD_PRELOAD="$SHIM" LEAKTRACK_RATE=0 LEAKTRACK_DIR="$W" "$SLEEPER" "$W/ready" & p=$!
PIDS+=($p)
wait_ready "$W/ready"
[ "$(shims_mapped "$p")" = 1 ] || fail "the sleeper does not preload the shim"
"$LEAKTRACK" dump "$p" -o "$W/off.pb.gz" > /dev/null 2> "$W/err" && fail "dump of a shim that is off"
grep -q "not active there (LEAKTRACK_RATE=0: 'leaktrack attach $p' starts it" "$W/err" ||
  fail "dump said: $(cat "$W/err")"
"$LEAKTRACK" attach "$p" --rate 4K > "$W/attach.out" 2>&1 || fail "attach: $(cat "$W/attach.out")"
grep -q "^started the shim $p preloaded, which was off" "$W/attach.out" ||
  fail "attach said: $(cat "$W/attach.out")"
grep -q "^  LEAKTRACK_RATE=4K$" "$W/attach.out" || fail "attach said: $(cat "$W/attach.out")"
[ "$(shims_mapped "$p")" = 1 ] || fail "a second shim was loaded: $(grep libleaktrack "/proc/$p/maps")"
expect_sleeper_growth "$p"
gzip -dc "$W/s2.pb.gz" | grep -aq "rate=4096" || fail "the profile does not say rate=4096"
gzip -dc "$W/s2.pb.gz" | grep -aq "attached to the running process" ||
  fail "the profile does not say that allocations from before are not seen"
"$LEAKTRACK" attach "$p" > "$W/again" 2>&1 || fail "second attach: $(cat "$W/again")"
grep -q "profiled already" "$W/again" || fail "second attach said: $(cat "$W/again")"
kill -0 "$p" 2> /dev/null || fail "the sleeper died"

# 2. Started while four threads allocate; its main thread waits in read() on a FIFO.
mkfifo "$W/in"
LD_PRELOAD="$SHIM" LEAKTRACK_RATE=0 "$BUSY" "$W/ready2" < "$W/in" > "$W/busy.out" 2>&1 & q=$!
PIDS+=($q)
exec 3> "$W/in"  # opened after the program, which opens its end first
wait_ready "$W/ready2"
sleep 0.2
"$LEAKTRACK" attach "$q" --rate 64K > "$W/attach2.out" 2>&1 || fail "attach: $(cat "$W/attach2.out")"
grep -q "^started the shim $q preloaded" "$W/attach2.out" || fail "attach said: $(cat "$W/attach2.out")"
sleep 1
"$LEAKTRACK" dump "$q" -o "$W/b.pb.gz" > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
kill -0 "$q" 2> /dev/null || fail "the busy program died: $(cat "$W/busy.out")"
finish_busy "$q" "$W/b.pb.gz"
echo PASS
