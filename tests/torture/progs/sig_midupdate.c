/* D1: the dump signal arrives while a thread is in the middle of a table update, including that
 * very thread. Thread T allocates; in "stall" mode LEAKTRACK_TEST_STALL_INSERT parks T inside a
 * table insert (T does the first ~1500 sampled inserts alone, so the nth lands in T); 3 more
 * threads allocate throughout; main sends tgkill(T, SIGUSR2) 100 times and kill(pid, SIGUSR2)
 * 100 times in bursts of 10. Signals are only sent in the shim run (SIGUSR2 kills the baseline).
 * Oracle in the shim run: at least one dump appears within 2 s after the bursts. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "torture_util.h"

static atomic_int g_stop;
static atomic_long g_t_allocs;
static atomic_int g_t_tid;

static void* Target(void* arg) {
  (void)arg;
  atomic_store(&g_t_tid, (int)syscall(SYS_gettid));
  void* keep[32] = {0};
  long i = 0;
  while (!atomic_load(&g_stop)) {
    atomic_fetch_add(&g_t_allocs, 1);
    free(keep[i % 32]);
    keep[i % 32] = malloc((size_t)(i % 700) + 8);
    i++;
  }
  for (int k = 0; k < 32; k++) free(keep[k]);
  return NULL;
}

static void* Other(void* arg) {
  long id = (long)arg;
  while (!atomic_load(&g_stop)) {
    void* p = calloc(1, 24 + (size_t)id);
    void* q = realloc(p, 300);
    free(q);
  }
  return NULL;
}

int main(int argc, char** argv) {
  int stall = argc > 1 && strcmp(argv[1], "stall") == 0;
  pthread_t t, o[3];
  pthread_create(&t, NULL, Target, NULL);
  if (stall) {
    while (atomic_load(&g_t_allocs) < 1400) TSleepMs(1);
  }
  for (long i = 0; i < 3; i++) pthread_create(&o[i], NULL, Other, (void*)i);
  int sent = 0;
  for (int burst = 0; burst < 20; burst++) {
    for (int k = 0; k < 10; k++) {
      if (TShimLoaded()) {
        if (burst % 2 == 0)
          syscall(SYS_tgkill, getpid(), atomic_load(&g_t_tid), SIGUSR2);
        else
          kill(getpid(), SIGUSR2);
      }
      sent++;
    }
    TSleepMs(10);
  }
  TSleepMs(stall ? 400 : 50);
  atomic_store(&g_stop, 1);
  pthread_join(t, NULL);
  for (int i = 0; i < 3; i++) pthread_join(o[i], NULL);
  if (TShimLoaded()) {
    int n = TWaitDumps(getenv("LEAKTRACK_DIR"), 1, 2000);
    T_CHECK(n >= 1, "no dump within 2 s after the bursts");
  }
  printf("signals sent: %d\n", sent);
  return 0;
}
