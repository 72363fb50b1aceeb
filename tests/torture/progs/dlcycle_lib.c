/* G3/G4 helper, built twice (libdla.so with VARIANT=1, libdlb.so with VARIANT=2): different
 * code of the same size, so a dlopen after a dlclose usually lands at the same address. The
 * constructor and destructor allocate (they run under the loader lock); Leak() leaks through a
 * 3-deep call chain. */
#include <stdlib.h>
#include <string.h>

#ifndef VARIANT
#define VARIANT 1
#endif

static void* g_ctor_block;

__attribute__((constructor)) static void LibInit(void) { g_ctor_block = malloc(300 + VARIANT); }
__attribute__((destructor)) static void LibFini(void) {
  void* p = malloc(64);
  free(p);
  free(g_ctor_block);
}

__attribute__((noinline)) static void* Leaf(size_t n) {
  char* p = malloc(n);
  if (p) memset(p, VARIANT, n < 8 ? n : 8);
  return p;
}
__attribute__((noinline)) static void* Mid(size_t n) { return Leaf(n * VARIANT); }
__attribute__((noinline)) void* Leak(size_t n) { return Mid(n); }
