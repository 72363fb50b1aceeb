/* G5: deep recursion and tight stacks. deep: recursion to 20000 levels (TORTURE: 100000) with a
 * malloc every 1000 levels, sampled stacks are cut at LEAKTRACK_DEPTH. tight: a thread with a
 * 64 KiB stack allocating at ~60 KiB used, and a SIGALRM handler on a MINSIGSTKSZ + 2 KiB
 * alternate stack that allocates: if the baseline survives, the shim run must too. */
#define _GNU_SOURCE
#include <pthread.h>

#include "torture_util.h"

static long Recurse(int depth, int max) {
  char pad[64];
  pad[0] = (char)depth;
  TEscape(pad);
  if (depth % 1000 == 0) free(malloc((size_t)depth + 1));
  if (depth == max) return 1;
  return Recurse(depth + 1, max) + pad[0] * 0;
}

static volatile sig_atomic_t g_alarm;

static void OnAlarm(int sig) {
  (void)sig;
  free(malloc(50));
  g_alarm++;
}

static long Burn(int kib) {
  char pad[1024];
  pad[0] = 1;
  TEscape(pad);
  if (kib <= 0) {
    free(malloc(100));
    return 1;
  }
  return Burn(kib - 1) + pad[0] - 1;
}

static void* TightThread(void* arg) {
  return (void*)Burn((int)(long)arg);  /* ~arg KiB of frames on a small stack */
}

static void SmallStackThread(size_t kib, int burn_kib) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kib * 1024);
  pthread_t t;
  int rc = pthread_create(&t, &attr, TightThread, (void*)(long)burn_kib);
  void* r = NULL;
  if (rc == 0) pthread_join(t, &r);
  printf("%zu KiB stack thread: create rc=%d result=%ld\n", kib, rc, (long)r);
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: deep_stacks deep|tight");
  if (strcmp(argv[1], "deep") == 0) {
    long r = 0;
    for (int i = 0; i < 5; i++) r += Recurse(0, 20000);
    printf("deep recursion returned %ld\n", r);
    return 0;
  }
  SmallStackThread(16, 6);  /* B2: 16 KiB stack (less static TLS): ~6 KiB deep, then malloc */
  SmallStackThread(64, 44);  /* B2/G5: ~70% of a 64 KiB stack */
  stack_t ss = {.ss_sp = malloc(MINSIGSTKSZ + 2048), .ss_size = MINSIGSTKSZ + 2048};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnAlarm;
  sa.sa_flags = SA_ONSTACK;
  sigaction(SIGALRM, &sa, NULL);
  for (int i = 0; i < 200; i++) raise(SIGALRM);
  printf("alternate-stack handler ran %d times\n", (int)g_alarm);
  return 0;
}
