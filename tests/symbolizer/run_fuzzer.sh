#!/bin/bash
# Builds the profile-reader fuzzer with clang++ directly (independent of the project's compiler)
# and runs it for SECONDS. Exits 77 (ctest skip) when clang++ cannot build -fsanitize=fuzzer.
# usage: run_fuzzer.sh SOURCE_ROOT WORK_DIR SECONDS
set -euo pipefail
ROOT=$1 WORK=$2 SECS=$3
command -v clang++ >/dev/null || { echo "SKIP: no clang++"; exit 77; }
mkdir -p "$WORK/corpus"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' > "$WORK/probe.cc"
if ! clang++ -fsanitize=fuzzer "$WORK/probe.cc" -o "$WORK/probe" 2>/dev/null; then
  echo "SKIP: clang++ lacks -fsanitize=fuzzer"; exit 77
fi
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$ROOT" "$ROOT/tests/symbolizer/profile_fuzzer.cc" "$ROOT/symbolizer/profile.cc" \
  "$ROOT/symbolizer/gzip_io.cc" -lz -o "$WORK/profile_fuzzer"
# Seeds: a tiny valid profile (hand-encoded) and its gzip form.
printf '\x0a\x04\x08\x01\x10\x01\x12\x04\x0a\x01\x01\x12\x01\x05\x22\x04\x08\x01\x18\x10\x32\x00\x32\x01t' > "$WORK/corpus/seed_plain"
gzip -c "$WORK/corpus/seed_plain" > "$WORK/corpus/seed_gz"
"$WORK/profile_fuzzer" -max_total_time="$SECS" -rss_limit_mb=1024 -max_len=65536 \
  "$WORK/corpus" 2>&1 | tail -5
