#!/bin/bash
# `leaktrack ps` lists the processes with the shim loaded and how each is set up: one on (its
# rate, interval, directory and dumps there), one preloaded but off, and none of a process
# without the shim.
# usage: ps_test.sh LEAKTRACK SLEEPER
set -u
LEAKTRACK=$1 SLEEPER=$2
source "$(dirname "$0")/script_lib.sh"
need_shim
cd "$W"
mkdir "$W/on"
LD_PRELOAD="$SHIM" LEAKTRACK_RATE=4K LEAKTRACK_INTERVAL=3600 LEAKTRACK_DIR="$W/on" \
  "$SLEEPER" "$W/ready_on" &
on=$!; PIDS+=($on)
LD_PRELOAD="$SHIM" LEAKTRACK_RATE=0 "$SLEEPER" "$W/ready_off" & off=$!; PIDS+=($off)
"$SLEEPER" "$W/ready_bare" & bare=$!; PIDS+=($bare)
wait_ready "$W/ready_on"
wait_ready "$W/ready_off"
wait_ready "$W/ready_bare"
"$LEAKTRACK" dump "$on" --raw -o "$W/d.pb.gz" > /dev/null 2> "$W/err" ||
  fail "dump: $(cat "$W/err")"
"$LEAKTRACK" ps > "$W/ps" 2> "$W/ps.err" || fail "ps: $(cat "$W/ps.err")"
head -1 "$W/ps" | grep -q "PID.*STATE.*RATE.*INTERVAL.*DUMPS.*DIR.*COMMAND" ||
  fail "ps: $(cat "$W/ps")"
# PID STATE RATE INTERVAL DUMPS DIR COMMAND...
row() { awk -v p="$1" '$1 == p' "$W/ps"; }
# The whole command line, however long the build directory's path: piped, nothing is cut.
row "$on" | grep -qx " *$on  on  *4K  *3600  *1  $W/on  *$SLEEPER $W/ready_on" ||
  fail "the process that is on: $(cat "$W/ps")"
row "$off" | grep -q "^ *$off  off  *0 " || fail "the one that is off: $(cat "$W/ps")"
row "$bare" | grep -q . && fail "a process without the shim is listed: $(cat "$W/ps")"
# On a terminal, lines stop at its width, as procps' ps cuts them.
script -qec "COLUMNS=70 '$LEAKTRACK' ps" /dev/null < /dev/null | tr -d '\r' > "$W/tty" ||
  fail "ps on a terminal"
awk 'length($0) > 70 { bad = 1 } END { exit !(NR >= 3 && !bad) }' "$W/tty" ||
  fail "ps on a 70-column terminal: $(cat "$W/tty")"
grep -q "^ *$on  on .*\.\.\.$" "$W/tty" || fail "no cut row on a terminal: $(cat "$W/tty")"
"$LEAKTRACK" ps extra > /dev/null 2>&1
[ $? = 2 ] || fail "ps with an argument is not a usage error"
echo "PASS: ps lists the shim's processes, on and off, and nothing else"
