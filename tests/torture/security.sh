#!/usr/bin/env bash
# Security checks of the shim (registered as torture.SEC.*; see cases.cmake):
#   setuid  a setuid-root copy of a probe, run as nobody via setpriv with LD_PRELOAD=<abs shim>:
#           the shim must not be mapped (secure-execution mode) and nothing may be written
#           (the shim reaching such a program via /etc/ld.so.preload: secure_preload.sh, I1)
#   umask   with umask 000 every dump is still mode 0600
# Usage: security.sh setuid|umask SHIM PROBE WORK RESULTS   exit 0 pass, 1 fail, 77 skip
# The verdict is recorded in RESULTS for docs/RELIABILITY.md.
set -uo pipefail
mode=$1 shim=$2 probe=$3 work=$4 results=$5
record() {  # exit code, message
  local r=pass
  (($1 == 77)) && r=skip
  (($1 == 1)) && r=fail
  local how="setuid-root copy of a probe run as nobody (setpriv) with LD_PRELOAD=<abs shim>: shim not mapped, nothing written"
  [[ $mode == umask ]] && how="umask 000: every dump is still mode 0600"
  python3 "$(dirname "$0")/../services/check_dumps.py" record --results "$results" --id SEC \
    --name "$mode" --how "$how" --result "$r" --reason "$2" --priority P1
}
trap 'rc=$?; record $rc "${last_msg:-exit $rc}"' EXIT
say() { last_msg=${1#*: }; echo "$1"; }
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"
case $mode in
  setuid)
    [[ $(id -u) == 0 ]] || { say "SKIP: needs root"; exit 77; }
    command -v setpriv >/dev/null || { say "SKIP: setpriv missing"; exit 77; }
    cp "$probe" "$work/probe" && chown root:root "$work/probe" && chmod 4755 "$work/probe"
    mkdir -m 1777 "$work/dumps"
    out=$(cd "$work/dumps" && setpriv --reuid=65534 --regid=65534 --clear-groups \
      env LD_PRELOAD="$shim" LEAKTRACK_DIR="$work/dumps" LEAKTRACK_AT_EXIT=1 \
      LEAKTRACK_INTERVAL=0.05 "$work/probe" maps 2>&1)
    rc=$?
    echo "$out"
    [[ $out == *"euid=0"* ]] || { say "SKIP: setuid bit not honoured here (nosuid mount?)"; exit 77; }
    ((rc == 0)) || { say "FAIL: probe exited $rc"; exit 1; }
    [[ $out == *"shim mapped=0"* ]] || { say "FAIL: the shim is mapped into a setuid program"; exit 1; }
    [[ $out != *"leaktrack: "* ]] || { say "FAIL: the shim logged in secure-execution mode"; exit 1; }
    files=$(find "$work/dumps" -mindepth 1 | wc -l)
    ((files == 0)) || { say "FAIL: $files file(s) written in secure-execution mode"; exit 1; }
    say "PASS: not mapped, nothing written, rc 0"
    ;;
  umask)
    mkdir "$work/dumps"
    (umask 000 && cd "$work" && LD_PRELOAD="$shim" LEAKTRACK_DIR="$work/dumps" \
      LEAKTRACK_AT_EXIT=1 TORTURE_SHIM=1 "$probe" sockets >"$work/out.txt" 2>&1) ||
      { cat "$work/out.txt"; say "FAIL: probe failed"; exit 1; }
    n=$(find "$work/dumps" -name 'leaktrack.*.pb.gz' | wc -l)
    ((n >= 1)) || { say "FAIL: no dump written"; exit 1; }
    bad=$(find "$work/dumps" -name 'leaktrack.*.pb.gz' ! -perm 600 | wc -l)
    ((bad == 0)) || { ls -l "$work/dumps"; say "FAIL: $bad dump(s) not mode 0600 under umask 000"; exit 1; }
    say "PASS: $n dump(s), all 0600 under umask 000"
    ;;
  *) echo "usage: security.sh setuid|umask SHIM PROBE WORK" >&2; exit 2 ;;
esac
