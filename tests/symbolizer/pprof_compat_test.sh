#!/bin/bash
# PPROF.md §8 checks 1-8 on leaktrack-symbolized output, with every fixture binary moved away:
# go tool pprof must parse it without warnings, show the inline frame and main, give identical
# output with -symbolize=none, list source, show the bytes tag, diff with -base, and survive a
# -proto round trip.
# usage: pprof_compat_test.sh LEAKTRACK MAKE_RAW FIXTURE_DIR FIXTURE_SRC
set -u
LEAKTRACK=$1 MAKE_RAW=$2 FIXTURE_DIR=$3 FIXTURE_SRC=$4
command -v go >/dev/null || { echo "SKIP: go not installed"; exit 77; }
export HOME=${HOME:-/tmp} PPROF_BINARY_PATH=/nonexistent PPROF_TMPDIR=$(mktemp -d)
W=$(mktemp -d)
trap 'rm -rf "$W" "$PPROF_TMPDIR"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
pp() { go tool pprof "$@"; }

# Run a private copy of the fixture, then delete the copy: nothing to re-symbolize from.
mkdir "$W/bin"
cp "$FIXTURE_DIR"/fixture_pie "$FIXTURE_DIR"/libfixture_lib.so "$FIXTURE_DIR"/libfixture_stripped.so "$W/bin/"
"$W/bin/fixture_pie" "$W/stacks1.txt" || fail "fixture run 1"
"$W/bin/fixture_pie" "$W/stacks2.txt" || fail "fixture run 2"
BUILD_ID=$(readelf -n "$W/bin/fixture_pie" | sed -n 's/.*Build ID: //p')
"$MAKE_RAW" "$W/stacks1.txt" "$W/raw1.pb.gz" || fail "make raw 1"
"$MAKE_RAW" "$W/stacks2.txt" "$W/raw2.pb.gz" || fail "make raw 2"
"$LEAKTRACK" symbolize "$W/raw1.pb.gz" -o "$W/sym.pb.gz" > /dev/null 2> "$W/sym.err" || fail "symbolize"
[ -s "$W/sym.err" ] && fail "symbolize warned: $(cat "$W/sym.err")"
"$LEAKTRACK" symbolize "$W/raw2.pb.gz" -o "$W/sym2.pb.gz" > /dev/null 2>&1 || fail "symbolize 2"
rm -rf "$W/bin"
# go 1.19 pprof -list fails to open absolute source paths from some working directories; run
# from the scratch directory.
cd "$W" || fail "cd"

# 1. Parses, no warnings; header fields and per-mapping flags.
pp -raw "$W/sym.pb.gz" > "$W/raw.txt" 2> "$W/raw.err" || fail "-raw exit"
[ -s "$W/raw.err" ] && fail "-raw stderr: $(cat "$W/raw.err")"
grep -q "PeriodType: space bytes" "$W/raw.txt" || fail "PeriodType"
for t in alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes; do
  grep -q "$t" "$W/raw.txt" || fail "sample type $t"
done
grep -E "^1: .*/fixture_pie $BUILD_ID \[FN\]\[FL\]\[LN\]\[IN\]" "$W/raw.txt" >/dev/null ||
  fail "mapping[0] is not fixture_pie $BUILD_ID with all flags"
grep -E "libfixture_lib.so .*\[FN\]\[FL\]\[LN\]\[IN\]" "$W/raw.txt" >/dev/null || fail "lib flags"

# 2. Values (rate 1, exact): 3 x 2 KiB + 512 + 256 + 64 + 32 + 16 = 7024 bytes in 8 objects.
pp -top -sample_index=inuse_space "$W/sym.pb.gz" 2>/dev/null | grep -q "of 6.86kB total" ||
  fail "inuse_space total"
pp -top -sample_index=alloc_objects "$W/sym.pb.gz" 2>/dev/null | grep -q "of 8 total" ||
  fail "alloc_objects total"
pp -top -inuse_space "$W/sym.pb.gz" 2>/dev/null | grep -E "^ +6kB +87\.[0-9]+% .*InlinedHelper" >/dev/null ||
  fail "InlinedHelper flat 6kB"

# 3. Stacks: inline frame, main, demangled C++ names, no raw frames for the fixture.
pp -traces "$W/sym.pb.gz" > "$W/traces.txt" 2>"$W/traces.err" || fail "-traces"
[ -s "$W/traces.err" ] && fail "-traces stderr: $(cat "$W/traces.err")"
grep -A3 "InlinedHelper (inline)" "$W/traces.txt" | grep -q "svc::Cache::Insert" || fail "inline chain"
grep -q "^ *main$" "$W/traces.txt" || fail "main missing"
grep -q "LeakMany" "$W/traces.txt" || fail "LeakMany missing"
grep -q "std::ostream::put" "$W/traces.txt" || fail "libstdc++ frame name"
grep -q "StrippedLeaf" "$W/traces.txt" || fail "stripped library name"
grep -q "fixture_lib::LibLeaf" "$W/traces.txt" || fail "shared library name"
grep -E "\[fixture_pie\]|<unknown>" "$W/traces.txt" && fail "unsymbolized fixture frames"

# 4. No dependence on binaries: -symbolize=none is identical.
pp -traces -symbolize=none "$W/sym.pb.gz" > "$W/traces_none.txt" 2>/dev/null || fail "-symbolize=none"
diff "$W/traces.txt" "$W/traces_none.txt" > /dev/null || fail "-symbolize=none differs"

# 5. Source listing at the expected line (sources are in the tree).
pp -list 'Cache::Insert$' "$W/sym.pb.gz" > "$W/list.txt" 2>&1 || fail "-list: $(cat "$W/list.txt")"
LINE=$(grep -n 'void\* p = InlinedHelper(n);' "$FIXTURE_SRC/fixture_main.cc" | cut -d: -f1)
grep -E "^ +\. +6kB +$LINE: " "$W/list.txt" > /dev/null || fail "-list line $LINE: $(cat "$W/list.txt")"

# 6. Labels.
pp -tags "$W/sym.pb.gz" 2>/dev/null | grep -q "bytes" || fail "-tags"
pp -top -tagfocus=bytes=512B "$W/sym.pb.gz" 2>/dev/null | grep -q "LibLeaf" || fail "-tagfocus"

# 7. Diffing: identical workloads from two runs (different ASLR) cancel out.
pp -top -base "$W/sym.pb.gz" "$W/sym2.pb.gz" 2>/dev/null | grep -q "accounting for 0, 0% of 0 total" ||
  fail "-base of identical runs is not 0: $(pp -top -base "$W/sym.pb.gz" "$W/sym2.pb.gz" 2>&1)"
pp -top -diff_base "$W/sym.pb.gz" "$W/sym2.pb.gz" > /dev/null 2>&1 || fail "-diff_base"

# 8. Round trip through pprof's own writer.
pp -proto "$W/sym.pb.gz" > "$W/rt.pb.gz" 2>/dev/null || fail "-proto"
pp -raw "$W/rt.pb.gz" > /dev/null 2> "$W/rt.err" || fail "round trip -raw"
[ -s "$W/rt.err" ] && fail "round trip stderr: $(cat "$W/rt.err")"
pp -traces "$W/rt.pb.gz" 2>/dev/null | grep -q "InlinedHelper (inline)" || fail "round trip lost inline"

echo "PASS: pprof compatibility (binaries moved away)"
