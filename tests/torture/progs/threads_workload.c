/* B1 runtime test 1 workload: plain threaded allocation churn plus a dump; the executable only
 * uses local-exec TLS, so under libno_tls.so any __tls_get_addr call comes from a preload. */
#define _GNU_SOURCE
#include <pthread.h>

#include "torture_util.h"

static __thread long t_count;

static void* Worker(void* arg) {
  long id = (long)arg;
  for (int i = 0; i < 20000; i++) {
    void* p = malloc((size_t)(i % 512) + 1 + (size_t)id);
    t_count++;
    free(p);
  }
  return (void*)t_count;
}

int main(void) {
  long total = 0;
  for (int round = 0; round < 4; round++) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, Worker, (void*)i);
    for (int i = 0; i < 4; i++) {
      void* r;
      pthread_join(t[i], &r);
      total += (long)r;
    }
    TTriggerDump();
  }
  TSleepMs(100);
  printf("allocations %ld\n", total);
  return 0;
}
