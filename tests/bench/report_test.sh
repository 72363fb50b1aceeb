#!/usr/bin/env bash
# Unit test of bench_report (bench/bench_report.cc), the arithmetic behind docs/PERFORMANCE.md:
# medians, slowdown ratios for throughput and time workloads, the memory budget
# (8 MiB + 2% of the base's peak RSS), failed configs, and the exit codes. Deterministic.
# Usage: report_test.sh PATH/TO/bench_report
set -euo pipefail
report=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

t=$'\t'
cat >"$dir/in.tsv" <<TSV
# comment lines are ignored
W${t}m${t}throughput${t}ops/s${t}1.05${t}malloc
C${t}m${t}glibc${t}glibc${t}bare
C${t}m${t}leaktrack${t}glibc${t}shim
C${t}m${t}heaptrack${t}glibc${t}peer
R${t}m${t}glibc${t}1${t}100${t}10000${t}2.0
R${t}m${t}glibc${t}2${t}120${t}10000${t}2.0
R${t}m${t}glibc${t}3${t}80${t}10000${t}2.0
R${t}m${t}leaktrack${t}1${t}96${t}18400${t}2.2
R${t}m${t}leaktrack${t}2${t}98${t}18000${t}2.1
R${t}m${t}leaktrack${t}3${t}90${t}18300${t}2.3
R${t}m${t}heaptrack${t}1${t}NA${t}NA
W${t}c${t}time${t}seconds${t}1.02${t}compile
C${t}c${t}glibc${t}glibc${t}bare
C${t}c${t}leaktrack${t}glibc${t}shim
R${t}c${t}glibc${t}1${t}2.0${t}100000
R${t}c${t}leaktrack${t}1${t}2.1${t}100000
TSV
set +e
"$report" "$dir/in.tsv" --md "$dir/out.md" --svg "$dir/out.svg" >"$dir/out.txt"
rc=$?
set -e
[[ $rc == 1 ]] || fail "a missed target must exit 1, got $rc"
# malloc: median 96 vs 100 -> 1.042 (time ok); CPU 2.2 / 2.0 = 1.100; RSS over the base is
# 18300 - 10000 = 8300 KiB, within the budget of 8192 + 0.02 * 10000 = 8392 KiB.
grep -q '^| leaktrack | 96 | 90-98 | 1.042 (1.020-1.111) | 1.042 | 1.100 | 17.9 | 1.830 | time ok, mem ok | shim |$' "$dir/out.md" ||
  fail "malloc leaktrack row: $(grep '^| leaktrack' "$dir/out.md" | head -1)"
grep -q '^| heaptrack | - | - | - | - | - | - | - | failed (1 of 1 runs) | peer |$' "$dir/out.md" || fail "failed config row"
# compile: 2.1 / 2.0 = 1.05 > 1.02 -> TIME MISS.
grep -q '^| leaktrack | 2.100 | 2.100-2.100 | 1.050 (1.050-1.050) | 1.050 | - | 97.7 | 1.000 | TIME MISS, mem ok | shim |$' "$dir/out.md" ||
  fail "compile leaktrack row: $(grep '^| leaktrack' "$dir/out.md" | tail -1)"
grep -q "^<svg " "$dir/out.svg" && grep -q "</svg>" "$dir/out.svg" || fail "svg not written"
grep -q 'NOT all met' "$dir/out.txt" || fail "summary line"

# Paired slowdown: the machine ran at half speed in round 2, and round 4 has no base run.
# Ratio of medians: 100 / median(95, 48, 94, 10) = 100/71 = 1.408. Within rounds 1-3 (round 4
# cannot be paired): 100/95, 50/48, 100/94 = 1.053, 1.042, 1.064, whose median is 1.053.
cat >"$dir/paired.tsv" <<TSV
W${t}p${t}throughput${t}ops/s${t}1.05${t}paired
C${t}p${t}glibc${t}glibc${t}bare
C${t}p${t}leaktrack${t}glibc${t}shim
R${t}p${t}glibc${t}1${t}100${t}NA
R${t}p${t}glibc${t}2${t}50${t}NA
R${t}p${t}glibc${t}3${t}100${t}NA
R${t}p${t}leaktrack${t}1${t}95${t}NA
R${t}p${t}leaktrack${t}2${t}48${t}NA
R${t}p${t}leaktrack${t}3${t}94${t}NA
R${t}p${t}leaktrack${t}4${t}10${t}NA
TSV
"$report" "$dir/paired.tsv" --md "$dir/paired.md" >/dev/null || true
grep -q '^| leaktrack | 71 | 10-95 | 1.408 (1.053-10.000) | 1.053 | ' "$dir/paired.md" ||
  fail "paired row: $(grep '^| leaktrack' "$dir/paired.md")"

# One more KiB of RSS than the budget turns the verdict into MEM MISS.
sed -i "s/${t}18300${t}/${t}18393${t}/" "$dir/in.tsv"
"$report" "$dir/in.tsv" --md "$dir/out.md" >/dev/null || true
grep -q '| time ok, MEM MISS | shim |' "$dir/out.md" || fail "memory budget edge"

# Bad input: one line on stderr, exit 2.
printf 'R\tnope\n' >"$dir/bad.tsv"
set +e
"$report" "$dir/bad.tsv" >/dev/null 2>"$dir/err"
rc=$?
set -e
[[ $rc == 2 && $(wc -l <"$dir/err") == 1 ]] || fail "bad input: rc=$rc, stderr: $(cat "$dir/err")"
echo "report_test: ok"
