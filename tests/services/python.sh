#!/usr/bin/env bash
# S4: python3 running a slice of its own test suite (Debian's libpython3.11-testsuite): threads,
# subprocess, signals (test_threadsignals uses SIGUSR1/SIGUSR2, so Python owns the dump signal
# and the shim must step aside), fork and wait; without and with the shim (a dump every 0.1 s,
# inherited by every child interpreter). Results compared: regrtest's verdict lines (which
# tests passed, failed or were skipped) and its exit status. Dumps validated.
LT_ID=S4 LT_NAME=python_testsuite
LT_HOW="python3.11 -m test test_fork1 test_thread test_threadsignals test_wait4 test_threading + test_subprocess (communicate/preexec/close_fds/send_signal); a dump every 0.1 s in every interpreter; same verdicts and exit status, dumps valid"
source "$(dirname "$0")/service_lib.sh"
PY=/usr/bin/python3.11
[[ -x $PY ]] || lt_skip "python3.11 is not installed"
if [[ ! -f /usr/lib/python3.11/test/test_fork1.py ]]; then
  apt-get install -y -qq --no-install-recommends libpython3.11-testsuite >"$LT_WORK/install.log" 2>&1 ||
    lt_skip "libpython3.11-testsuite is not installed and cannot be installed"
fi

verdicts() {  # regrtest output -> the lines that must match between runs
  grep -E '^(== Tests result|Tests result|All [0-9]+ tests OK|[0-9]+ tests? (OK|failed|skipped)|    test_)' "$1"
}

phase() {
  local label=$1 dir=$LT_WORK/$1
  mkdir -p "$dir/tmp"
  (
    cd "$dir/tmp" || exit 1
    # test_threadsignals saves and restores the SIGUSR2 handler and cannot restore a C handler
    # it did not install (TypeError): the documented case for moving the dump signal.
    # test_threading forks from a thread whose child ends with pthread_exit: the interval
    # thread must not keep that child alive (preload/last_thread.h).
    env $(lt_env "$label" "$dir") LEAKTRACK_SIGNAL=RTMIN+3 timeout 150 "$PY" -m test test_fork1 \
      test_thread test_threadsignals test_wait4 test_threading >"$dir/suite1.log" 2>&1
    echo "slice 1 rc=$?" >"$dir/rc.txt"
    env $(lt_env "$label" "$dir") timeout 150 "$PY" -m test test_subprocess -m '*communicate*' \
      -m '*preexec*' -m '*close_fds*' -m '*send_signal*' >"$dir/suite2.log" 2>&1
    echo "slice 2 rc=$?" >>"$dir/rc.txt"
  )
  grep -q 'rc=124' "$dir/rc.txt" && lt_fail "$label: the test suite hung (> 150 s)"
  { verdicts "$dir/suite1.log"; verdicts "$dir/suite2.log"; cat "$dir/rc.txt"; } >"$dir/result.txt"
  cp "$dir/suite1.log" "$dir/s1.log"
  cp "$dir/suite2.log" "$dir/s2.log"
}

phase baseline
phase shim
lt_compare 10
