#!/usr/bin/env bash
# Unit test of bench/lib/object_self.awk, which sums the instructions a run spent inside one
# shared object from callgrind output: compressed "(id)" names, ids that "cob=" defines and "ob="
# reuses, a call's inclusive cost (which belongs to the callee and must not count), relative
# positions, and a run split into parts that each define their ids afresh. Deterministic.
# Usage: object_self_test.sh PATH/TO/object_self.awk
set -euo pipefail
awk_prog=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cat >"$dir/part1" <<'OUT'
# callgrind format
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 0

ob=(1) /usr/lib/x86_64-linux-gnu/libc.so.6
fl=(1) ???
fn=(1) memcpy
0 100
cob=(2) /opt/x/libleaktrack.so
cfi=(2) hooks.h
cfn=(2) malloc
calls=3 0
0 7000
fn=(3) free
+2 40
ob=(2)
fl=(2)
fn=(2)
12 7
+1 3
* 2
cob=(1)
cfn=(1)
calls=1 0
-3 500
fn=(4) leaktrack::Sample
5 11
ob=(3) /opt/x/libleaktrack.so.old
fn=(5) elsewhere
1 1000
totals: 1663
OUT
# A second part: ids start over, and (1) is now our library.
cat >"$dir/part2" <<'OUT'
positions: line
events: Ir
ob=(1) /opt/x/libleaktrack.so
fl=(1) ???
fn=(1) malloc
3 20
ob=(2) /usr/bin/prog
fn=(2) main
0 9
totals: 29
OUT

ours=$(awk -v OBJ=libleaktrack.so -f "$awk_prog" "$dir/part1" "$dir/part2")
# part1: 7 + 3 + 2 + 11 (the 500 after calls= is memcpy's, and "libleaktrack.so.old" is another
# object); part2: 20.
[[ $ours == 43 ]] || fail "libleaktrack.so: expected 43, got $ours"
libc=$(awk -v OBJ=libc.so.6 -f "$awk_prog" "$dir/part1" "$dir/part2")
# 100 + 40: the 7000 after calls= is malloc's inclusive cost.
[[ $libc == 140 ]] || fail "libc.so.6: expected 140, got $libc"
none=$(awk -v OBJ=libnothere.so -f "$awk_prog" "$dir/part1")
[[ $none == 0 ]] || fail "an object that never ran: expected 0, got $none"
echo "object_self_test: ok"
