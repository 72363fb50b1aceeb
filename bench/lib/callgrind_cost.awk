# callgrind_cost.awk: reads one callgrind output file made with --cache-sim=yes and prints
#   instructions  first-level-misses  last-level-misses  estimated-cycles
# from its totals (the "summary:" line, or "totals:" when there is none), finding each event by
# its name on the "events:" line. Estimated cycles use kcachegrind's weights: 10 per
# first-level miss, 100 per last-level miss (see bench/lib/callgrind.sh). Prints nothing when
# the file has no totals or lacks any of those events (made without the cache simulation).
$1 == "events:" {
  for (i = 2; i <= NF; i++) col[$i] = i
}
($1 == "summary:" || $1 == "totals:") && !done {
  n = split("Ir I1mr D1mr D1mw ILmr DLmr DLmw", need, " ")
  for (i = 1; i <= n; i++) if (!(need[i] in col)) exit
  ir = $(col["Ir"])
  l1 = $(col["I1mr"]) + $(col["D1mr"]) + $(col["D1mw"])
  ll = $(col["ILmr"]) + $(col["DLmr"]) + $(col["DLmw"])
  printf "%.0f %.0f %.0f %.0f\n", ir, l1, ll, ir + 10 * l1 + 100 * ll
  done = 1
}
