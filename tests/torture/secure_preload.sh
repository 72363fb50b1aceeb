#!/usr/bin/env bash
# Torture row I1, secure-execution leg (registered as torture.I1.ld_so_preload_<kind>; see
# cases.cmake). ld.so ignores LD_PRELOAD paths for privileged programs (torture.SEC.setuid), but
# loads every object listed in /etc/ld.so.preload into them as well: this is how the shim gets
# into a setuid program, and there it must stay passive.
#
# In a private mount namespace (the real /etc is never touched), /etc is replaced by an overlay of
# itself (or a copy when overlayfs is refused), whose ld.so.preload lists a copy of the shim and a
# getenv spy (progs/getenv_spy_lib.c). `security_probe secure` then runs as nobody (setpriv) with
# LEAKTRACK_* set so that a normal process profiles and dumps (at exit, every 0.05 s, on SIGUSR2,
# LEAKTRACK_DEPTH invalid so that parsing it logs), three times:
#   baseline  the privileged probe copy, ld.so.preload empty
#   control   an unprivileged copy, ld.so.preload set: the shim must be mapped, read its variables
#             (the spy sees them), log the invalid one and dump -- else the leg proves nothing
#   secure    the privileged copy (kind: setuid root, setgid root, or file capability
#             cap_net_bind_service+ep), ld.so.preload set: AT_SECURE is 1, the shim is mapped
#             (what glibc does), reads no variable with getenv (secure_getenv, NULL here, is
#             allowed), logs nothing, creates no file, installs no handler or thread,
#             leaktrack_dump() refuses, and stdout (less the "shim " lines), stderr and rc equal
#             the baseline's.
# Usage: secure_preload.sh setuid|setgid|fcaps SHIM SPY PROBE WORK RESULTS
#        exit 0 pass, 1 fail, 77 skip. The verdict is recorded in RESULTS for docs/RELIABILITY.md.
set -uo pipefail

# ---- inside the namespace: `secure_preload.sh inner WORK` (no verdict, no checks) ----------
if [[ $1 == inner ]]; then
  work=$2
  # Overlay first (nothing copied); a copy bound over /etc where overlayfs is not allowed.
  mkdir -p "$work/etc.upper" "$work/etc.ovlwork"
  if ! mount -t overlay overlay \
      -o "lowerdir=/etc,upperdir=$work/etc.upper,workdir=$work/etc.ovlwork" /etc 2>/dev/null; then
    if ! { cp -a /etc "$work/etc.copy" && mount --bind "$work/etc.copy" /etc; }; then
      echo "cannot mount over /etc in the namespace"
      exit 77
    fi
  fi
  mountpoint -q /etc || { echo "/etc is not our mount"; exit 2; }
  run() {  # name, program: its own cwd and LEAKTRACK_DIR, both writable by nobody
    local d=$work/$1
    mkdir -m 1777 "$d" "$d/cwd" "$d/dir"
    (cd "$d/cwd" && setpriv --reuid=65534 --regid=65534 --clear-groups \
      env -i PATH=/usr/bin:/bin LEAKTRACK_DIR="$d/dir" LEAKTRACK_AT_EXIT=1 \
      LEAKTRACK_INTERVAL=0.05 LEAKTRACK_RATE=1 LEAKTRACK_DEPTH=bogus GETENV_SPY=1 \
      "$2" secure >"$d/stdout" 2>"$d/stderr")
    echo $? >"$d/rc"
  }
  : >/etc/ld.so.preload
  run baseline "$work/probe-priv"
  # Written last: from here on every program started in this namespace gets the shim.
  printf '%s\n%s\n' "$work/lib/libgetenv_spy.so" "$work/lib/libleaktrack.so" >/etc/ld.so.preload
  run control "$work/probe"
  run secure "$work/probe-priv"
  : >/etc/ld.so.preload
  exit 0
fi

kind=$1 shim=$2 spy=$3 probe=$4 work=$5 results=$6
record() {  # exit code, message
  local r=pass
  (($1 == 77)) && r=skip
  (($1 == 1)) && r=fail
  python3 "$(dirname "$0")/../services/check_dumps.py" record --results "$results" --id I1 \
    --name "ld_so_preload_$kind" --result "$r" --reason "$2" --priority P1 --how \
    "shim in /etc/ld.so.preload of a private mount namespace, $kind probe run as nobody with LEAKTRACK_* set to dump: AT_SECURE, shim mapped, yet no getenv (spy library), no log line, no file, no handler or thread, leaktrack_dump() -1; stdout, stderr and rc = baseline's; an unprivileged control reads, logs and dumps"
}
on_exit() { local rc=$?; record $rc "${last_msg:-exit $rc}"; }
trap on_exit EXIT
say() { last_msg=${1#*: }; echo "$1"; }
fail() { say "FAIL: $1"; for f in "$work"/{baseline,control,secure}/{rc,stdout,stderr}; do
  [[ -f $f ]] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

[[ $(id -u) == 0 ]] || { say "SKIP: needs root"; exit 77; }
for tool in unshare setpriv mount mountpoint; do
  command -v $tool >/dev/null || { say "SKIP: $tool missing"; exit 77; }
done
[[ $kind == fcaps ]] && ! command -v setcap >/dev/null && { say "SKIP: setcap missing"; exit 77; }
unshare --mount --propagation private true 2>/dev/null ||
  { say "SKIP: unshare --mount not permitted here"; exit 77; }

rm -rf "$work"
mkdir -p "$work/lib"
chmod 755 "$work" "$work/lib"
# Copies in a directory nobody can read: the build tree may sit in a private home.
install -m 755 "$shim" "$work/lib/libleaktrack.so"
install -m 755 "$spy" "$work/lib/libgetenv_spy.so"
install -m 755 "$probe" "$work/probe"
install -m 755 -o root -g root "$probe" "$work/probe-priv"
case $kind in
  setuid) chmod 4755 "$work/probe-priv" ;;
  setgid) chmod 2755 "$work/probe-priv" ;;
  fcaps) setcap cap_net_bind_service+ep "$work/probe-priv" ||
    { say "SKIP: setcap failed (no xattr support?)"; exit 77; } ;;
  *) echo "usage: secure_preload.sh setuid|setgid|fcaps SHIM SPY PROBE WORK RESULTS" >&2; exit 2 ;;
esac

real_before=$(cat /etc/ld.so.preload 2>/dev/null || echo "<absent>")
inner_out=$(unshare --mount --propagation private -- bash "$0" inner "$work" 2>&1)
inner_rc=$?
real_after=$(cat /etc/ld.so.preload 2>/dev/null || echo "<absent>")
[[ $real_after == "$real_before" ]] || fail "the real /etc/ld.so.preload changed: $real_after"
((inner_rc == 77)) && { say "SKIP: $inner_out"; exit 77; }
((inner_rc == 0)) || fail "namespace set-up failed ($inner_rc): $inner_out"

B=$work/baseline C=$work/control S=$work/secure
files() { find "$1/cwd" "$1/dir" -mindepth 1 | wc -l; }
# The baseline: a valid run of a privileged program, without the shim.
grep -q "at_secure=1" "$B/stdout" ||
  { cat "$B/stdout"; say "SKIP: AT_SECURE not set for the $kind copy (nosuid mount?)"; exit 77; }
(($(cat "$B/rc") == 0)) || fail "baseline: probe exited $(cat "$B/rc")"
grep -q "shim mapped=0" "$B/stdout" || fail "baseline: the shim is mapped without ld.so.preload"
(($(files "$B") == 0)) || fail "baseline: the probe itself left files"

# The control: the same set-up reaches a normal program, which profiles and dumps.
(($(cat "$C/rc") == 0)) || fail "control: probe exited $(cat "$C/rc")"
grep -q "shim mapped=1" "$C/stdout" || fail "control: the shim is not mapped via /etc/ld.so.preload"
grep -q "getenv-spy: getenv(LEAKTRACK_DIR) from .*libleaktrack" "$C/stderr" ||
  fail "control: the getenv spy saw no LEAKTRACK_DIR read by the shim"
grep -q "leaktrack: invalid LEAKTRACK_DEPTH" "$C/stderr" ||
  fail "control: the shim did not log the invalid LEAKTRACK_DEPTH"
grep -q "SIGUSR2 handler=installed" "$C/stdout" || fail "control: no dump signal handler"
dumps=$(find "$C/dir" -name 'leaktrack.*.pb.gz' | wc -l)
((dumps >= 1)) || fail "control: no dump written"
for f in "$C"/dir/leaktrack.*.pb.gz; do gzip -t "$f" || fail "control: $f is not gzip"; done

# The secure run.
grep -q "at_secure=1" "$S/stdout" || fail "secure: AT_SECURE not set"
# glibc loads /etc/ld.so.preload objects into secure programs too (only LD_PRELOAD is filtered);
# without the shim mapped this leg would test nothing.
grep -q "shim mapped=1" "$S/stdout" ||
  { say "SKIP: ld.so did not load /etc/ld.so.preload into the $kind program"; exit 77; }
grep -q "env LEAKTRACK_DIR=set" "$S/stdout" || fail "secure: LEAKTRACK_DIR was not in the environment"
# secure_getenv is allowed (it returns NULL under AT_SECURE, the spy's too); getenv is not.
! grep -q "getenv-spy: getenv(" "$S/stderr" ||
  fail "secure: the shim read the environment: $(grep 'getenv-spy: getenv(' "$S/stderr" | head -3)"
! grep -q "leaktrack: " "$S/stderr" || fail "secure: the shim logged: $(grep 'leaktrack: ' "$S/stderr")"
n=$(files "$S")
((n == 0)) || fail "secure: $n file(s) written: $(find "$S/cwd" "$S/dir" -mindepth 1)"
grep -q "shim leaktrack_dump()=-1" "$S/stdout" || fail "secure: leaktrack_dump() did not refuse"
[[ $(cat "$S/rc") == "$(cat "$B/rc")" ]] || fail "secure: rc $(cat "$S/rc") != baseline's"
diff <(grep -v '^shim ' "$B/stdout") <(grep -v '^shim ' "$S/stdout") >/dev/null ||
  fail "secure: stdout differs from the baseline's: $(diff <(grep -v '^shim ' "$B/stdout") \
    <(grep -v '^shim ' "$S/stdout") | tr '\n' ' ')"
cmp -s "$B/stderr" <(grep -v '^getenv-spy: secure_getenv(' "$S/stderr") ||
  fail "secure: stderr differs from the baseline's"
say "PASS: $kind: shim mapped via ld.so.preload, AT_SECURE, no variable read, nothing logged or written, output = baseline; control: $dumps dump(s)"
