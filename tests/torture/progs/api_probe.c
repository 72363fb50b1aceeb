/* E1: edge semantics of the malloc family. About 40 calls, each printing NULL-or-not, errno,
 * pointer modulo the requested alignment, malloc_usable_size and whether *memptr was left
 * untouched; output with the shim must be byte-identical to the baseline (glibc 2.36).
 * Accounting part (sizes chosen to be unique in the process):
 *   100000 x realloc(malloc(10007), 0)     -> 0 live objects of 10007 bytes
 *   in-place realloc chain of one block    -> 1 live object of 20011 bytes
 *   aligned sweep (sizes 777), all freed   -> 0 live objects of 777 bytes
 *   3 deliberate leaks of 5555 bytes        -> 3 live objects (positive control)
 *   malloc(SIZE_MAX) attempts in between must not disturb the counters. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>

#include "torture_util.h"

static void Show(const char* what, void* p, size_t align) {
  int e = errno;
  printf("%-34s %s errno=%-6s", what, p ? "ptr " : "NULL",
         e == 0 ? "0" : e == ENOMEM ? "ENOMEM" : e == EINVAL ? "EINVAL" : "other");
  if (p && align) printf(" mod%zu=%zu", align, (size_t)((uintptr_t)p % align));
  if (p) printf(" usable>=req");
  printf("\n");
}

#define PROBE(expr, align, req)                                          \
  do {                                                                   \
    errno = 0;                                                           \
    void* p_ = (expr);                                                   \
    Show(#expr, p_, align);                                              \
    if (p_) T_CHECK(malloc_usable_size(p_) >= (req), "usable %s", #expr); \
    free(p_);                                                            \
  } while (0)

int main(void) {
  PROBE(malloc(0), 16, 0);
  PROBE(malloc(1), 16, 1);
  PROBE(malloc(SIZE_MAX), 0, 0);
  PROBE(malloc(PTRDIFF_MAX), 0, 0);
  PROBE(malloc(SIZE_MAX - 4096), 0, 0);
  PROBE(calloc(SIZE_MAX / 2 + 2, 2), 0, 0);
  PROBE(calloc(0, 0), 16, 0);
  PROBE(calloc(1, 0), 16, 0);
  PROBE(calloc(SIZE_MAX, SIZE_MAX), 0, 0);
  PROBE(aligned_alloc(3, 10), 0, 10);
  PROBE(aligned_alloc(0, 10), 0, 10);
  PROBE(aligned_alloc(64, 10), 64, 10);
  PROBE(aligned_alloc(4096, 100), 4096, 100);
  PROBE(aligned_alloc(64, SIZE_MAX), 0, 0);
  PROBE(memalign(24, 10), 0, 10);
  PROBE(memalign(0, 10), 0, 10);
  PROBE(memalign(1 << 20, 10), 1 << 20, 10);
  PROBE(valloc(0), 4096, 0);
  PROBE(valloc(10), 4096, 10);
  PROBE(pvalloc(SIZE_MAX), 0, 0);
  PROBE(pvalloc(1), 4096, 4096);
  PROBE(reallocarray(NULL, SIZE_MAX / 2 + 2, 2), 0, 0);
  PROBE(reallocarray(NULL, 10, 10), 16, 100);
  PROBE(realloc(NULL, 50), 16, 50);
  PROBE(realloc(NULL, SIZE_MAX), 0, 0);
  {
    void* p = malloc(100);
    errno = 12345;
    void* r = realloc(p, 0);
    printf("realloc(p, 0): %s errno unchanged=%d\n", r ? "ptr" : "NULL", errno == 12345);
    free(r);
  }
  {
    char* p = malloc(100);
    strcpy(p, "still valid");
    errno = 0;
    void* r = realloc(p, SIZE_MAX);
    printf("realloc(p, SIZE_MAX): %s enomem=%d old intact=%d\n", r ? "ptr" : "NULL",
           errno == ENOMEM, strcmp(p, "still valid") == 0);
    free(p);
  }
  {
    void* m = (void*)0x1234;
    int rc = posix_memalign(&m, 3, 10);
    printf("posix_memalign(3): rc=%s untouched=%d\n", rc == EINVAL ? "EINVAL" : "other",
           m == (void*)0x1234);
    rc = posix_memalign(&m, 64, SIZE_MAX);
    printf("posix_memalign(64, SIZE_MAX): rc=%s untouched=%d\n",
           rc == ENOMEM ? "ENOMEM" : "other", m == (void*)0x1234);
    rc = posix_memalign(&m, 0, 10);
    printf("posix_memalign(0): rc=%s\n", rc == EINVAL ? "EINVAL" : rc == 0 ? "0" : "other");
    if (rc == 0) free(m);
    rc = posix_memalign(&m, 65536, 10);
    printf("posix_memalign(65536): rc=%d mod=%zu\n", rc, (size_t)((uintptr_t)m % 65536));
    free(m);
  }
  errno = 777;
  free(NULL);
  printf("free(NULL) errno preserved=%d\n", errno == 777);
  void* q = malloc(10);
  errno = 778;
  free(q);
  printf("free(p) errno preserved=%d\n", errno == 778);
  printf("malloc_usable_size(NULL)=%zu\n", malloc_usable_size(NULL));
  /* accounting */
  for (int i = 0; i < 100000; i++) {
    void* p = malloc(10007);
    TEscape(p);
    TEscape(realloc(p, 0));
    if (i % 10000 == 0) TEscape(malloc(SIZE_MAX));
  }
  void* grow = malloc(20011);
  for (int i = 0; i < 100; i++) {
    void* g = realloc(grow, 20011);  /* same size: glibc returns the same block */
    T_CHECK(g != NULL, "in-place realloc");
    grow = g;
  }
  TEscape(grow);
  void* sweep[64];
  int n = 0;
  for (size_t a = 8; a <= (1u << 20) && n < 64; a <<= 1) {
    sweep[n++] = aligned_alloc(a, 777);
    sweep[n++] = memalign(a, 777);
    T_CHECK(posix_memalign(&sweep[n++], a, 777) == 0, "posix_memalign sweep");
  }
  for (int i = 0; i < n; i++) free(sweep[i]);
  for (int i = 0; i < 3; i++) TEscape(malloc(5555));
  printf("accounting done\n");
  return 0;
}
