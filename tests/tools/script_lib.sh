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
