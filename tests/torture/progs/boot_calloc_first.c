/* A1: the process's very first allocation is a calloc from .preinit_array, before any
 * constructor (the shim's included) has run; then dlsym/dlerror (whose buffers may come from a
 * bootstrap pool and later reach free/realloc), then strdup/realloc/free. An overflowing calloc
 * issued from preinit must fail with ENOMEM. Run with MALLOC_CHECK_=3 so a pool pointer reaching
 * glibc's free aborts. Everything printed must equal the baseline. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>

#include "torture_util.h"

static void* g_first;
static int g_overflow_null, g_overflow_errno;

static void Preinit(int argc, char** argv, char** envp) {
  (void)argc; (void)argv; (void)envp;
  g_first = calloc(3, 40);
  errno = 0;
  void* p = calloc(SIZE_MAX / 2 + 2, 2);
  g_overflow_null = (p == NULL);
  g_overflow_errno = errno;
}
__attribute__((section(".preinit_array"), used)) static void (*preinit_fn)(int, char**,
                                                                             char**) = Preinit;

int main(void) {
  printf("first calloc non-null=%d zeroed=%d\n", g_first != NULL,
         g_first && ((char*)g_first)[0] == 0 && ((char*)g_first)[119] == 0);
  printf("overflow calloc null=%d enomem=%d\n", g_overflow_null, g_overflow_errno == ENOMEM);
  for (int i = 0; i < 3; i++) {
    void* sym = dlsym(RTLD_DEFAULT, "leaktrack_torture_nope");
    const char* err = dlerror();
    printf("dlsym nope -> %s, dlerror set=%d\n", sym ? "found" : "null", err != NULL);
    printf("dlerror again null=%d\n", dlerror() == NULL);
  }
  void* h = dlopen("libleaktrack_no_such_library.so", RTLD_NOW);
  printf("dlopen missing -> %s, dlerror set=%d\n", h ? "handle" : "null", dlerror() != NULL);
  char* s = strdup("leaktrack bootstrap");
  s = realloc(s, 4096);
  strcat(s, " grown");
  printf("%s usable>=4096=%d\n", s, malloc_usable_size(s) >= 4096);
  free(s);
  g_first = realloc(g_first, 1000);
  printf("realloc of the preinit block non-null=%d\n", g_first != NULL);
  free(g_first);
  return 0;
}
