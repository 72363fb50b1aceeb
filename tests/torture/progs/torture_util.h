/* Helpers shared by the torture programs (tests/torture/progs).
 *
 * Owns: the few things every torture program needs: a check macro that fails with a one-line
 * message, an escape sink so -O0 -fno-builtin builds keep every allocation, the "is the shim
 * loaded" switch (TORTURE_SHIM=1, set by run_case.py only in the shimmed run), and a dump
 * trigger that only fires when the shim is loaded (SIGUSR2 would kill the baseline run).
 * Never: prints anything that differs between runs (pointers, pids, timings) on stdout.
 */
#ifndef LEAKTRACK_TESTS_TORTURE_PROGS_TORTURE_UTIL_H_
#define LEAKTRACK_TESTS_TORTURE_PROGS_TORTURE_UTIL_H_

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T_CHECK(cond, ...)                                              \
  do {                                                                  \
    if (!(cond)) {                                                      \
      fprintf(stderr, "CHECK failed %s:%d: %s: ", __FILE__, __LINE__,   \
              #cond);                                                   \
      fprintf(stderr, __VA_ARGS__);                                     \
      fprintf(stderr, "\n");                                            \
      exit(3);                                                          \
    }                                                                   \
  } while (0)

#define T_SKIP(...)                         \
  do {                                      \
    printf("SKIP: ");                       \
    printf(__VA_ARGS__);                    \
    printf("\n");                           \
    fflush(stdout);                         \
    exit(77);                               \
  } while (0)

/* Keeps a pointer observable so no compiler removes the allocation. */
static void* volatile t_sink;
static inline void TEscape(void* p) { t_sink = p; }

static inline int TShimLoaded(void) {
  const char* s = getenv("TORTURE_SHIM");
  return s != NULL && s[0] == '1';
}

/* Sends the dump signal when the shim is loaded and someone handles SIGUSR2 (a shim that
 * legitimately stays passive leaves SIG_DFL, which would kill the process); no-op in the
 * baseline. Cases that need a dump say so with --min-dumps, so a missing handler still fails. */
static inline void TTriggerDump(void) {
  struct sigaction old;
  if (!TShimLoaded() || sigaction(SIGUSR2, NULL, &old) != 0) return;
  if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) return;
  kill(getpid(), SIGUSR2);
}

static inline void TSleepMs(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static inline double TNowSec(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Number of files named leaktrack.<pid>.*.pb.gz in dir (for shim-only oracle checks). */
static inline int TCountDumps(const char* dir, long pid) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "leaktrack.%ld.", pid);
  DIR* d = opendir(dir);
  if (d == NULL) return -1;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    size_t len = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len > 6 &&
        strcmp(e->d_name + len - 6, ".pb.gz") == 0)
      n++;
  }
  closedir(d);
  return n;
}

/* Waits up to ms for at least want dumps of this process in dir; returns the count. */
static inline int TWaitDumps(const char* dir, int want, long ms) {
  int n = 0;
  for (long waited = 0; waited <= ms; waited += 20) {
    n = TCountDumps(dir, (long)getpid());
    if (n >= want) break;
    TSleepMs(20);
  }
  return n;
}

#endif  /* LEAKTRACK_TESTS_TORTURE_PROGS_TORTURE_UTIL_H_ */
