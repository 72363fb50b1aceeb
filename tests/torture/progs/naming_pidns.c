/* I6: pids collide across PID namespaces (in containers everyone is pid 1). Two children, one
 * after the other, each unshare(CLONE_NEWPID) and fork a process that is pid 1 in its new
 * namespace; each of those allocates and dumps 3 times into the same LEAKTRACK_DIR, waiting
 * after every signal until a new file appears there (a new name, or a new inode under an old
 * name, i.e. an overwrite). The runner then wants 6 distinct, decodable files (--min-dumps 6):
 * a name made of pid and sequence number alone is reused by the second namespace and replaces
 * the first one's dumps. stdout only says who was pid 1 (same in both runs). */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "torture_util.h"

struct Entry {
  char name[256];
  ino_t ino;
};

static int Snapshot(const char* dir, struct Entry* out, int cap) {
  DIR* d = opendir(dir);
  if (d == NULL) return 0;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < cap) {
    if (e->d_name[0] == '.') continue;
    snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
    out[n].ino = e->d_ino;
    n++;
  }
  closedir(d);
  return n;
}

/* Waits up to ms for a (name, inode) pair that is not in before[]. */
static int WaitNewFile(const char* dir, struct Entry* before, int nb, long ms) {
  static struct Entry now[256];
  for (long waited = 0; waited <= ms; waited += 20) {
    int n = Snapshot(dir, now, 256);
    for (int i = 0; i < n; i++) {
      int seen = 0;
      for (int j = 0; j < nb && !seen; j++)
        seen = now[i].ino == before[j].ino && strcmp(now[i].name, before[j].name) == 0;
      if (!seen) return 1;
    }
    TSleepMs(20);
  }
  return 0;
}

/* Runs as pid 1 of a new PID namespace. */
static int DumpThriceAsInit(void) {
  static struct Entry before[256];
  const char* dir = getenv("LEAKTRACK_DIR");
  for (int i = 0; i < 1000; i++) TEscape(malloc((size_t)i + 1));
  for (int i = 0; i < 3; i++) {
    int nb = Snapshot(dir, before, 256);
    TTriggerDump();
    /* Only paces the dumps (one at a time); the runner counts the files. */
    if (TShimLoaded()) WaitNewFile(dir, before, nb, 3000);
  }
  return getpid() == 1 ? 0 : 4;
}

int main(void) {
  for (int ns = 0; ns < 2; ns++) {
    fflush(stdout);
    pid_t child = fork();
    T_CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
      if (unshare(CLONE_NEWPID) != 0) {
        if (errno == EPERM) _exit(77);
        _exit(5);
      }
      pid_t init = fork();
      if (init == 0) _exit(DumpThriceAsInit());
      int status;
      if (init < 0 || waitpid(init, &status, 0) != init) _exit(6);
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 7);
    }
    int status;
    T_CHECK(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
      T_SKIP("unshare(CLONE_NEWPID) needs CAP_SYS_ADMIN (run as root)");
    T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "namespace %d: status 0x%x (4: not pid 1)", ns, status);
    printf("PID namespace %d: the child was pid 1 and dumped 3 times\n", ns);
  }
  return 0;
}
