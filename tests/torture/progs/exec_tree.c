/* C3: exec'd children inherit LD_PRELOAD. Run with libexec_mark.so preloaded before the shim
 * (in both runs: it stands in for another tool's preload) and LEAKTRACK_AT_EXIT=1.
 * Mode "tree": from the directory holding the helper binaries, the parent runs
 *   - system("sh -c './exec_tree_child system'"),
 *   - posix_spawn("./exec_tree_child"),
 *   - fork + execv of the static ./exec_tree_child_static,
 * each with stdout on a pipe, then `ldd /bin/true` with LD_PRELOAD=<shim> (both runs) and
 * `bash -c true` with the inherited and with LD_PRELOAD=<shim>: all must return 0 (bytehound
 * #124: ldd crashed under a profiler), and ldd must still list libc.so.6.
 * Mode "m32": posix_spawn of the 32-bit ./exec_tree_child32 (argv[4]).
 * Normalisation: each child prints a raw REPORT line (see exec_tree_child.c) that differs
 * between the runs only in shim_mapped/shim_in_env. The parent prints every other field as is,
 * and replaces those two with "leaktrack mapping consistent: yes|no", where consistent means:
 * baseline - not mapped and not named in LD_PRELOAD; shim run - a dynamic 64-bit child has the
 * shim mapped exactly when its LD_PRELOAD names it (follow-exec on or off both pass), a static
 * or 32-bit child never has it mapped. The other preload must be named in every child's
 * LD_PRELOAD (nobody strips it) and mapped in every dynamic 64-bit child. With
 * LEAKTRACK_FOLLOW_EXEC=0 in the shim run, no child that inherited the environment may name or
 * map the shim (it took itself out of LD_PRELOAD at start-up). Children's stderr is
 * the parent's, compared as is: a loader warning (e.g. "wrong ELF class" for the 32-bit child
 * under a 64-bit LD_PRELOAD) that the baseline does not print fails the case. */
#define _GNU_SOURCE
#include <spawn.h>
#include <sys/wait.h>

#include "torture_util.h"

extern char** environ;

static void Describe(int status, char* out, size_t n) {
  if (WIFEXITED(status))
    snprintf(out, n, "rc %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(out, n, "signal %d", WTERMSIG(status));
  else
    snprintf(out, n, "status 0x%x", status);
}

static size_t ReadAll(int fd, char* buf, size_t cap) {
  size_t n = 0;
  ssize_t r;
  while (n < cap - 1 && ((r = read(fd, buf + n, cap - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
    if (r > 0) n += (size_t)r;
  buf[n] = '\0';
  return n;
}

/* posix_spawnp(argv) with envp, stdout on a pipe captured into buf; returns the wait status. */
static int SpawnCapture(char* const argv[], char* const envp[], char* buf, size_t cap) {
  int fds[2];
  T_CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, envp);
  T_CHECK(rc == 0, "posix_spawnp %s: %s", argv[0], strerror(rc));
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  ReadAll(fds[0], buf, cap);
  close(fds[0]);
  int status;
  T_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
  return status;
}

static int SystemCapture(const char* cmd, char* buf, size_t cap) {
  int fds[2];
  T_CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
  fflush(stdout);
  int saved = dup(1);
  T_CHECK(saved >= 0 && dup2(fds[1], 1) == 1, "dup2: %s", strerror(errno));
  close(fds[1]);
  int status = system(cmd);
  T_CHECK(dup2(saved, 1) == 1, "dup2 back: %s", strerror(errno));
  close(saved);
  ReadAll(fds[0], buf, cap);
  close(fds[0]);
  return status;
}

static int ExecCapture(const char* path, const char* tag, char* buf, size_t cap) {
  int fds[2];
  T_CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  T_CHECK(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execl(path, path, tag, (char*)NULL);
    _exit(127);
  }
  close(fds[1]);
  ReadAll(fds[0], buf, cap);
  close(fds[0]);
  int status;
  T_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
  return status;
}

/* Checks one child's raw report and prints its run-independent form. */
static void Report(const char* leg, int status, const char* out, int is_m32) {
  char st[64], tag[32];
  Describe(status, st, sizeof st);
  int is_static, shim_mapped, shim_env, mark_mapped, mark_env;
  long work;
  if (sscanf(out, "REPORT %31s static=%d shim_mapped=%d shim_in_env=%d mark_mapped=%d "
                  "mark_in_env=%d work=%ld", tag, &is_static, &shim_mapped, &shim_env,
             &mark_mapped, &mark_env, &work) != 7) {
    printf("%s: %s, no report (stdout %.200s)\n", leg, st, out);
    return;
  }
  int dynamic64 = !is_static && !is_m32;
  /* LEAKTRACK_FOLLOW_EXEC=0 (shim run only): the shim took itself out of LD_PRELOAD, so a child
   * that inherited the environment must neither name nor map it. */
  const char* follow = getenv("LEAKTRACK_FOLLOW_EXEC");
  int no_follow = follow != NULL && strcmp(follow, "0") == 0;
  int consistent = TShimLoaded() ? (dynamic64 ? shim_mapped == shim_env : !shim_mapped) &&
                                       !(no_follow && (shim_env || shim_mapped))
                                 : (!shim_mapped && !shim_env);
  printf("%s: %s, child %s static=%d, other preload named=%s mapped=%s (expected %s), "
         "leaktrack mapping consistent: %s, work=%ld\n",
         leg, st, tag, is_static, mark_env ? "yes" : "no", mark_mapped ? "yes" : "no",
         dynamic64 ? "yes" : "no", consistent ? "yes" : "no", work);
}

/* environ with LD_PRELOAD replaced by preload. */
static char** EnvWithPreload(const char* preload) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char** env = calloc(n + 2, sizeof *env);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0) env[k++] = environ[i];
  T_CHECK(asprintf(&env[k], "LD_PRELOAD=%s", preload) > 0, "asprintf");
  return env;
}

static void Tree(const char* shim) {
  static char out[1 << 16];
  char st[64];
  int status = SystemCapture("sh -c './exec_tree_child system'", out, sizeof out);
  Report("system(\"sh -c ./exec_tree_child\")", status, out, 0);

  char* spawn_argv[] = {"./exec_tree_child", "spawn", NULL};
  status = SpawnCapture(spawn_argv, environ, out, sizeof out);
  Report("posix_spawn(./exec_tree_child)", status, out, 0);

  status = ExecCapture("./exec_tree_child_static", "static", out, sizeof out);
  Report("fork+exec(./exec_tree_child_static)", status, out, 0);

  char** shim_env = EnvWithPreload(shim);
  char* ldd_argv[] = {"ldd", "/bin/true", NULL};
  status = SpawnCapture(ldd_argv, shim_env, out, sizeof out);
  Describe(status, st, sizeof st);
  printf("LD_PRELOAD=libleaktrack.so ldd /bin/true: %s, lists libc.so.6: %s\n", st,
         strstr(out, "libc.so.6") != NULL ? "yes" : "no");

  char* bash_argv[] = {"bash", "-c", "true", NULL};
  status = SpawnCapture(bash_argv, environ, out, sizeof out);
  Describe(status, st, sizeof st);
  printf("bash -c true (inherited LD_PRELOAD): %s\n", st);
  status = SpawnCapture(bash_argv, shim_env, out, sizeof out);
  Describe(status, st, sizeof st);
  printf("LD_PRELOAD=libleaktrack.so bash -c true: %s\n", st);
}

int main(int argc, char** argv) {
  T_CHECK(argc >= 4, "usage: exec_tree tree|m32 PROGDIR SHIM.so [CHILD32]");
  T_CHECK(chdir(argv[2]) == 0, "chdir %s: %s", argv[2], strerror(errno));
  /* Some allocation in the parent, so it has something to dump at exit under the shim. */
  for (int i = 0; i < 1000; i++) TEscape(malloc(64));
  if (strcmp(argv[1], "tree") == 0) {
    Tree(argv[3]);
  } else if (strcmp(argv[1], "m32") == 0) {
    T_CHECK(argc == 5, "usage: exec_tree m32 PROGDIR SHIM.so CHILD32");
    static char out[1 << 16];
    char* m32_argv[] = {argv[4], NULL};
    int status = SpawnCapture(m32_argv, environ, out, sizeof out);
    Report("posix_spawn(./exec_tree_child32)", status, out, 1);
  } else {
    T_CHECK(0, "unknown mode %s", argv[1]);
  }
  return 0;
}
