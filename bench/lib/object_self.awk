# Instructions executed inside one shared object, from callgrind output files (a run's parts).
#   awk -v OBJ=libleaktrack.so -f object_self.awk FILE [FILE...]
# Prints the sum of the self cost (first event: Ir) of every function whose object's path ends
# in "/OBJ": the interposer's own work, which a program's run-to-run wobble (redis batches its
# pipelined requests differently each run) does not move. Calls out of it are not counted: a
# "calls=" line is followed by the callee's inclusive cost, which belongs to the callee.
#
# Format (valgrind's callgrind-format docs): "ob=" names the object of the functions that
# follow; "cob=" only names a callee's. A name is given once as "(id) path" and then as "(id)",
# per file, with one id space for ob and cob. Cost lines start with a position: a digit, "+",
# "-" or "*".

function object_name(s,   close_at, id, rest) {
  if (substr(s, 1, 1) != "(") return s
  close_at = index(s, ")")
  id = substr(s, 2, close_at - 2)
  rest = substr(s, close_at + 2)
  if (rest != "") names[id] = rest
  return names[id]
}

FNR == 1 { split("", names); current = ""; mine = 0; skip_call_cost = 0 }
/^ob=/ { current = object_name(substr($0, 4)); mine = (substr(current, length(current) - length(OBJ)) == "/" OBJ); next }
/^cob=/ { object_name(substr($0, 5)); next }
/^calls=/ { skip_call_cost = 1; next }
/^[0-9+*-]/ {
  if (skip_call_cost) { skip_call_cost = 0; next }
  if (mine) self += $2
  next
}
END { printf "%.0f\n", self }
