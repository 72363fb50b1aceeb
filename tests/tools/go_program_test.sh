#!/bin/bash
# `leaktrack run` and `leaktrack dump` on a Go program (cgo) whose C code leaks.
# usage: go_program_test.sh LEAKTRACK GO_SOURCE_DIR NO_PROC_MEM
#
# Go's runtime installs a handler for every signal and keeps the ones another process sends, so
# a Go program can never be asked for a dump by signal. Checked here:
#  - the shim says so once on stderr, naming the Go runtime and the way out (LEAKTRACK_INTERVAL);
#  - `leaktrack dump` fails at once with that advice instead of waiting out its timeout, and the
#    program keeps running;
#  - with LEAKTRACK_INTERVAL, `leaktrack dump` asks the interval thread for a dump, where the C
#    function holds exactly the leaked bytes (rate 1) and is named after symbolization; and a
#    dump that may not write the process's memory (Yama) gets one at once too, by a file;
#  - LEAKTRACK_AT_EXIT, which a Go program never runs, is called useless on stderr at start;
#  - the stacks go on past runtime.asmcgocall into the Go code (preload/go_stack.h): each of
#    the two Go functions that call the C function holds its own share, and main.main all.
# Skips (77) when the shim has not been built next to LEAKTRACK or Go cannot build cgo programs.
set -u
LEAKTRACK=$1 SRC=$2 NO_PROC_MEM=$3
source "$(dirname "$0")/script_lib.sh"
need_shim

command -v go > /dev/null || { echo "SKIP: no go command"; exit 77; }
cp -r "$SRC" "$W/src"
(cd "$W/src" && GOCACHE="$W/gocache" GOPATH="$W/gopath" GOFLAGS=-mod=mod GO111MODULE=on \
  CGO_ENABLED=1 go build -o "$W/goleak" .) > "$W/build.log" 2>&1 ||
  { echo "SKIP: go cannot build a cgo program here: $(tail -3 "$W/build.log")"; exit 77; }
LEAKS=100  # 64 KiB each

# 1. No interval: dump refuses at once, the program keeps running, the shim said why once.
mkdir "$W/d1"
"$LEAKTRACK" run --rate 1 --dir "$W/d1" -- "$W/goleak" $LEAKS "$W/ready1" "$W/stop1" \
  > "$W/out1" 2> "$W/err1" &
p=$!; PIDS+=($p)
wait_ready "$W/ready1" 400
start=$(date +%s%N)
"$LEAKTRACK" dump "$p" > "$W/dump1.out" 2> "$W/dump1.err"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$rc" = 1 ] || fail "dump of a Go program without an interval exited $rc: $(cat "$W/dump1.err")"
[ "$(wc -l < "$W/dump1.err")" = 1 ] || fail "want one stderr line: $(cat "$W/dump1.err")"
grep -q "is a Go program, whose runtime keeps every signal, so it cannot be asked for a dump; restart it with LEAKTRACK_INTERVAL" "$W/dump1.err" ||
  fail "dump's message: $(cat "$W/dump1.err")"
[ "$ms" -lt 5000 ] || fail "dump took $ms ms to refuse (its timeout is 10 s: it waited)"
kill -0 "$p" 2> /dev/null || fail "the Go program died"
touch "$W/stop1"
wait "$p"; rc=$?
[ "$rc" = 0 ] || fail "Go program exited $rc: $(cat "$W/err1")"
grep -qx "leaked $LEAKS" "$W/out1" || fail "Go program's output: $(cat "$W/out1")"
want="leaktrack: SIGUSR2 is taken by the Go runtime, which keeps every signal; dumps on signal are off (use LEAKTRACK_INTERVAL=<seconds>)"
[ "$(grep -c '^leaktrack:' "$W/err1")" = 1 ] && grep -qxF "$want" "$W/err1" ||
  fail "the shim's stderr: $(cat "$W/err1")"
[ -z "$(ls "$W/d1")" ] || fail "dumps appeared without a trigger: $(ls "$W/d1")"

# 2. With an interval thread: dump asks it through the process's memory, no signal, and gets
# the dump at once, not at the next periodic one an hour away (timeout 60 would end the wait).
mkdir "$W/d2"
"$LEAKTRACK" run --rate 1 --interval 3600 --dir "$W/d2" -- "$W/goleak" $LEAKS "$W/ready2" \
  "$W/stop2" > "$W/out2" 2> "$W/err2" &
p=$!; PIDS+=($p)
wait_ready "$W/ready2" 400
timeout 60 "$LEAKTRACK" dump "$p" -o "$W/heap.pb.gz" > "$W/dump2.out" 2> "$W/dump2.err" ||
  fail "dump with LEAKTRACK_INTERVAL failed: $(cat "$W/dump2.err")"
[ ! -s "$W/dump2.err" ] || fail "dump's note: $(cat "$W/dump2.err")"
[ "$(cat "$W/dump2.out")" = "$W/heap.pb.gz" ] || fail "dump printed $(cat "$W/dump2.out")"
LD_PRELOAD="$NO_PROC_MEM" timeout 60 "$LEAKTRACK" dump "$p" --raw -o "$W/heap_by_file.pb.gz" \
  > /dev/null 2> "$W/dump3.err" ||
  fail "dump without /proc/PID/mem (a request file): $(cat "$W/dump3.err")"
touch "$W/stop2"
wait "$p" || fail "Go program (interval) failed: $(cat "$W/err2")"
"$LEAKTRACK" top "$W/heap.pb.gz" --sample inuse_objects -n 0 > "$W/top.objects" ||
  fail "top failed"
"$LEAKTRACK" top "$W/heap.pb.gz" -n 0 > "$W/top.space" || fail "top failed"
# flat of leak_buffer: exactly the leaked objects, and 100 x 64 KiB = 6.25 MiB.
awk '$NF == "leak_buffer" {print $1}' "$W/top.objects" | grep -qx "$LEAKS" ||
  fail "leak_buffer's objects: $(cat "$W/top.objects")"
awk '$NF == "leak_buffer" {print $1}' "$W/top.space" | grep -qx "6.25MB" ||
  fail "leak_buffer's bytes: $(cat "$W/top.space")"
# Cumulative objects (the 4th column) of the Go callers, through the cgo call: 25 from
# openCache, 75 from openSession, all 100 under main.main. (Before, every stack ended at
# runtime.asmcgocall.)
for want in "main.openCache $((LEAKS / 4))" "main.openSession $((LEAKS - LEAKS / 4))" \
            "main.main $LEAKS"; do
  awk -v f="${want% *}" '$NF == f {print $4}' "$W/top.objects" | grep -qx "${want#* }" ||
    fail "cumulative objects of ${want% *}: want ${want#* }: $(cat "$W/top.objects")"
done
# 3. LEAKTRACK_AT_EXIT: the Go runtime exits by the exit_group system call, so no atexit
# handler, and no at-exit dump, ever runs. The shim says so at start instead of staying quiet.
mkdir "$W/d3"
touch "$W/stop3"
"$LEAKTRACK" run --at-exit --dir "$W/d3" -- "$W/goleak" 1 "$W/ready3" "$W/stop3" \
  > "$W/out3" 2> "$W/err3" || fail "Go program (at-exit) failed: $(cat "$W/err3")"
grep -qxF "leaktrack: LEAKTRACK_AT_EXIT does nothing in a Go program: the Go runtime exits without running atexit handlers (use LEAKTRACK_INTERVAL=<seconds>)" "$W/err3" ||
  fail "no word on LEAKTRACK_AT_EXIT: $(cat "$W/err3")"
[ -z "$(ls "$W/d3")" ] || fail "a Go program wrote an at-exit dump after all: $(ls "$W/d3")"

echo "PASS: Go program: refusal without an interval thread, a dump at once with one, by" \
  "memory or by file; its C leak charged to the Go functions that called it; a word on" \
  "LEAKTRACK_AT_EXIT"
