/* B1 dyn_tls: dlopen a DSO with 1 MiB of __thread data; 64 threads (in waves of 16) touch it,
 * so every first touch mallocs from inside __tls_get_addr, and every thread exit frees it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "torture_util.h"

static int (*touch)(int);

static void* Worker(void* arg) {
  long id = (long)arg;
  void* p = malloc(100 + (size_t)id);
  long r = touch((int)id);
  free(p);
  return (void*)r;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: dyn_tls /path/libbigtls.so");
  void* h = dlopen(argv[1], RTLD_NOW);
  T_CHECK(h != NULL, "dlopen: %s", dlerror());
  touch = (int (*)(int))dlsym(h, "TouchBigTls");
  T_CHECK(touch != NULL, "dlsym");
  long sum = 0;
  for (int wave = 0; wave < 4; wave++) {
    pthread_t t[16];
    for (long i = 0; i < 16; i++) pthread_create(&t[i], NULL, Worker, (void*)(wave * 16 + i));
    for (int i = 0; i < 16; i++) {
      void* r;
      pthread_join(t[i], &r);
      sum += (long)r;
    }
    if (wave == 1) TTriggerDump();
  }
  printf("64 threads touched 1 MiB dynamic TLS, checksum %ld\n", sum);
  printf("main touch %d\n", touch(7));
  dlclose(h);
  return 0;
}
