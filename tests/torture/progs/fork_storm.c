/* C1: fork while other threads are inside the shim. 4 threads loop on malloc/realloc/free;
 * main forks N times; each child does 1000 malloc/free, creates and joins a thread, asks for a
 * dump (shim run only) and _exits 0. Every child must exit 0 within 5 s.
 * Mode "stall" (with LEAKTRACK_TEST_STALL_INSERT, rate 1): one thread is parked inside a table
 * insert while main forks children every 10 ms, so children inherit a mid-insert table. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "torture_util.h"

static atomic_int g_stop;
static atomic_long g_allocs;

static void* Churn(void* arg) {
  long id = (long)arg;
  void* p = NULL;
  while (!atomic_load(&g_stop)) {
    void* q = malloc(32 + (size_t)(id * 7));
    p = realloc(p, (size_t)(atomic_fetch_add(&g_allocs, 1) % 4000) + 1);
    free(q);
  }
  free(p);
  return NULL;
}

static void* ChildThread(void* arg) {
  free(arg);
  return malloc(10);
}

static void Child(void) {
  for (int i = 0; i < 1000; i++) free(malloc((size_t)(i % 300) + 1));
  pthread_t t;
  if (pthread_create(&t, NULL, ChildThread, malloc(5)) != 0) _exit(10);
  void* r;
  pthread_join(t, &r);
  free(r);
  TTriggerDump();
  _exit(0);
}

/* Returns 1 if pid exited 0 within 5 s; kills it otherwise. */
static int Reap(pid_t pid) {
  int status;
  for (int waited = 0; waited < 5000; waited += 2) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    TSleepMs(2);
  }
  fprintf(stderr, "child %d did not exit within 5 s\n", (int)pid);
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return 0;
}

int main(int argc, char** argv) {
  int stall = argc > 1 && strcmp(argv[1], "stall") == 0;
  int forks = argc > 2 ? atoi(argv[2]) : 300;
  int nthreads = stall ? 1 : 4;
  pthread_t t[4];
  for (long i = 0; i < nthreads; i++) pthread_create(&t[i], NULL, Churn, (void*)i);
  if (stall) {
    while (atomic_load(&g_allocs) < 1000) TSleepMs(1);
  }
  int ok = 0;
  for (int i = 0; i < forks; i++) {
    pid_t pid = fork();
    T_CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) Child();
    ok += Reap(pid);
    if (stall) TSleepMs(10);
  }
  atomic_store(&g_stop, 1);
  for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
  TTriggerDump();
  TSleepMs(200);
  printf("%d of %d children exited 0 in time\n", ok, forks);
  return 0;
}
