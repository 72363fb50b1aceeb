#!/usr/bin/env bash
# LEAKTRACK_FOLLOW_EXEC=0 with the shim named through ld.so's $LIB token, as multiarch installs
# do (LD_PRELOAD='/usr/$LIB/libleaktrack.so'): the shim must still recognise its entry and keep
# it from the children; with the default they load it. Usage: follow_exec_token.sh LIBLEAKTRACK_SO
set -euo pipefail
so=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# $LIB's value is built into ld.so; put the shim under every value it has on x86-64 Linux.
for lib in lib/x86_64-linux-gnu lib64 lib; do
  mkdir -p "$tmp/$lib" && cp "$so" "$tmp/$lib/libleaktrack.so"
done
entry="$tmp/\$LIB/libleaktrack.so"
# Prints "<shim mapped in the shell> <shim mapped in its child>".
probe() {
  env LD_PRELOAD="$entry" "$@" sh -c \
    'echo "$(grep -c libleaktrack /proc/$$/maps) $(grep -c libleaktrack /proc/self/maps)"'
}

read -r parent child < <(probe LEAKTRACK_FOLLOW_EXEC=0)
[[ $parent -gt 0 ]] || fail "ld.so did not load $entry at all (cannot test)"
[[ $child -eq 0 ]] || fail "LEAKTRACK_FOLLOW_EXEC=0: the child still maps the shim ($child)"
read -r parent child < <(probe LEAKTRACK_FOLLOW_EXEC=1)
[[ $child -gt 0 ]] || fail "follow-exec on: the child does not map the shim"
echo "PASS: \$LIB entry recognised (FOLLOW_EXEC=0: child clean; default: child profiled)"
