# Shared by the end-to-end scripts of tests/tools: a scratch directory $W, the target processes
# (PIDS) killed and $W removed at exit, and the helpers. Sourced after LEAKTRACK is set.
W=$(mktemp -d)
PIDS=()
# kill -9: the first process of a PID namespace ignores signals it has no handler for.
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# wait_ready FILE [STEPS]: waits (STEPS x 50 ms, default 200) for a target to write FILE.
wait_ready() {
  for _ in $(seq "${2:-200}"); do [ -s "$1" ] && return 0; sleep 0.05; done
  fail "target not ready"
}
# The shim that `leaktrack run` uses; skips the test (77) when it was not built.
SHIM="$(dirname "$LEAKTRACK")/libleaktrack.so"
need_shim() { [ -f "$SHIM" ] || { echo "SKIP: $SHIM not built"; exit 77; }; }
# need_ptrace: skips the test (77) unless we may ptrace a process that is not our descendant
# (what `leaktrack attach` does to its sibling target): CAP_SYS_PTRACE, or Yama's ptrace_scope
# 0 (or no Yama). A container started without CAP_SYS_PTRACE has neither.
can_ptrace() {
  local caps scope
  caps=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  (( (16#$caps >> 19) & 1 )) && return 0
  scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
  [ "$scope" = 0 ]
}
need_ptrace() { can_ptrace || { echo "SKIP: no right to ptrace other processes here"; exit 77; }; }
# need_syscall_file: skips the test (77) unless /proc/PID/syscall can be read (what attach and
# dump read to see where each thread waits).
need_syscall_file() {
  cat /proc/self/syscall > /dev/null 2>&1 ||
    { echo "SKIP: /proc/PID/syscall is not readable here"; exit 77; }
}
# finish_busy PID DUMP: lets the busy fixture (fixture_attach_busy.cc), whose stdin is the FIFO
# open on fd 3, end; checks it exited 0 (no corrupted block) and that DUMP's top row is its
# busy_leak. Its output is in $W/busy.out.
finish_busy() {
  echo go >&3
  exec 3>&-
  wait "$1"
  local status=$?
  [ $status = 0 ] || fail "the busy program exited $status: $(cat "$W/busy.out")"
  "$LEAKTRACK" top "$2" > "$W/top" 2>&1 || fail "top: $(cat "$W/top")"
  sed -n 5p "$W/top" | grep -q busy_leak || fail "top: $(cat "$W/top")"
}
# expect_sleeper_growth PID: two dumps of the sleeper (fixture_sleeper.c) 1 s apart, into
# $W/s1.pb.gz and $W/s2.pb.gz; what grew between them must be its sleeper_leak.
expect_sleeper_growth() {
  sleep 0.5
  "$LEAKTRACK" dump "$1" -o "$W/s1.pb.gz" > /dev/null 2> "$W/err" || fail "dump 1: $(cat "$W/err")"
  sleep 1
  "$LEAKTRACK" dump "$1" -o "$W/s2.pb.gz" > /dev/null 2> "$W/err" || fail "dump 2: $(cat "$W/err")"
  "$LEAKTRACK" diff "$W/s1.pb.gz" "$W/s2.pb.gz" > "$W/diff" 2>&1 || fail "diff: $(cat "$W/diff")"
  sed -n 6p "$W/diff" | grep -q sleeper_leak || fail "diff: $(cat "$W/diff")"
}
