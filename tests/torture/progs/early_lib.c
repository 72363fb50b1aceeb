/* A2 helper preload (libearly.so): its constructor allocates with every API and creates and
 * joins a thread; depending on LD_PRELOAD order it runs before or after the shim's constructor.
 * Blocks are kept and freed in its destructor (after main). */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void* g_keep[6];

static void* EarlyThread(void* arg) {
  void* p = malloc(64);
  memset(p, 1, 64);
  free(arg);
  return p;
}

__attribute__((constructor)) static void EarlyInit(void) {
  g_keep[0] = malloc(48);
  g_keep[1] = calloc(10, 10);
  if (posix_memalign(&g_keep[2], 256, 512) != 0) _exit(41);
  g_keep[3] = realloc(malloc(5), 700);
  g_keep[4] = aligned_alloc(64, 128);
  free(malloc(99));
  pthread_t t;
  if (pthread_create(&t, NULL, EarlyThread, malloc(20)) != 0) _exit(42);
  if (pthread_join(t, &g_keep[5]) != 0) _exit(43);
  for (int i = 0; i < 6; i++)
    if (g_keep[i] == NULL) _exit(44);
}

__attribute__((destructor)) static void EarlyFini(void) {
  for (int i = 0; i < 6; i++) free(g_keep[i]);
}
