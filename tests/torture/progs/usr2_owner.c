/* D2: the program owns the dump signal. Modes:
 *   after   installs a counting SIGUSR2 handler in main, sends 10: it must count 10
 *   after_signal  the same with signal() instead of sigaction()
 *   after_ssignal, after___sigaction  the same with glibc's other names, ssignal() and __sigaction()
 *   restore installs its handler with sigaction, saving the old action, sends 10, then restores
 *           the saved action. Shim run only: the saved action must be the shim's handler (a
 *           query tells the truth), and after the restore a SIGUSR2 must dump again
 *   before  installs the handler from .preinit_array (before the shim's constructor)
 *   ign     SIG_IGN set in main stays ignored: 10 signals, the process lives
 *   ign_pre SIG_IGN set from .preinit_array
 *   rt      LEAKTRACK_SIGNAL=RTMIN+3: sends SIGRTMIN+3 (shim run only); a dump appears
 *   off     LEAKTRACK_SIGNAL=0: SIGUSR2 keeps its default action and kills, as in baseline
 *   static  (static binary) SIGUSR2 kills: LD_PRELOAD cannot load the shim into it */
#define _GNU_SOURCE
#include "torture_util.h"

/* glibc exports it but no header declares it. */
extern int __sigaction(int sig, const struct sigaction* act, struct sigaction* old);

static volatile sig_atomic_t g_count;
static const char* g_mode = "";

static void Count(int sig) {
  (void)sig;
  g_count++;
}

static void Preinit(int argc, char** argv, char** envp) {
  (void)envp;
  if (argc < 2) return;
  if (strcmp(argv[1], "before") == 0) signal(SIGUSR2, Count);
  if (strcmp(argv[1], "ign_pre") == 0) signal(SIGUSR2, SIG_IGN);
}
__attribute__((section(".preinit_array"), used)) static void (*preinit_fn)(int, char**,
                                                                             char**) = Preinit;

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: usr2_owner MODE");
  g_mode = argv[1];
  void* p = malloc(100);
  TEscape(p);
  struct sigaction saved;
  memset(&saved, 0, sizeof saved);
  if (strcmp(g_mode, "after") == 0 || strcmp(g_mode, "restore") == 0) {
    struct sigaction now, sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = Count;
    T_CHECK(sigaction(SIGUSR2, NULL, &now) == 0, "sigaction query: %s", strerror(errno));
    T_CHECK(sigaction(SIGUSR2, &sa, &saved) == 0, "sigaction: %s", strerror(errno));
    /* Both answers are the truth: SIG_DFL without the shim, its handler with it. */
    int shim_handler = (saved.sa_flags & SA_SIGINFO) != 0 && saved.sa_sigaction != NULL;
    T_CHECK(shim_handler == TShimLoaded(), "saved action: shim handler %d, shim loaded %d",
            shim_handler, TShimLoaded());
    T_CHECK(now.sa_sigaction == saved.sa_sigaction, "query and save disagree");
  } else if (strcmp(g_mode, "after_signal") == 0) {
    T_CHECK(signal(SIGUSR2, Count) != SIG_ERR, "signal: %s", strerror(errno));
  } else if (strcmp(g_mode, "after_ssignal") == 0) {
    T_CHECK(ssignal(SIGUSR2, Count) != SIG_ERR, "ssignal: %s", strerror(errno));
  } else if (strcmp(g_mode, "after___sigaction") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = Count;
    T_CHECK(__sigaction(SIGUSR2, &sa, NULL) == 0, "__sigaction: %s", strerror(errno));
  } else if (strcmp(g_mode, "ign") == 0) {
    signal(SIGUSR2, SIG_IGN);
  }
  if (strcmp(g_mode, "rt") == 0) {
    if (TShimLoaded()) kill(getpid(), SIGRTMIN + 3);
    if (TShimLoaded()) T_CHECK(TWaitDumps(getenv("LEAKTRACK_DIR"), 1, 2000) >= 1, "no dump");
  } else {
    for (int i = 0; i < 10; i++) {
      kill(getpid(), SIGUSR2);
      TSleepMs(5);
    }
  }
  if (strcmp(g_mode, "restore") == 0) {
    T_CHECK(sigaction(SIGUSR2, &saved, NULL) == 0, "restore: %s", strerror(errno));
    if (TShimLoaded()) {  /* in the baseline the restored action is SIG_DFL: it would kill */
      kill(getpid(), SIGUSR2);
      T_CHECK(TWaitDumps(getenv("LEAKTRACK_DIR"), 1, 2000) >= 1, "no dump after the restore");
    }
  }
  TSleepMs(50);
  printf("mode %s: handler counted %d\n", g_mode, (int)g_count);
  free(p);
  return 0;
}
