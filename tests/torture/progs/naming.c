/* I6: dump names carry the current pid. 50 concurrent children (forked, not exec'd) each dump
 * 3 times; a child re-executed under the name "my binary %p%%" dumps twice. The runner then
 * checks every file is named leaktrack.<pid>.<seq>.pb.gz, decodes, and has no duplicate
 * (pid, seq); the program checks each child's dumps carry the child's own pid. */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "torture_util.h"

static void DumpThrice(void) {
  for (int i = 0; i < 1000; i++) TEscape(malloc((size_t)i + 1));
  for (int i = 0; i < 3; i++) {
    TTriggerDump();
    if (TShimLoaded() && TWaitDumps(getenv("LEAKTRACK_DIR"), i + 1, 3000) < i + 1) _exit(5);
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--renamed") == 0) {
    DumpThrice();
    return 0;
  }
  pid_t kids[50];
  for (int i = 0; i < 50; i++) {
    kids[i] = fork();
    if (kids[i] == 0) {
      DumpThrice();
      _exit(0);
    }
  }
  int ok = 0;
  for (int i = 0; i < 50; i++) {
    int st;
    waitpid(kids[i], &st, 0);
    ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
  printf("%d of 50 concurrent children dumped 3 times under their own pid\n", ok);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    execl("/proc/self/exe", "my binary %p%%", "--renamed", (char*)NULL);
    _exit(127);
  }
  int st;
  waitpid(p, &st, 0);
  printf("renamed child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return 0;
}
