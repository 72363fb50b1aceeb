/* Long-running target for the run/dump tests: leaks 1 KiB every 10 ms from sleeper_leak() for
 * at most 30 s. Writes "ready" to the file named by argv[1] once running. With argv[2] ==
 * "own-handler" it installs its own SIGUSR2 handler first, as some services do; with
 * "block-all" it blocks every signal, as a program that takes them with sigwait or signalfd;
 * with "main-exits" the leaking runs on a second thread and main() ends with pthread_exit, as a
 * server that starts its workers and leaves. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile void* sink;

static void OwnHandler(int sig) { (void)sig; }

__attribute__((noinline)) void sleeper_leak(void) {
  void* p = malloc(1024);
  memset(p, 1, 1024);
  sink = p;
  __asm__ volatile("" ::: "memory");
}

static void* LeakLoop(void* arg) {
  (void)arg;
  struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 3000; ++i) {
    sleeper_leak();
    nanosleep(&tick, NULL);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const int main_exits = argc > 2 && strcmp(argv[2], "main-exits") == 0;
  if (argc > 2 && strcmp(argv[2], "own-handler") == 0) signal(SIGUSR2, OwnHandler);
  if (argc > 2 && strcmp(argv[2], "block-all") == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
  }
  if (argc > 1) {
    FILE* f = fopen(argv[1], "w");
    if (f) {
      fputs("ready\n", f);
      fclose(f);
    }
  }
  if (main_exits) {
    pthread_t worker;
    pthread_create(&worker, NULL, LeakLoop, NULL);
    pthread_exit(NULL);
  }
  LeakLoop(NULL);
  return 0;
}
