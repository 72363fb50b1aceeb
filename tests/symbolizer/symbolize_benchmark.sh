#!/bin/bash
# Benchmark (not a test): `leaktrack symbolize` against llvm-symbolizer --inlining (else
# addr2line -i) on the same addresses: every STEP-th byte of the executable segment of BINARY.
# usage: symbolize_benchmark.sh LEAKTRACK MAKE_RAW BINARY [STEP]
set -euo pipefail
LEAKTRACK=$1 MAKE_RAW=$2 BIN=$(realpath "$3") STEP=${4:-16}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
read -r OFF VADDR FSZ < <(readelf -lW "$BIN" | awk '$1=="LOAD" && / R E / {print $2, $3, $5; exit}')
BASE=$((0x555500000000))
python3 - "$BIN" "$OFF" "$VADDR" "$FSZ" "$BASE" "$STEP" > "$W/stacks.txt" 3> "$W/addrs.txt" <<'PY'
import sys, os
bin_, off, vaddr, fsz, base, step = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16), int(sys.argv[4], 16), int(sys.argv[5]), int(sys.argv[6])
page = off & ~0xfff
start = base + page
print("exe", bin_)
f3 = os.fdopen(3, "w")
addrs = list(range(off, off + fsz, step))
for i in range(0, len(addrs), 8):
    chunk = addrs[i:i+8]
    print("sample 8 " + " ".join(hex(start + (a - page)) for a in chunk))
    for a in chunk: f3.write(hex(vaddr + (a - off)) + "\n")
print("map %s %s %s %s" % (hex(start), hex(start + ((off - page + fsz + 0xfff) & ~0xfff)), hex(page), bin_))
PY
N=$(wc -l < "$W/addrs.txt")
"$MAKE_RAW" "$W/stacks.txt" "$W/raw.pb.gz"
t0=$(date +%s.%N); "$LEAKTRACK" symbolize "$W/raw.pb.gz" -o "$W/sym.pb.gz" > /dev/null; t1=$(date +%s.%N)
if command -v llvm-symbolizer > /dev/null; then
  REF="llvm-symbolizer --inlining"
  llvm-symbolizer --inlining --obj="$BIN" < "$W/addrs.txt" > /dev/null
else
  REF="addr2line -i"
  addr2line -i -f -e "$BIN" < "$W/addrs.txt" > /dev/null
fi
t2=$(date +%s.%N)
python3 -c "
lt=$t1-$t0; ref=$t2-$t1
print('addresses: $N in $(basename "$BIN")')
print('leaktrack symbolize: %.3f s (incl. profile decode/encode)' % lt)
print('$REF: %.3f s' % ref)
print('ratio leaktrack/reference: %.2f' % (lt/ref))"
