/* B4: shim-owned threads must not be visible. userns: unshare(CLONE_NEWUSER) as the first call
 * in main needs a single-threaded process. sigwait: main blocks all signals, one thread
 * sigwaits SIGTERM; after a dump (which may start a helper thread), kill -TERM must reach the
 * sigwait thread: clean exit 0, not death by SIGTERM (143). threads: /proc/self/task count
 * before any dump request equals the baseline's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>

#include "torture_util.h"

static int Tasks(void) {
  DIR* d = opendir("/proc/self/task");
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void* Waiter(void* arg) {
  sigset_t* set = arg;
  int sig = 0;
  sigwait(set, &sig);
  printf("sigwait got %s\n", sig == SIGTERM ? "SIGTERM" : "other");
  fflush(stdout);
  exit(0);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "userns") == 0) {
    int rc = unshare(CLONE_NEWUSER);
    int e = errno;
    if (rc != 0 && e != EINVAL) T_SKIP("unshare(CLONE_NEWUSER) not permitted here (%s)", strerror(e));
    printf("unshare(CLONE_NEWUSER) as first call: %s; threads at start: %d\n",
           rc == 0 ? "ok" : strerror(e), Tasks());
    return 0;
  }
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_t t;
  pthread_create(&t, NULL, Waiter, &term);
  for (int i = 0; i < 1000; i++) TEscape(malloc((size_t)i + 1));
  if (TShimLoaded()) {
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);  /* let the dump trigger in, in main only */
    TTriggerDump();
    TSleepMs(300);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
  }
  kill(getpid(), SIGTERM);
  TSleepMs(5000);
  printf("SIGTERM was lost\n");
  return 1;
}
