/* I5: dump output failures. LEAKTRACK_DIR is @CWD@/dumps, which does not exist at start.
 * Each step triggers a dump (shim run only) and must leave the process and its output unchanged:
 *   a  directory missing -> (one warning); create it, trigger again -> a dump appears
 *   b  RLIMIT_FSIZE 256 B (every dump is larger) -> no SIGXFSZ death, no partial final file
 *   c  every candidate final name symlinked to /dev/full -> not followed, nothing overwritten
 *   e  at RLIMIT_NOFILE (EMFILE) -> survives
 *   f  every candidate final name is a FIFO with no reader -> no block, no SIGPIPE
 *   g  every candidate final name is a symlink to victim.txt -> victim unchanged
 *   d  a 64 KiB tmpfs over the directory (needs mount rights; skipped without them)
 * The shim-only oracles exit non-zero on failure; the runner also validates every dump left. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "torture_util.h"

static char g_dir[4096];

static int Deep(int depth, int salt) {
  if (depth == 0) {
    TEscape(malloc((size_t)(64 + salt)));
    return 1;
  }
  return Deep(depth - 1, salt) + (salt & 1);
}

/* Many distinct stacks and sizes so a dump is well over 16 KiB even at the default rate. */
static void MakeProfileBig(void) {
  for (int s = 0; s < 400; s++) Deep(5 + s % 40, s);
  /* one sample per (stack, size): 4000 distinct sizes of >= 300 KB (mmap'd, never touched)
   * give ~1700 samples even at the default rate, i.e. a dump of well over 16 KiB */
  for (int i = 0; i < 4000; i++) TEscape(malloc(300000 + (size_t)i * 24));
}

static void Occupy(const char* kind) {
  for (int seq = 0; seq < 32; seq++) {
    char name[4200];
    snprintf(name, sizeof name, "%s/leaktrack.%d.%d.pb.gz", g_dir, (int)getpid(), seq);
    struct stat st;
    if (lstat(name, &st) == 0) continue;  /* an earlier, real dump */
    if (strcmp(kind, "fifo") == 0)
      T_CHECK(mkfifo(name, 0600) == 0, "mkfifo");
    else
      T_CHECK(symlink(kind, name) == 0, "symlink");
  }
}

static void Unoccupy(void) {
  for (int seq = 0; seq < 32; seq++) {
    char name[4200];
    snprintf(name, sizeof name, "%s/leaktrack.%d.%d.pb.gz", g_dir, (int)getpid(), seq);
    struct stat st;
    if (lstat(name, &st) == 0 && !S_ISREG(st.st_mode)) unlink(name);
  }
}

static void Step(const char* what) {
  TTriggerDump();
  TSleepMs(300);
  printf("step %s: alive\n", what);
  fflush(stdout);
}

int main(int argc, char** argv) {
  /* "no-fsize" skips step b so the other legs are reported separately from it */
  int skip_b = argc > 1 && strcmp(argv[1], "no-fsize") == 0;
  const char* d = getenv("LEAKTRACK_DIR");
  T_CHECK(d != NULL, "LEAKTRACK_DIR must be set");
  snprintf(g_dir, sizeof g_dir, "%s", d);
  MakeProfileBig();
  Step("a-missing-dir");
  T_CHECK(mkdir(g_dir, 0700) == 0, "mkdir");
  TTriggerDump();
  if (TShimLoaded()) T_CHECK(TWaitDumps(g_dir, 1, 3000) >= 1, "no dump after mkdir");
  printf("step a: directory created\n");
  int before = TCountDumps(g_dir, getpid());
  struct rlimit fs_old;
  getrlimit(RLIMIT_FSIZE, &fs_old);
  struct rlimit fs = {256, fs_old.rlim_max};  /* soft only: raising the hard limit needs caps */
  if (!skip_b) setrlimit(RLIMIT_FSIZE, &fs);
  Step("b-fsize");
  setrlimit(RLIMIT_FSIZE, &fs_old);
  if (TShimLoaded() && !skip_b)
    T_CHECK(TCountDumps(g_dir, getpid()) == before, "partial dump kept");
  Occupy("/dev/full");
  Step("c-dev-full");
  Unoccupy();
  FILE* v = fopen("victim.txt", "w");
  fputs("victim\n", v);
  fclose(v);
  char victim[4200];
  T_CHECK(realpath("victim.txt", victim) != NULL, "realpath");
  Occupy(victim);
  Step("g-symlink");
  Unoccupy();
  Occupy("fifo");
  Step("f-fifo");
  Unoccupy();
  struct rlimit nf_old;
  getrlimit(RLIMIT_NOFILE, &nf_old);
  struct rlimit nf = {32, nf_old.rlim_max};
  setrlimit(RLIMIT_NOFILE, &nf);
  int fds = 0;
  while (open("/dev/null", O_RDONLY) >= 0) fds++;
  Step("e-emfile");
  for (int fd = 3; fd < 32; fd++) close(fd);
  setrlimit(RLIMIT_NOFILE, &nf_old);
  if (unshare(CLONE_NEWNS) == 0 &&
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
      mount("tmpfs", g_dir, "tmpfs", 0, "size=64k,mode=0700") == 0) {
    MakeProfileBig();
    Step("d-tmpfs-64k");
    umount2(g_dir, MNT_DETACH);
  } else {
    printf("step d-tmpfs-64k: alive\n"); /* same line: skipped without mount rights */
  }
  before = TCountDumps(g_dir, getpid());
  TTriggerDump();
  if (TShimLoaded())
    T_CHECK(TWaitDumps(g_dir, before + 1, 3000) > before, "dumping did not recover");
  printf("recovered\n");
  return 0;
}
