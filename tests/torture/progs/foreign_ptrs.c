/* E2: pointers the shim never saw. foreign: __libc_malloc -> free, malloc -> __libc_free,
 * __libc_memalign -> free, 10000 times each: no crash, no change. double_free: glibc aborts
 * with "free(): double free detected in tcache 2"; the shim run must abort identically. */
#define _GNU_SOURCE
#include "torture_util.h"

extern void* __libc_malloc(size_t);
extern void __libc_free(void*);
extern void* __libc_memalign(size_t, size_t);

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: foreign_ptrs foreign|double_free");
  if (strcmp(argv[1], "double_free") == 0) {
    char* p = malloc(40);
    free(p);
    fflush(stdout);
    free(p);
    printf("not reached\n");
    return 0;
  }
  for (int i = 0; i < 10000; i++) {
    free(__libc_malloc((size_t)(i % 500) + 1));
    __libc_free(malloc((size_t)(i % 500) + 1));
    free(__libc_memalign(64, (size_t)(i % 500) + 1));
  }
  TTriggerDump();
  TSleepMs(100);
  printf("30000 foreign frees survived\n");
  return 0;
}
