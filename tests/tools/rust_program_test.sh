#!/bin/bash
# A Rust program under the shim: its standard-library frames are folded into the program's
# function and its symbols (legacy and v0 manglings) read as Rust paths, in `leaktrack top` on
# the raw dump and in the symbolized profile that `go tool pprof` reads.
# usage: rust_program_test.sh LEAKTRACK RUST_SOURCE
# Skips (77) when the shim has not been built next to LEAKTRACK or there is no rustc.
set -u
LEAKTRACK=$1 SRC=$2
SHIM=$(dirname "$LEAKTRACK")/libleaktrack.so
[ -f "$SHIM" ] || { echo "SKIP: shim not built"; exit 77; }
RUSTC=$(command -v rustc) || { echo "SKIP: no rustc"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
export HOME=${HOME:-$W} PPROF_TMPDIR=$W

"$RUSTC" --edition 2021 -O -g "$SRC" -o "$W/rust_leak" 2> "$W/build.log" ||
  fail "rustc failed: $(tail -5 "$W/build.log")"
LD_PRELOAD=$SHIM LEAKTRACK_RATE=1 LEAKTRACK_AT_EXIT=1 LEAKTRACK_DIR=$W "$W/rust_leak" > "$W/out" ||
  fail "the program failed"
[ "$(cat "$W/out")" = $((200 * 65536 + 10 * 9 + 90 * 10 + 100 * 11)) ] ||
  fail "the program printed $(cat "$W/out")"
raw=$(ls "$W"/leaktrack.*.pb.gz)

# leaktrack top on the shim's raw file: symbolized and folded on the way.
"$LEAKTRACK" top "$raw" --sample inuse_objects -n 0 > "$W/top" 2> "$W/top.err" ||
  fail "top failed: $(cat "$W/top.err")"
read -r objects _ _ _ _ name < <(awk '/flat%/ {getline; print; exit}' "$W/top")
[ "$name" = "rust_leak::open_session" ] || fail "top's first row is $name: $(head -12 "$W/top")"
# Each session: its Vec and its String (format!), rate 1, so exactly 400 blocks.
[ "$objects" = 400 ] || fail "open_session holds $objects blocks, want 400: $(head -12 "$W/top")"
grep -q '_R\|\$LT\$\|::h[0-9a-f]\{16\}$' "$W/top" && fail "mangled names left: $(grep '_R\|\$LT\$' "$W/top")"

# The symbolized profile, as go tool pprof shows it.
"$LEAKTRACK" symbolize "$raw" -o "$W/sym.pb.gz" > /dev/null || fail "symbolize failed"
go tool pprof -top -sample_index=inuse_objects "$W/sym.pb.gz" 2> /dev/null |
  awk '/flat%/ {getline; print $1, $6; exit}' | grep -qx "400 rust_leak::open_session" ||
  fail "pprof -top: $(go tool pprof -top -sample_index=inuse_objects "$W/sym.pb.gz" 2>&1 | head -12)"
echo "PASS: Rust program: rust_leak::open_session holds its 400 blocks"
