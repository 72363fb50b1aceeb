/* A3: 8 threads allocate for a while; thread 1 loops on pthread_getattr_np (ddprof's deadlock),
 * others call localtime_r, fopen, sigprocmask between allocations, while the shim dumps on a
 * 0.1 s interval and on SIGUSR2. Run with libhostile.so before and after the shim. */
#define _GNU_SOURCE
#include <pthread.h>

#include "torture_util.h"

#define kThreads 8
static volatile int g_stop;

static void* Worker(void* arg) {
  long id = (long)arg;
  long iters = 0;
  while (!g_stop) {
    void* p[16];
    for (int i = 0; i < 16; i++) p[i] = malloc(16 + (size_t)(i * 37 + id) % 2000);
    if (id == 1) {
      pthread_attr_t attr;
      T_CHECK(pthread_getattr_np(pthread_self(), &attr) == 0, "getattr");
      size_t sz;
      pthread_attr_getstacksize(&attr, &sz);
      pthread_attr_destroy(&attr);
    } else if (id == 2) {
      time_t now = time(NULL);
      struct tm tm;
      T_CHECK(localtime_r(&now, &tm) != NULL, "localtime_r");
    } else if (id == 3) {
      FILE* f = fopen("/proc/self/statm", "r");
      T_CHECK(f != NULL, "fopen");
      fclose(f);
    } else if (id == 4) {
      sigset_t s, old;
      sigemptyset(&s);
      sigaddset(&s, SIGUSR1);
      pthread_sigmask(SIG_BLOCK, &s, &old);
      pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    for (int i = 0; i < 16; i++) free(p[i]);
    iters++;
  }
  return (void*)iters;
}

int main(int argc, char** argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 2.0;
  pthread_t t[kThreads];
  for (long i = 0; i < kThreads; i++) pthread_create(&t[i], NULL, Worker, (void*)i);
  double end = TNowSec() + seconds;
  while (TNowSec() < end) {
    TSleepMs(200);
    TTriggerDump();
  }
  g_stop = 1;
  int all = 1;
  for (int i = 0; i < kThreads; i++) {
    void* r;
    pthread_join(t[i], &r);
    all &= (long)r > 0;
  }
  printf("all %d threads made progress: %d\n", kThreads, all);
  return 0;
}
