#!/bin/bash
# Symbolizing a stripped program with debug info from a debuginfod server (DEBUGINFOD_URLS), as a
# production host without debug packages would: a local `debuginfod` serves the unstripped copy.
#  1. Without DEBUGINFOD_URLS: the stripped program's frames have no name, and the warning says
#     which binary, its build ID and what to do.
#  2. With it: sleeper_leak is named, from the fetched file, and no warning is left.
#  3. The binary gone from disk too: named all the same, from the build ID alone.
#  4. A server that does not answer: a warning with its error, for the stripped binary and for
#     the one gone from disk, and the run still ends.
# usage: debuginfod_test.sh LEAKTRACK SLEEPER
set -u
LEAKTRACK=$1 SLEEPER=$2
source "$(dirname "$0")/script_lib.sh"
need_shim
command -v debuginfod > /dev/null || { echo "SKIP: no debuginfod (the server) here"; exit 77; }
cd "$W"
mkdir srv
cp "$SLEEPER" srv/sleeper
cp "$SLEEPER" sleeper
strip --strip-all sleeper
id=$(readelf -n sleeper | awk '/Build ID/ {print $3}')
[ -n "$id" ] || fail "the fixture has no build ID"

"$LEAKTRACK" run --rate 4096 --dir "$W" -- "$W/sleeper" "$W/ready" & p=$!
PIDS+=($p)
wait_ready "$W/ready"
sleep 0.3
"$LEAKTRACK" dump "$p" --raw -o raw.pb.gz > /dev/null 2> err || fail "dump: $(cat err)"
kill "$p"

# 1. No server named.
env -u DEBUGINFOD_URLS "$LEAKTRACK" symbolize raw.pb.gz -o plain.pb.gz 2> err ||
  fail "symbolize: $(cat err)"
expected="^leaktrack symbolize: warning: $W/sleeper: [0-9]* of [0-9]* addresses have no name: "
grep -q "$expected.*build ID $id.*DEBUGINFOD_URLS" err || fail "warning: $(cat err)"
"$LEAKTRACK" top plain.pb.gz > top 2>&1 || fail "top: $(cat top)"
grep -q sleeper_leak top && fail "the stripped program was named without its debug info: $(cat top)"

# 2. A local server with the unstripped copy.
for _ in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  debuginfod -F "$W/srv" -p "$port" -d "$W/db.sqlite" > server.log 2>&1 & s=$!
  PIDS+=($s)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/buildid/$id/debuginfo" -o /dev/null && break 2
    kill -0 "$s" 2> /dev/null || break
    sleep 0.1
  done
  kill "$s" 2> /dev/null
done
curl -sf "http://127.0.0.1:$port/buildid/$id/debuginfo" -o /dev/null ||
  fail "the debuginfod server does not serve $id: $(tail -5 server.log)"
export DEBUGINFOD_CACHE_PATH="$W/cache"
DEBUGINFOD_URLS="http://127.0.0.1:$port" "$LEAKTRACK" symbolize raw.pb.gz -o named.pb.gz 2> err ||
  fail "symbolize: $(cat err)"
grep -q "addresses have no name" err && fail "warning left: $(cat err)"
"$LEAKTRACK" top named.pb.gz > top 2>&1 || fail "top: $(cat top)"
sed -n 5p top | grep -q " sleeper_leak$" || fail "not named from the server: $(cat top)"

# 3. The binary is gone: the build ID alone (a fresh cache, so the server is asked again).
rm sleeper
DEBUGINFOD_CACHE_PATH="$W/cache2" DEBUGINFOD_URLS="http://127.0.0.1:$port" \
  "$LEAKTRACK" top raw.pb.gz > top 2> err || fail "top: $(cat err)"
sed -n 5p top | grep -q " sleeper_leak$" || fail "not named by build ID: $(cat top err)"

# 4. Nobody listens there.
export DEBUGINFOD_URLS="http://127.0.0.1:1"
DEBUGINFOD_CACHE_PATH="$W/cache3" timeout 60 "$LEAKTRACK" symbolize raw.pb.gz -o none.pb.gz \
  2> err || fail "symbolize: $(cat err)"
gone="^leaktrack symbolize: warning: $W/sleeper: No such file"
grep -q "$gone.*(debuginfod: .* at $DEBUGINFOD_URLS)" err || fail "warning: $(cat err)"
cp "$SLEEPER" sleeper
strip --strip-all sleeper
DEBUGINFOD_CACHE_PATH="$W/cache4" timeout 60 "$LEAKTRACK" symbolize raw.pb.gz -o none.pb.gz \
  2> err || fail "symbolize: $(cat err)"
grep -q "$expected.*build ID $id (debuginfod: .* at $DEBUGINFOD_URLS)" err ||
  fail "warning: $(cat err)"
echo PASS
