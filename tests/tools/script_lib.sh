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
