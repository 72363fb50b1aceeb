#!/bin/bash
# `leaktrack dump` of processes whose files are not where their paths say (tools/target_process.h).
# usage: container_test.sh LEAKTRACK SLEEPER container|own_mounts|replaced
#   container: the sleeper in its own PID namespace and root (unshare + chroot, what a container
#              is to the kernel), dumped from here by its PID here; a second one, started
#              without the shim, attached to from here. Skips (77) without the privileges to
#              create namespaces.
#   own_mounts: the sleeper in our root but its own mount namespace, as systemd's PrivateTmp=yes
#              runs a service: its dumps go to a directory whose mount only it sees, where dump
#              must find them; a second one, attached to.
#   replaced:  the sleeper's binary is replaced on disk while it runs, as a deployment does;
#              the dump must not be named from the new file. Also: dump directories the
#              process cannot write (removed, read-only, another user's).
set -u
LEAKTRACK=$1 SLEEPER=$2 MODE=$3
source "$(dirname "$0")/script_lib.sh"
need_shim
# The tmpfs mounts below must not outlive a failed run.
trap 'umount "$W/ro" "$W/cwd" 2>/dev/null; cleanup' EXIT
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
# attach_then_dump PID DIR: attaches to PID (no copy of the shim may stay in DIR, the /tmp the
# process sees), dumps it, and the top row of the dump is sleeper_leak.
attach_then_dump() {
  "$LEAKTRACK" attach "$1" > "$W/attach" 2>&1 || fail "attach: $(cat "$W/attach")"
  ls "$2" | grep -q "libleaktrack.so.attach" && fail "a copy of the shim stayed: $(ls "$2")"
  sleep 0.3
  "$LEAKTRACK" dump "$1" -o attached.pb.gz > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
  "$LEAKTRACK" top attached.pb.gz 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "top after attach: $("$LEAKTRACK" top attached.pb.gz 2>&1)"
}
mkdir "$W/out"
cd "$W/out"

if [ "$MODE" = container ]; then
  unshare -fp --mount-proc=/proc true 2>/dev/null ||
    { echo "SKIP: cannot create PID and mount namespaces here"; exit 77; }
  # A root whose paths differ from this machine's: the program in /app, the shim in
  # /opt/leaktrack, every library flat in /lib (here they are in /lib/x86_64-linux-gnu).
  R=$W/root
  mkdir -p "$R/app" "$R/opt/leaktrack" "$R/lib" "$R/lib64" "$R/usr/bin" "$R/proc" "$R/tmp"
  cp "$SLEEPER" "$R/app/sleeper"
  cp "$SHIM" "$R/opt/leaktrack/"
  cp /usr/bin/env "$R/usr/bin/"
  for f in "$SLEEPER" "$SHIM" /usr/bin/env; do
    ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | xargs -r cp -Ln -t "$R/lib"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
  unshare -fp --mount-proc="$R/proc" chroot "$R" /usr/bin/env -i \
    LD_PRELOAD=/opt/leaktrack/libleaktrack.so LEAKTRACK_RATE=1 LEAKTRACK_DIR=/tmp \
    /app/sleeper /tmp/ready > "$W/target.log" 2>&1 & u=$!
  PIDS+=($u)
  wait_ready "$R/tmp/ready"
  p=$(pgrep -P "$u")
  [ -n "$p" ] || fail "no sleeper under unshare $u: $(cat "$W/target.log")"
  PIDS+=($p)
  grep -q "^NSpid:[[:space:]]*$p[[:space:]]*1$" "/proc/$p/status" ||
    fail "the sleeper is not PID 1 of its own namespace: $(grep NSpid "/proc/$p/status")"

  "$LEAKTRACK" dump "$p" > "$W/path" 2> "$W/err" || fail "dump: $(cat "$W/err")"
  [ -s "$W/err" ] && fail "dump warned: $(cat "$W/err")"
  [ "$(cat "$W/path")" = "./leaktrack.$p.0.pb.gz" ] || fail "output named $(cat "$W/path")"
  # The shim named its file by the PID it knows itself by.
  RAW="$R/tmp/leaktrack.1.0.pb.gz"
  [ -f "$RAW" ] || fail "no $RAW: $(ls "$R/tmp")"
  "$LEAKTRACK" top "leaktrack.$p.0.pb.gz" > "$W/top" 2>&1 || fail "top: $(cat "$W/top")"
  sed -n 5p "$W/top" | grep -q sleeper_leak || fail "top row is not sleeper_leak: $(cat "$W/top")"

  # The raw dump symbolized elsewhere: its paths mean nothing here without --sysroot.
  "$LEAKTRACK" symbolize "$RAW" -o here.pb.gz > /dev/null 2> "$W/err_here"
  grep -q "warning: /app/sleeper" "$W/err_here" ||
    fail "symbolize without --sysroot found /app/sleeper: $(cat "$W/err_here")"
  # A named profile is read as it is: top does not try (and warn) again.
  "$LEAKTRACK" top here.pb.gz 2> "$W/err_top" > /dev/null || fail "top: $(cat "$W/err_top")"
  [ -s "$W/err_top" ] && fail "top of a named profile warned: $(cat "$W/err_top")"
  "$LEAKTRACK" symbolize --sysroot "$R" "$RAW" -o rooted.pb.gz > /dev/null 2> "$W/err_root" ||
    fail "symbolize --sysroot: $(cat "$W/err_root")"
  [ -s "$W/err_root" ] && fail "symbolize --sysroot warned: $(cat "$W/err_root")"
  "$LEAKTRACK" top rooted.pb.gz 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "symbolize --sysroot: $("$LEAKTRACK" top rooted.pb.gz 2>&1)"
  "$LEAKTRACK" symbolize --sysroot "$W/nonexistent" "$RAW" > /dev/null 2> "$W/err_bad"
  [ $? = 1 ] && grep -q "is not an existing directory" "$W/err_bad" ||
    fail "bad --sysroot: $(cat "$W/err_bad")"
  # The reports name a raw dump from the same places: top, diff and growth take --sysroot too.
  "$LEAKTRACK" top --sysroot "$R" "$RAW" > "$W/top_root" 2> "$W/err_top_root" ||
    fail "top --sysroot: $(cat "$W/err_top_root")"
  [ -s "$W/err_top_root" ] && fail "top --sysroot warned: $(cat "$W/err_top_root")"
  sed -n 5p "$W/top_root" | grep -q sleeper_leak || fail "top --sysroot: $(cat "$W/top_root")"
  "$LEAKTRACK" growth "$RAW" "$RAW" --sysroot "$R" > /dev/null 2> "$W/err_growth_root" ||
    fail "growth --sysroot: $(cat "$W/err_growth_root")"
  [ -s "$W/err_growth_root" ] && fail "growth --sysroot warned: $(cat "$W/err_growth_root")"
  "$LEAKTRACK" diff "$RAW" "$RAW" --sysroot > /dev/null 2> "$W/err_diff_root"
  [ $? = 2 ] && grep -q "needs a directory" "$W/err_diff_root" ||
    fail "diff --sysroot without a directory: $(cat "$W/err_diff_root")"

  if ! can_ptrace; then
    echo "PASS: dump of a process in its own PID namespace and root (attach skipped: no ptrace)"
    exit 0
  fi
  # attach from here to a second sleeper of that root, started without the shim: the shim is
  # copied into the root's /tmp for its dlopen, and removed once mapped.
  unshare -fp --mount-proc="$R/proc" chroot "$R" /usr/bin/env -i LEAKTRACK_RATE=1 \
    LEAKTRACK_DIR=/tmp /app/sleeper /tmp/ready2 > "$W/target2.log" 2>&1 & u2=$!
  PIDS+=($u2)
  wait_ready "$R/tmp/ready2"
  q=$(pgrep -P "$u2")
  [ -n "$q" ] || fail "no second sleeper under unshare $u2: $(cat "$W/target2.log")"
  PIDS+=($q)
  attach_then_dump "$q" "$R/tmp"
  echo "PASS: dump of a process in its own PID namespace and root, preloaded and attached"
  exit 0
fi

if [ "$MODE" = own_mounts ]; then
  unshare -m true 2>/dev/null || { echo "SKIP: cannot create mount namespaces here"; exit 77; }
  # What systemd's PrivateTmp=yes does to a service, on a directory of the test's own rather
  # than on /tmp (which may hold this very build): a tmpfs mounted over $W/private in the
  # process's own mount namespace, its working directory, where its dumps go. Here $W/private
  # stays empty; /proc/PID/cwd and /proc/PID/root reach its files.
  mkdir "$W/private"
  own_mounts() {  # READY CMD...: CMD SLEEPER READY in a mount namespace of its own
    local ready=$1
    shift
    unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs "$0" && cd "$0" && exec "$@"' \
      "$W/private" "$@" "$SLEEPER" "$ready" > "$W/$ready.log" 2>&1 &
  }
  own_mounts ready "$LEAKTRACK" run --rate 1 --
  p=$!
  PIDS+=($p)
  wait_ready "/proc/$p/cwd/ready"
  "$LEAKTRACK" dump "$p" -o mounts.pb.gz > /dev/null 2> "$W/err" || fail "dump: $(cat "$W/err")"
  ls "/proc/$p/cwd" | grep -q "^leaktrack\.$p\.[0-9]*\.pb\.gz$" ||
    fail "not in its own directory: $(ls "/proc/$p/cwd")"
  [ -z "$(ls "$W/private")" ] || fail "its files are visible here: $(ls "$W/private")"
  "$LEAKTRACK" top mounts.pb.gz 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "top: $("$LEAKTRACK" top mounts.pb.gz 2>&1)"
  if ! can_ptrace; then
    echo "PASS: dump of a process with mounts of its own (attach skipped: no ptrace)"
    exit 0
  fi
  own_mounts ready2 env LEAKTRACK_RATE=1
  q=$!
  PIDS+=($q)
  wait_ready "/proc/$q/cwd/ready2"
  attach_then_dump "$q" /tmp
  grep -q " $(readlink -f "$SHIM")$" "/proc/$q/maps" ||
    fail "the process does not map the shim itself: $(grep leaktrack "/proc/$q/maps")"
  echo "PASS: dump of a process with mounts of its own, preloaded and attached"
  exit 0
fi

# replaced
mkdir "$W/bin" "$W/dumps" "$W/gone"
cp "$SLEEPER" "$W/bin/sleeper"
ORIGINAL=$(build_id "$W/bin/sleeper")
"$LEAKTRACK" run --rate 1 --dir "$W/dumps" -- "$W/bin/sleeper" "$W/ready" & p=$!
PIDS+=($p)
wait_ready "$W/ready"
cp /usr/bin/env "$W/bin/new" && mv -f "$W/bin/new" "$W/bin/sleeper"
grep -q "$W/bin/sleeper (deleted)" "/proc/$p/maps" || fail "the binary was not replaced"

# The dump carries the build ID the process runs, so the new file is refused, not misread.
"$LEAKTRACK" dump --raw "$p" -o raw.pb.gz > /dev/null 2> "$W/err" || fail "dump --raw: $(cat "$W/err")"
"$LEAKTRACK" symbolize raw.pb.gz -o named.pb.gz > /dev/null 2> "$W/err_sym"
grep -q "$W/bin/sleeper: build ID mismatch (profile $ORIGINAL, file $(build_id /usr/bin/env))" \
  "$W/err_sym" || fail "symbolize of a replaced binary: $(cat "$W/err_sym")"
if [ "$(id -u)" = 0 ]; then
  # /proc/PID/map_files still holds the file the process mapped (opening it needs
  # CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE).
  "$LEAKTRACK" dump "$p" -o live.pb.gz > /dev/null 2> "$W/err_live" || fail "dump: $(cat "$W/err_live")"
  [ -s "$W/err_live" ] && fail "dump of a replaced binary warned: $(cat "$W/err_live")"
  "$LEAKTRACK" top live.pb.gz 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "dump of a replaced binary: $("$LEAKTRACK" top live.pb.gz 2>&1)"
else
  echo "note: not root, /proc/PID/map_files not tested"
fi

# A dump directory removed under the process: refused at once, with the path.
"$LEAKTRACK" run --dir "$W/gone" -- "$SLEEPER" "$W/ready2" & q=$!
PIDS+=($q)
wait_ready "$W/ready2"
rmdir "$W/gone"
start=$(date +%s)
"$LEAKTRACK" dump "$q" > /dev/null 2> "$W/err_gone"
rc=$?
[ $rc = 1 ] || fail "dump into a removed directory exited $rc: $(cat "$W/err_gone")"
[ "$(wc -l < "$W/err_gone")" = 1 ] &&
  grep -q "cannot write its dump to $W/gone (No such file or directory)" "$W/err_gone" ||
  fail "dump into a removed directory: $(cat "$W/err_gone")"
[ $(( $(date +%s) - start )) -lt 5 ] || fail "dump into a removed directory waited"
kill -0 "$q" || fail "the process died"

# A dump directory the process cannot write: read-only (a container's root often is), or not
# its own. Refused at once too, before any signal.
refused() {  # PID PATTERN
  "$LEAKTRACK" dump "$1" > /dev/null 2> "$W/err_ro"
  [ $? = 1 ] && grep -q "$2" "$W/err_ro" || fail "dump: $(cat "$W/err_ro"), want '$2'"
  kill -0 "$1" || fail "the process died"
}
if [ "$(id -u)" = 0 ] && mkdir "$W/ro" && mount -t tmpfs -o ro tmpfs "$W/ro" 2>/dev/null; then
  LD_PRELOAD=$SHIM LEAKTRACK_DIR=$W/ro "$SLEEPER" "$W/ready3" & r=$!
  PIDS+=($r)
  wait_ready "$W/ready3"
  refused "$r" "cannot write its dump to $W/ro (read-only file system); restart it with LEAKTRACK_DIR"
  kill "$r"; wait "$r" 2>/dev/null
  umount "$W/ro"
else
  echo "note: cannot mount a read-only tmpfs here, read-only directory not tested"
fi
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  # Copies nobody can reach (the build tree may be under a private home).
  chmod 755 "$W"
  mkdir -m 755 "$W/roots"
  mkdir -m 777 "$W/nobody"
  cp "$SLEEPER" "$SHIM" "$W/nobody/"
  LD_PRELOAD=$W/nobody/libleaktrack.so LEAKTRACK_DIR=$W/roots \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$W/nobody/$(basename "$SLEEPER")" \
    "$W/nobody/ready" & s=$!
  PIDS+=($s)
  wait_ready "$W/nobody/ready"
  refused "$s" "cannot write its dump to $W/roots (not writable by the process (uid 65534))"
else
  echo "note: not root, another user's directory not tested"
fi
# Without LEAKTRACK_DIR dumps go to the working directory or, when that cannot take them (a
# container's read-only root, / for an unprivileged user), to $TMPDIR; dump finds them there.
mkdir "$W/cwd" "$W/tmp"
unwritable=""  # how the working directory is made to refuse dumps
if [ "$(id -u)" != 0 ]; then
  chmod 555 "$W/cwd" && unwritable=mode
elif mount -t tmpfs -o ro tmpfs "$W/cwd" 2>/dev/null; then
  unwritable=mount
fi
if [ -n "$unwritable" ]; then
  (cd "$W/cwd" && TMPDIR=$W/tmp LD_PRELOAD=$SHIM LEAKTRACK_RATE=1 exec "$SLEEPER" "$W/ready4") \
    2> "$W/fallback.err" & f=$!
  PIDS+=($f)
  wait_ready "$W/ready4"
  kill -USR2 "$f"
  in_tmp() { ls "$W/tmp" | grep -c "^leaktrack\.$f\..*\.pb\.gz$"; }
  for _ in $(seq 100); do [ "$(in_tmp)" = 1 ] && break; sleep 0.05; done
  [ "$(in_tmp)" = 1 ] || fail "no dump in \$TMPDIR: $(ls "$W/tmp"); $(cat "$W/fallback.err")"
  # Numbered as the first: the refused attempt gave its number back.
  [ -f "$W/tmp/leaktrack.$f.0.pb.gz" ] || fail "the first dump is not numbered 0: $(ls "$W/tmp")"
  "$LEAKTRACK" dump "$f" -o fallback.pb.gz > /dev/null 2> "$W/err_fb" || fail "dump: $(cat "$W/err_fb")"
  "$LEAKTRACK" top fallback.pb.gz 2>&1 | sed -n 5p | grep -q sleeper_leak ||
    fail "dump via \$TMPDIR: $("$LEAKTRACK" top fallback.pb.gz 2>&1)"
  [ "$(in_tmp)" = 2 ] || fail "dump did not take the second dump from \$TMPDIR: $(ls "$W/tmp")"
  [ "$(grep -c "working directory cannot take dumps" "$W/fallback.err")" = 1 ] &&
    grep -q "writing them to $W/tmp (set LEAKTRACK_DIR to choose)" "$W/fallback.err" ||
    fail "the shim's line about \$TMPDIR, once: $(cat "$W/fallback.err")"
  kill -9 "$f"; wait "$f" 2>/dev/null
  [ "$unwritable" = mount ] && umount "$W/cwd"
else
  echo "note: cannot make an unwritable working directory here, \$TMPDIR fallback not tested"
fi
echo "PASS: replaced binary; removed, read-only and foreign dump directories; \$TMPDIR fallback"
