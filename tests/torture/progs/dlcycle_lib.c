/* G3/G4 helper, built twice (libdla.so with VARIANT=1, libdlb.so with VARIANT=2): the same
 * code layout with different data and different stack frames, so a dlopen after a dlclose
 * usually lands at the same address, every call site sits at the same offset in both, and
 * unwinding one with the other's rules goes wrong (libunwind's frame cache is keyed by address:
 * TORTURE.md G4). The constructor and destructor allocate (they run under the loader lock);
 * Leak() leaks 11 * VARIANT bytes through a 3-deep call chain. Built with -O2
 * -fomit-frame-pointer -fno-optimize-sibling-calls (cases.cmake): rsp-based frames whose sizes
 * differ per variant, and no tail call that would hide a frame. */
#include <stdlib.h>
#include <string.h>

#ifndef VARIANT
#define VARIANT 1
#endif

/* Data, not code: the multiplier must not change the instructions (or their addresses). */
static volatile size_t g_multiplier = VARIANT;
static void* g_ctor_block;

__attribute__((constructor)) static void LibInit(void) { g_ctor_block = malloc(300 + VARIANT); }
__attribute__((destructor)) static void LibFini(void) {
  void* p = malloc(64);
  free(p);
  free(g_ctor_block);
}

__attribute__((noinline)) static void* Leaf(size_t n) {
  char* p = malloc(n);
  if (p) memset(p, (int)g_multiplier, n < 8 ? n : 8);
  return p;
}

/* Frames of 32 + 8 and 64 + 8 bytes of locals (one imm8 `sub` either way): the CFA at the same
 * return address is rsp+48 in liba and rsp+80 in libb. */
__attribute__((noinline)) static void* Mid(size_t n) {
  volatile char pad[32 * VARIANT];
  pad[0] = 1;
  void* p = Leaf(n * g_multiplier);
  pad[1] = pad[0];  /* keeps the frame live across the call */
  return p;
}

__attribute__((noinline)) void* Leak(size_t n) {
  volatile char pad[48 * VARIANT];
  pad[0] = 1;
  void* p = Mid(n);
  pad[1] = pad[0];
  return p;
}
