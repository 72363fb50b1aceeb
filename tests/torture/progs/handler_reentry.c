/* D4: the program's own signal handlers allocate, re-entering the shim on the same thread.
 *   reentry   SIGALRM handler mallocs/frees 10 blocks. With LEAKTRACK_TEST_SIGNAL_IN_UNWIND=14
 *             the shim raises SIGALRM in the middle of its own unwind, i.e. while the thread is
 *             inside the shim, on the side stack the unwind borrows. The handler also uses
 *             96 KiB of stack, as a handler may on a thread's own stack. 20000 iterations.
 *   longjmp   same, but the handler siglongjmps out of the shim's unwind (guards must reset).
 *   altstack  setitimer SIGALRM every 1 ms, handler on a MINSIGSTKSZ+4 KiB sigaltstack mallocs
 *             while main spins in busy_loop.
 * Afterwards 50 blocks of 4321 bytes are leaked: with rate 1 the at-exit dump must show all 50
 * (later allocations are still sampled after the re-entry). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <sys/time.h>

#include "torture_util.h"

static sigjmp_buf g_jmp;
static volatile sig_atomic_t g_use_jmp, g_armed, g_deep_handler;
static volatile long g_handled;

/* A big frame, touched end to end: a handler that runs on the shim's side stack needs the room. */
__attribute__((noinline)) static void UseStack(void) {
  char buf[96 * 1024];
  memset(buf, 1, sizeof buf);
  TEscape(buf);
}

static void OnAlarm(int sig) {
  (void)sig;
  if (g_deep_handler) UseStack();
  void* p[10];
  for (int i = 0; i < 10; i++) p[i] = malloc(16 * (size_t)(i + 1));
  for (int i = 0; i < 10; i++) free(p[i]);
  g_handled++;
  if (g_use_jmp && g_armed) {
    g_armed = 0;
    siglongjmp(g_jmp, 1);
  }
}

__attribute__((noinline)) static long busy_loop(double seconds) {
  double end = TNowSec() + seconds;
  long spins = 0;
  while (TNowSec() < end) spins++;
  return spins;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: handler_reentry reentry|longjmp|altstack");
  const char* mode = argv[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  if (strcmp(mode, "altstack") == 0) {
    stack_t ss;
    ss.ss_size = MINSIGSTKSZ + 4096;
    ss.ss_sp = malloc(ss.ss_size);
    ss.ss_flags = 0;
    T_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    busy_loop(1.0);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("altstack: handler ran: %d\n", g_handled > 100);
  } else {
    g_use_jmp = strcmp(mode, "longjmp") == 0;
    g_deep_handler = 1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    for (int i = 0; i < 20000; i++) {
      if (g_use_jmp && sigsetjmp(g_jmp, 1) == 0) g_armed = 1;
      void* p = malloc((size_t)(i % 100) + 1);
      g_armed = 0;
      free(p);
    }
    printf("%s: loop done\n", mode);
  }
  for (int i = 0; i < 50; i++) TEscape(malloc(4321));
  return 0;
}
