/* G4: dlopen/dlclose cycles with code address reuse: 200 iterations of dlopen liba -> leak
 * through a 3-deep chain -> dlclose -> dlopen libb (same code layout, other frame sizes, usually
 * the same address) -> leak -> dlclose, then a dump. liba leaks 11 * 1 = 11-byte blocks, libb
 * 11 * 2 = 22-byte blocks: at rate 1 the at-exit dump has exactly 200 live objects of each size.
 * Through the same chain each library also allocates and frees 64 KiB * VARIANT (64 KiB from
 * liba, 128 KiB from libb), which the default rate samples too (~60 samples): the attribution of
 * every sample to its library and callers is checked at both rates (run_case.py
 * --expect-stack). */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "torture_util.h"

static void LeakFrom(const char* lib) {
  void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  T_CHECK(h != NULL, "dlopen %s: %s", lib, dlerror());
  void* (*leak)(size_t) = (void* (*)(size_t))dlsym(h, "Leak");
  TEscape(leak(11));
  free(leak(64 << 10));
  dlclose(h);
}

int main(int argc, char** argv) {
  T_CHECK(argc > 2, "usage: dl_cycle liba.so libb.so");
  for (int i = 0; i < 200; i++) {
    LeakFrom(argv[1]);
    LeakFrom(argv[2]);
  }
  TTriggerDump();
  TSleepMs(200);
  printf("200 dlopen/dlclose cycles of two libraries\n");
  return 0;
}
