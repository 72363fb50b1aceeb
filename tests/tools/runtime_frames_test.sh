#!/bin/bash
# Standard-library allocations are charged to the program's function (symbolizer/
# runtime_frames.h), as `go tool pprof -top` shows them: a C++ program that leaks only through
# std::vector, std::string, std::map and std::make_unique (fixture_containers.cc), profiled at
# rate 1 so the numbers are exact.
# usage: runtime_frames_test.sh LEAKTRACK FIXTURE
set -u
LEAKTRACK=$1 FIXTURE=$2
SHIM=$(dirname "$LEAKTRACK")/libleaktrack.so
[ -f "$SHIM" ] || { echo "SKIP: shim not built"; exit 77; }
command -v go > /dev/null || { echo "SKIP: no go command (go tool pprof)"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HOME=${HOME:-$W} PPROF_TMPDIR=$W

LD_PRELOAD=$SHIM LEAKTRACK_RATE=1 LEAKTRACK_AT_EXIT=1 LEAKTRACK_DIR=$W "$FIXTURE" > "$W/out" ||
  fail "fixture failed"
[ "$(cat "$W/out")" = "200 200" ] || fail "fixture printed $(cat "$W/out")"
raw=$(ls "$W"/leaktrack.*.pb.gz)
"$LEAKTRACK" symbolize "$raw" -o "$W/folded.pb.gz" > /dev/null || fail "symbolize"
"$LEAKTRACK" symbolize --all-frames "$raw" -o "$W/all.pb.gz" > /dev/null || fail "symbolize --all-frames"
# The rows of -top, "flat name", from the first data row on (a name may hold spaces).
top() {
  go tool pprof -top -unit=B "$1" 2> /dev/null |
    awk 'seen {flat = $1; $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print flat, $0}
         /flat%/ {seen = 1}'
}
top "$W/folded.pb.gz" > "$W/folded.top"
top "$W/all.pb.gz" > "$W/all.top"

# OpenConn: 200 vector buffers of 64 KiB plus each Conn and its name (~160 bytes), plus the
# final buffer of g_conns (256 pointers).
read -r bytes name < <(sed -n 1p "$W/folded.top")
[ "$name" = "(anonymous namespace)::OpenConn" ] || fail "first row is not OpenConn: $(head -3 "$W/folded.top")"
bytes=${bytes%B}
[ "$bytes" -ge $((200 * 65536)) ] && [ "$bytes" -le $((200 * 65536 + 200 * 400 + 2048)) ] ||
  fail "OpenConn holds $bytes bytes"
# Remember: 200 strings of 20,000 characters (20,001 bytes) and 200 map nodes of 72 bytes.
read -r bytes name < <(sed -n 2p "$W/folded.top")
[ "$name" = "(anonymous namespace)::Remember" ] && [ "$bytes" = $((200 * (20001 + 72)))B ] ||
  fail "second row: $bytes $name; want $((200 * (20001 + 72)))B Remember"
# Without folding, the allocator helper holds the vectors' bytes.
read -r bytes name < <(sed -n 1p "$W/all.top")
[ "$name" = "std::__new_allocator::allocate (inline)" ] ||
  fail "--all-frames: first row $name: $(head -3 "$W/all.top")"
go tool pprof -comments "$W/folded.pb.gz" 2> /dev/null | grep -q "charged to the calling function" ||
  fail "the folded profile does not say so in its comments"
echo "PASS: standard-library allocations charged to OpenConn and Remember"
