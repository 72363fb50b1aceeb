# Shared shell helpers for the real-service tests (sourced by tests/services/*.sh).
# Owns: argument parsing (SHIM CLI RESULTS WORK), installing the Debian packages a service needs
# when missing (scripts/install-deps.sh --services), loopback port selection and waiting, the
# shim's environment for the shimmed phase (a dump every 0.1 s), dump validation and the
# verdict record. Never: leaves a service running (every phase kills what it started).
set -uo pipefail

LT_SHIM=$1
LT_CLI=$2
LT_RESULTS=$3
LT_WORK=$4
LT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LT_CHECK="/usr/bin/env python3 $LT_ROOT/tests/services/check_dumps.py"
LT_PIDS=()
rm -rf "$LT_WORK"
mkdir -p "$LT_WORK"

# Kills what a phase left running, its children first: nginx's workers outlive a master
# killed with -9 (they get no signal), and under the shim they kept their interval threads
# running long after a failed run (`leaktrack ps` found two such pairs).
lt_cleanup() {
  local p
  for p in "${LT_PIDS[@]}"; do
    pkill -9 -P "$p" 2>/dev/null
    kill -9 "$p" 2>/dev/null
  done
}
trap lt_cleanup EXIT

lt_record() {  # result reason
  $LT_CHECK record --results "$LT_RESULTS" --id "$LT_ID" --name "$LT_NAME" --how "$LT_HOW" \
    --result "$1" --reason "$2"
  echo "[$LT_ID $LT_NAME] ${1^^}: $2"
}
lt_fail() { lt_record fail "$*"; exit 1; }
lt_skip() { lt_record skip "$*"; exit 77; }

# lt_need CMD...: installs the service packages when a command is missing, or skips.
lt_need() {
  local c missing=0
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c ]] || missing=1; done
  ((missing == 0)) && return 0
  echo "installing service packages (scripts/install-deps.sh --services)"
  bash "$LT_ROOT/scripts/install-deps.sh" --services >"$LT_WORK/install.log" 2>&1 ||
    lt_skip "cannot install the service packages (see $LT_WORK/install.log)"
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c ]] || lt_skip "$c not installable"
  done
}

lt_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

lt_wait_port() {  # port seconds
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# lt_env LABEL DIR: prints the env assignments for a phase (empty for the baseline).
lt_env() {
  if [[ $1 == shim ]]; then
    mkdir -p "$2/dumps"
    # LEAKTRACK_TEST_CHECK_UNWIND: the test build checks every sample's walk from the caller
    # against the full walk and aborts on a difference; other builds never read it.
    echo "LD_PRELOAD=$LT_SHIM LEAKTRACK_INTERVAL=0.1 LEAKTRACK_DIR=$2/dumps" \
      "LEAKTRACK_TEST_CHECK_UNWIND=1"
  fi
}

# On a hang: every thread's backtrace of the pid (and its children) before the kill.
lt_backtrace() {
  local p
  for p in $1 $(pgrep -P "$1"); do
    echo "==== pid $p"
    timeout 60 gdb -batch -nx -p "$p" -ex 'thread apply all bt' 2>&1 | tail -200
  done
}

# lt_compare: baseline/result.txt vs shim/result.txt, then the shim's dumps.
lt_compare() {
  local min=$1
  if ! cmp -s "$LT_WORK/baseline/result.txt" "$LT_WORK/shim/result.txt"; then
    diff "$LT_WORK/baseline/result.txt" "$LT_WORK/shim/result.txt" | head -20
    lt_fail "results differ: $(diff "$LT_WORK/baseline/result.txt" "$LT_WORK/shim/result.txt" |
      grep '^[<>]' | head -4 | tr '\n' ' ')"
  fi
  local out
  out=$($LT_CHECK dumps "$LT_WORK/shim/dumps" --min "$min" --cli "$LT_CLI" --work "$LT_WORK")
  local rc=$?
  echo "$out"
  ((rc == 0)) || lt_fail "dumps: $(echo "$out" | grep PROBLEM | head -3 | tr '\n' ' ')"
  grep -h '^leaktrack: ' "$LT_WORK"/shim/*.log 2>/dev/null | sort | uniq -c | head -5
  lt_record pass "same results as the baseline; $(echo "$out" | head -1 | sed 's/^dumps: //')"
}
