// malloc_stress: a single-threaded, fully deterministic malloc/free loop, for counting
// instructions per operation under callgrind (bench/callgrind.sh). Same long-tail size mix as
// malloc_bench, but one thread and no timing, so the instruction count is exactly repeatable.
//
// The loop lives in the extern "C" function StressLoop so callgrind can count only it
// (--toggle-collect=StressLoop), leaving out program start-up and the profiler's own set-up.
// It is built with -fno-builtin so the compiler cannot drop a malloc/free pair.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace {

constexpr int kSlots = 1024;

// The same size distribution as malloc_bench.cc's PickSize (mean about 1.4 KiB).
size_t PickSize(uint64_t* state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  uint32_t r32 = static_cast<uint32_t>((x * 0x2545F4914F6CDD1DULL) >> 32);
  uint32_t r = r32 % 1000, s = r32 / 1000;
  if (r < 700) return 8 + s % 57;
  if (r < 900) return 64 + s % 449;
  if (r < 980) return 512 + s % 3585;
  if (r < 999) return 4096 + s % 61441;
  return 65536 + s % 983041;
}

}  // namespace

// Runs `ops` operations: each allocates a block and either frees it at once or swaps it into a
// ring of retained blocks, freeing the one it replaces. Returns a checksum so nothing is dead.
extern "C" __attribute__((noinline)) uint64_t StressLoop(long ops) {
  static void* ring[kSlots];
  uint64_t state = 0x9E3779B97F4A7C15ULL, sum = 0;
  for (long i = 0; i < ops; ++i) {
    size_t size = PickSize(&state);
    char* p = static_cast<char*>(malloc(size));
    if (p == nullptr) abort();
    p[0] = static_cast<char>(i);
    sum += reinterpret_cast<uintptr_t>(p) & 0xff;
    if (i & 1) {
      free(p);
    } else {
      int slot = static_cast<int>((state >> 20) % kSlots);
      free(ring[slot]);
      ring[slot] = p;
    }
  }
  for (void*& p : ring) {
    free(p);
    p = nullptr;
  }
  return sum;
}

int main(int argc, char** argv) {
  long ops = 1000000;
  if (argc > 1) {
    char* end = nullptr;
    ops = strtol(argv[1], &end, 10);
    if (argc > 2 || end == argv[1] || *end != '\0' || ops <= 0) {
      fprintf(stderr, "malloc_stress: usage: malloc_stress [OPS > 0]\n");
      return 2;
    }
  }
  uint64_t sum = StressLoop(ops);
  printf("malloc_stress: ops=%ld checksum=%llu\n", ops, static_cast<unsigned long long>(sum));
  return 0;
}
