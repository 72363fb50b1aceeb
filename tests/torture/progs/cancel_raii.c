/* G1: C main dlopens a C++ library (libraii.so). cancel: a thread blocked in read() holding a
 * RAII guard is cancelled, the destructor must run. storm: 8 threads x 1000 throw/catch.
 * The run with the shim must print the same lines and status as the baseline. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "torture_util.h"

static int (*throw_catch)(int);

static void* Storm(void* arg) {
  (void)arg;
  return (void*)(long)throw_catch(1000);
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: cancel_raii /path/libraii.so");
  void* h = dlopen(argv[1], RTLD_NOW);
  T_CHECK(h != NULL, "dlopen: %s", dlerror());
  int (*cancel)(void) = (int (*)(void))dlsym(h, "RunCancelRaii");
  throw_catch = (int (*)(int))dlsym(h, "RunThrowCatch");
  T_CHECK(cancel && throw_catch, "dlsym");
  for (int i = 0; i < 3; i++) printf("cancel round %d rc=%d\n", i, cancel());
  pthread_t t[8];
  for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, Storm, NULL);
  long caught = 0;
  for (int i = 0; i < 8; i++) {
    void* r;
    pthread_join(t[i], &r);
    caught += (long)r;
  }
  printf("exceptions caught: %ld of 8000\n", caught);
  TTriggerDump();
  TSleepMs(100);
  return 0;
}
