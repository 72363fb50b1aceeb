/* D3: the program consumes SIGUSR2 itself. signalfd: SIGUSR2 blocked in all threads and read
 * through a signalfd: the program receives exactly its 5 signals (as in baseline), the shim
 * does not fire. eintr: one thread blocked in read() on a pipe, one in accept(); the dump
 * signal is sent 100 times (shim run only): neither call may return EINTR. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "torture_util.h"

static int g_pipe[2], g_listen;

static void* Reader(void* arg) {
  (void)arg;
  char c;
  ssize_t r = read(g_pipe[0], &c, 1);
  return (void*)(long)(r == 1 ? 0 : errno);
}

static void* Acceptor(void* arg) {
  (void)arg;
  int c = accept(g_listen, NULL, NULL);
  if (c >= 0) close(c);
  return (void*)(long)(c >= 0 ? 0 : errno);
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: signalfd_owner signalfd|eintr");
  if (strcmp(argv[1], "signalfd") == 0) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    int fd = signalfd(-1, &s, 0);
    for (int i = 0; i < 5; i++) {
      kill(getpid(), SIGUSR2);
      struct signalfd_siginfo si;
      T_CHECK(read(fd, &si, sizeof si) == sizeof si, "signalfd read");
      printf("signalfd read signal %u\n", si.ssi_signo);
    }
    return 0;
  }
  T_CHECK(pipe(g_pipe) == 0, "pipe");
  g_listen = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  T_CHECK(bind(g_listen, (struct sockaddr*)&addr, sizeof addr) == 0, "bind");
  listen(g_listen, 1);
  getsockname(g_listen, (struct sockaddr*)&addr, &len);
  pthread_t r, a;
  pthread_create(&r, NULL, Reader, NULL);
  pthread_create(&a, NULL, Acceptor, NULL);
  TSleepMs(100);
  for (int i = 0; i < 100; i++) {
    TTriggerDump();
    TSleepMs(5);
  }
  TSleepMs(300);
  T_CHECK(write(g_pipe[1], "x", 1) == 1, "write");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  T_CHECK(connect(c, (struct sockaddr*)&addr, sizeof addr) == 0, "connect");
  void *rr, *ar;
  pthread_join(r, &rr);
  pthread_join(a, &ar);
  close(c);
  printf("read errno=%ld accept errno=%ld (0 = no EINTR)\n", (long)rr, (long)ar);
  return 0;
}
