/* A2: allocations before the shim's constructor: the executable's .preinit_array and a
 * constructor(101), plus a second preload (libearly.so, see early_lib.c) whose constructor
 * allocates with every API and creates a thread. Run with libearly before and after the shim.
 * The blocks made early are freed from main, i.e. after the shim is fully initialised. */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>

#include "torture_util.h"

static void* g_pre[4];
static void* g_ctor[4];

static void Preinit(int argc, char** argv, char** envp) {
  (void)argc; (void)argv; (void)envp;
  g_pre[0] = malloc(24);
  g_pre[1] = calloc(8, 8);
  T_CHECK(posix_memalign(&g_pre[2], 64, 200) == 0, "posix_memalign in preinit");
  g_pre[3] = realloc(malloc(10), 300);
}
__attribute__((section(".preinit_array"), used)) static void (*preinit_fn)(int, char**,
                                                                             char**) = Preinit;

__attribute__((constructor(101))) static void Ctor101(void) {
  g_ctor[0] = malloc(33);
  g_ctor[1] = aligned_alloc(128, 256);
  g_ctor[2] = strdup("constructor(101)");
  g_ctor[3] = memalign(32, 64);
}

static void* Worker(void* arg) {
  void* p = malloc(1000);
  free(arg);
  return p;
}

int main(void) {
  for (int i = 0; i < 4; i++) {
    T_CHECK(g_pre[i] != NULL && g_ctor[i] != NULL, "early block %d", i);
  }
  printf("aligned: pre=%d ctor=%d/%d\n", (int)((uintptr_t)g_pre[2] % 64),
         (int)((uintptr_t)g_ctor[1] % 128), (int)((uintptr_t)g_ctor[3] % 32));
  printf("ctor string: %s\n", (char*)g_ctor[2]);
  for (int i = 0; i < 4; i++) {
    g_pre[i] = realloc(g_pre[i], 5000);
    free(g_pre[i]);
    free(g_ctor[i]);
  }
  pthread_t t;
  pthread_create(&t, NULL, Worker, malloc(10));
  void* r;
  pthread_join(t, &r);
  free(r);
  TTriggerDump();
  printf("done\n");
  return 0;
}
