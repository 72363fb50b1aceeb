#!/bin/bash
# Builds the preload-parsers fuzzer with clang++ directly and runs it for SECONDS.
# Exits 77 (ctest skip) when clang++ cannot build -fsanitize=fuzzer.
# usage: run_preload_fuzzer.sh SOURCE_ROOT WORK_DIR SECONDS
set -euo pipefail
ROOT=$1 WORK=$2 SECS=$3
command -v clang++ >/dev/null || { echo "SKIP: no clang++"; exit 77; }
mkdir -p "$WORK/corpus"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$WORK/probe.cc"
if ! clang++ -fsanitize=fuzzer "$WORK/probe.cc" -o "$WORK/probe" 2>/dev/null; then
  echo "SKIP: clang++ lacks -fsanitize=fuzzer"; exit 77
fi
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$ROOT/preload" "$ROOT/tests/fuzz/preload_parsers_fuzzer.cc" "$ROOT/preload/config.cc" \
  "$ROOT/preload/proc_maps.cc" "$ROOT/preload/proc_self.cc" "$ROOT/preload/own_fd.cc" \
  "$ROOT/preload/raw_log.cc" "$ROOT/preload/internal_alloc.cc" \
  -o "$WORK/preload_parsers_fuzzer"
# Seeds, one per parser (first byte selects it).
printf '\x00512K' > "$WORK/corpus/size"
printf '\x01RTMIN+3' > "$WORK/corpus/signal"
printf '\x020.25' > "$WORK/corpus/seconds"
printf '\x03yes' > "$WORK/corpus/bool"
printf '\x047f00-7f10 r-xp 00001000 08:01 12 /usr/lib/libc.so.6 (deleted)' > "$WORK/corpus/maps"
printf '\x05\x04\x00\x00\x00\x04\x00\x00\x00\x03\x00\x00\x00GNU\x00\xde\xad\xbe\xef' > "$WORK/corpus/note"
"$WORK/preload_parsers_fuzzer" -max_total_time="$SECS" -rss_limit_mb=1024 -max_len=4096 \
  "$WORK/corpus" 2>&1 | tail -5
