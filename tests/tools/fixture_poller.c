/* Target for dump_eintr_test.sh: a program that takes EINTR for an error, as many do. Its main
 * thread waits in poll() and exits 3 if poll is interrupted (SA_RESTART never restarts poll);
 * with argv[2] == "worker" a second thread waits in read() on a pipe, which SA_RESTART restarts.
 * Leaks 1 KiB from poller_leak() per poll timeout (20 ms). Writes "ready" to argv[1] once all
 * threads run. Stops after 30 s. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2];
void* volatile poller_sink;  /* volatile: the leak must not be optimised away */

static void* Worker(void* arg) {
  (void)arg;
  char c;
  ssize_t n = read(pipe_fds[0], &c, 1);
  fprintf(stderr, "worker: read returned %zd (%s)\n", n, n < 0 ? strerror(errno) : "data");
  exit(4);
}

__attribute__((noinline)) void poller_leak(void) {
  void* p = malloc(1024);
  memset(p, 2, 1024);
  poller_sink = p;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (argc > 2 && strcmp(argv[2], "worker") == 0) {
    pthread_t t;
    if (pipe(pipe_fds) != 0 || pthread_create(&t, NULL, Worker, NULL) != 0) return 2;
  }
  FILE* f = fopen(argv[1], "w");
  if (f == NULL) return 2;
  fputs("ready\n", f);
  fclose(f);
  for (int i = 0; i < 1500; ++i) {
    if (poll(NULL, 0, 20) < 0) {
      fprintf(stderr, "poll: %s\n", strerror(errno));
      return 3;
    }
    poller_leak();
  }
  return 0;
}
