#!/usr/bin/env bash
# Unit test of bench/lib/callgrind_cost.awk, which turns a callgrind file made with
# --cache-sim=yes into instructions, first- and last-level misses and estimated cycles: events
# are found by name whatever their order, "summary:" wins over a later "totals:", and a file
# without the cache simulation or without totals gives no line. Deterministic.
# Usage: callgrind_cost_test.sh PATH/TO/callgrind_cost.awk
set -euo pipefail
awk_prog=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect FILE WANTED
  local got
  got=$(awk -f "$awk_prog" "$1")
  [[ $got == "$2" ]] || fail "$(basename "$1"): got '$got', want '$2'"
}

# callgrind's own order. 1000 + 10 * (3 + 5 + 7) + 100 * (1 + 2 + 4) = 1850.
cat >"$dir/cache" <<'OUT'
version: 1
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 1000 400 300 3 5 7 1 2 4
fn=(1) f
0 1000 400 300 3 5 7 1 2 4
totals: 999 0 0 0 0 0 0 0 0
OUT
expect "$dir/cache" "1000 15 7 1850"

# The same counts with the events in another order, and only a totals line.
cat >"$dir/reordered" <<'OUT'
events: DLmw Ir I1mr D1mr D1mw ILmr DLmr Dr Dw
totals: 4 1000 3 5 7 1 2 400 300
OUT
expect "$dir/reordered" "1000 15 7 1850"

# Made without --cache-sim: only Ir. No line, so the caller reports the config as failed.
cat >"$dir/plain" <<'OUT'
events: Ir
summary: 1000
OUT
expect "$dir/plain" ""

# First-level caches only: no last-level counts, so no estimate either.
cat >"$dir/l1only" <<'OUT'
events: Ir I1mr D1mr D1mw
summary: 1000 3 5 7
OUT
expect "$dir/l1only" ""

# No totals at all (a run killed before callgrind wrote them).
cat >"$dir/cut" <<'OUT'
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
fn=(1) f
OUT
expect "$dir/cut" ""
echo "callgrind_cost_test: ok"
