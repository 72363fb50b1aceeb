// F1: every malloc-family function plus new/delete, under another allocator (jemalloc,
// tcmalloc_minimal, mimalloc) that is linked in or preloaded before/after the shim. Prints only
// results that must not depend on the shim. When jemalloc serves the program, mallctl
// "thread.allocated" must grow (proof that jemalloc, not glibc, is serving the calls).
// Argument "--no-pvalloc" skips pvalloc for allocators that lack it (glibc's pvalloc block
// would reach the other allocator's free: the baseline itself crashes).
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "torture_util.h"

namespace {

using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);

uint64_t JemallocAllocated(MallctlFn mallctl) {
  uint64_t v = 0;
  size_t len = sizeof v;
  if (mallctl("thread.allocated", &v, &len, nullptr, 0) != 0) return 0;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  bool pv = !(argc > 1 && strcmp(argv[1], "--no-pvalloc") == 0);
  auto mallctl = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
  uint64_t before = mallctl ? JemallocAllocated(mallctl) : 0;
  for (int round = 0; round < 2000; round++) {
    void* p[12] = {};
    p[0] = malloc(100);
    p[1] = calloc(10, 10);
    p[2] = realloc(nullptr, 50);
    p[2] = realloc(p[2], 5000);
    T_CHECK(posix_memalign(&p[3], 64, 100) == 0, "posix_memalign");
    p[4] = aligned_alloc(128, 256);
    p[5] = memalign(32, 100);
    p[6] = valloc(100);
    p[7] = pv ? pvalloc(100) : malloc(1);
    p[8] = reallocarray(nullptr, 10, 20);
    p[9] = strdup("api_sweep");
    for (int i = 0; i < 10; i++) T_CHECK(p[i] != nullptr, "call %d returned NULL", i);
    T_CHECK(reinterpret_cast<uintptr_t>(p[3]) % 64 == 0 &&
                reinterpret_cast<uintptr_t>(p[4]) % 128 == 0 &&
                reinterpret_cast<uintptr_t>(p[5]) % 32 == 0 &&
                reinterpret_cast<uintptr_t>(p[6]) % 4096 == 0,
            "alignment");
    T_CHECK(malloc_usable_size(p[0]) >= 100, "usable");
    for (int i = 0; i < 10; i++) free(p[i]);
    int* one = new int(round);
    int* arr = new int[100];
    auto* nt = new (std::nothrow) char[300];
    delete one;
    delete[] arr;
    delete[] nt;
  }
  printf("2000 rounds of the malloc family and new/delete done\n");
  if (mallctl) {
    uint64_t after = JemallocAllocated(mallctl);
    printf("jemalloc serves the program: %d\n", after > before + 2000 * 100);
  }
  TTriggerDump();
  TSleepMs(100);
  return 0;
}
