/* C5: a program closes stdout for a moment and puts something back on the number while a dump
 * runs (Python's test_subprocess does this around a child), with every descriptor the dump opens
 * held 50 ms (LEAKTRACK_TEST_STALL_OWN_FD=50) so the dump is surely mid-way.
 *   round 1: close(1), open("/dev/null") must return 1 (POSIX: the lowest free number);
 *   round 2: close(1), dup2(saved, 1) restores stdout; the dump must still succeed and must not
 *            close the program's restored stdout afterwards.
 * Both dumps must be written (--min-dumps 2); the output must match the run without the shim. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>

#include "torture_util.h"

/* Like TTriggerDump, but thread-directed: kill() would pick the main thread, and the handler,
 * so the dump, runs on the thread that takes the signal. */
static void* TriggerDump(void* arg) {
  (void)arg;
  struct sigaction old;
  if (!TShimLoaded() || sigaction(SIGUSR2, NULL, &old) != 0) return NULL;
  if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) return NULL;
  pthread_kill(pthread_self(), SIGUSR2);
  return NULL;
}

/* Starts a dump on another thread and gives it time to open its first file. */
static pthread_t DumpInBackground(void) {
  pthread_t t;
  pthread_create(&t, NULL, TriggerDump, NULL);
  TSleepMs(30);
  return t;
}

static void WaitForDumps(int want) {
  if (TShimLoaded()) TWaitDumps(getenv("LEAKTRACK_DIR"), want, 10000);
}

int main(void) {
  for (int i = 0; i < 1000; i++) TEscape(malloc((size_t)(i % 64) * 100 + 1));
  fflush(stdout);
  const int saved = dup(1);
  T_CHECK(saved > 1, "dup(1)");

  close(1);
  pthread_t dumper = DumpInBackground();
  const int reopened = open("/dev/null", O_WRONLY);
  close(reopened);
  dup2(saved, 1);
  pthread_join(dumper, NULL);
  printf("round 1: open() after close(1) returned %d\n", reopened);
  fflush(stdout);

  close(1);
  dumper = DumpInBackground();
  dup2(saved, 1);
  pthread_join(dumper, NULL);
  WaitForDumps(2);
  printf("round 2: stdout open after the dump: %s\n", fcntl(1, F_GETFD) != -1 ? "yes" : "no");
  fflush(stdout);
  close(saved);
  return 0;
}
