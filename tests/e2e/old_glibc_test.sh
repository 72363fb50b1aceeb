#!/bin/bash
# The shim inside programs of an older glibc (preload/glibc_compat.h): Debian 11's glibc 2.31,
# from before dl* and pthread_* moved into libc.so.6, with Debian 11's coreutils, in a chroot of
# their own (what a container image built on Debian 11 is). tac is single-threaded and links
# nothing but libc; sort --parallel=2 runs threads. Each must print exactly what it prints
# without the shim, and the dumps must be written and read.
# usage: old_glibc_test.sh LEAKTRACK CACHE_DIR
#   CACHE_DIR keeps the two downloaded packages between runs. Skips (77) when they cannot be
#   downloaded or a chroot with its own /proc cannot be made here.
set -u
LEAKTRACK=$1 CACHE=$2
SHIM="$(dirname "$LEAKTRACK")/libleaktrack.so"
[ -f "$SHIM" ] || { echo "SKIP: $SHIM not built"; exit 77; }
unshare -fp --mount-proc=/proc true 2>/dev/null ||
  { echo "SKIP: cannot create PID and mount namespaces here"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# Debian 11 (bullseye): on deb.debian.org while it is supported, on archive.debian.org after.
mkdir -p "$CACHE"
fetch_debs() {
  local mirror
  for mirror in http://deb.debian.org/debian http://archive.debian.org/debian; do
    curl -fsS --max-time 60 "$mirror/dists/bullseye/main/binary-amd64/Packages.xz" \
      -o "$CACHE/Packages.xz" 2>/dev/null || continue
    local ok=1 pkg file
    for pkg in libc6 coreutils; do
      file=$(xz -dc "$CACHE/Packages.xz" |
             awk -v p="$pkg" '$1 == "Package:" {cur = $2} cur == p && $1 == "Filename:" {print $2; exit}')
      [ -n "$file" ] && curl -fsS --max-time 120 "$mirror/$file" -o "$CACHE/$pkg.deb.part" &&
        mv "$CACHE/$pkg.deb.part" "$CACHE/$pkg.deb" || ok=0
    done
    [ $ok = 1 ] && return 0
  done
  return 1
}
[ -s "$CACHE/libc6.deb" ] && [ -s "$CACHE/coreutils.deb" ] || fetch_debs ||
  { echo "SKIP: cannot download Debian 11's libc6 and coreutils"; exit 77; }

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
R=$W/root
for pkg in libc6 coreutils; do dpkg-deb -x "$CACHE/$pkg.deb" "$R" || fail "unpack $pkg"; done
mkdir -p "$R/opt" "$R/proc" "$R/tmp"
cp "$SHIM" "$R/opt/"
version=$(ls "$R"/lib/x86_64-linux-gnu/libc-2.*.so | sed 's/.*libc-\(2\.[0-9]*\)\.so/\1/')
[ "${version#2.}" -lt 34 ] || fail "the downloaded glibc is $version, not an old one"
seq 1 300000 | shuf --random-source=<(yes) > "$R/tmp/in.txt"

in_root() { unshare -fp --mount-proc="$R/proc" chroot "$R" /usr/bin/env "$@"; }
for cmd in "tac /tmp/in.txt" "sort --parallel=2 -S 20M /tmp/in.txt"; do
  name=${cmd%% *}
  in_root $cmd > "$W/$name.bare" 2> "$W/$name.bare.err" || fail "$cmd without the shim"
  mkdir "$R/tmp/$name"
  # With the interval thread too: glibc 2.31 exports no thread count (last_thread.h), so it
  # looks the count up in vain and reads /proc at every nap.
  in_root LD_PRELOAD=/opt/libleaktrack.so LEAKTRACK_RATE=64K LEAKTRACK_AT_EXIT=1 \
    LEAKTRACK_INTERVAL=1 LEAKTRACK_DIR=/tmp/$name $cmd > "$W/$name.shim" 2> "$W/$name.err" ||
    fail "$cmd under the shim on glibc $version: $(head -3 "$W/$name.err")"
  [ -s "$W/$name.err" ] && fail "$cmd under the shim printed: $(head -3 "$W/$name.err")"
  cmp -s "$W/$name.bare" "$W/$name.shim" || fail "$cmd printed something else under the shim"
  dump=$(ls "$R/tmp/$name"/leaktrack.1.*.pb.gz 2>/dev/null | head -1)
  [ -n "$dump" ] || fail "$cmd wrote no dump at exit"
  "$LEAKTRACK" symbolize --sysroot "$R" "$dump" -o "$W/$name.pb.gz" > /dev/null 2> "$W/sym.err" ||
    fail "symbolize $name's dump: $(cat "$W/sym.err")"
  "$LEAKTRACK" top "$W/$name.pb.gz" > "$W/$name.top" 2>&1 || fail "top: $(cat "$W/$name.top")"
  grep -q "Type: inuse_space" "$W/$name.top" || fail "top of $name: $(cat "$W/$name.top")"
done
echo "PASS: tac and sort of Debian 11 (glibc $version) run unchanged under the shim, and dump"
