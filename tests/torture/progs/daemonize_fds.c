/* C5: the program closes every fd >= 3 after the shim (and its unwinder) started, then reuses
 * the numbers: fd 2 goes to err.txt, then in.txt (10 bytes) and out.txt are opened on the low
 * numbers. Deep-stack allocations from new threads and a dump follow. The program must read its
 * 10 bytes, out.txt must stay empty, err.txt must hold only the program's own line, fd flags must
 * be unchanged, an exec'd child must see only fds 0-2, and near RLIMIT_NOFILE (EMFILE) the
 * process must survive a dump. Files are compared with the baseline by run_case.py. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "torture_util.h"

static int Deep(int depth) {
  if (depth == 0) {
    void* p = malloc(200);
    TEscape(p);
    free(p);
    return 1;
  }
  return Deep(depth - 1) + 1;
}

static void* Worker(void* arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) Deep(40 + i % 20);
  return NULL;
}

static void ListFds(const char* who) {
  DIR* d = opendir("/proc/self/fd");
  int self = dirfd(d);
  printf("%s inheritable fds:", who);
  struct dirent* e;
  int fds[64], n = 0;
  while ((e = readdir(d)) != NULL && n < 64) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    /* close-on-exec fds the shim may hold are allowed; inheritable ones are not */
    if (fd != self && !(fcntl(fd, F_GETFD) & FD_CLOEXEC)) fds[n++] = fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (fds[j] < fds[i]) {
        int t = fds[i]; fds[i] = fds[j]; fds[j] = t;
      }
  for (int i = 0; i < n; i++) printf(" %d", fds[i]);
  printf("\n");
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    ListFds("exec'd child");
    return 0;
  }
  FILE* f = fopen("in.txt", "w");
  fputs("0123456789", f);
  fclose(f);
  Worker(NULL);  /* first unwinds happen before the close-all */
  for (int fd = 3; fd < 1024; fd++) close(fd);
  int err = open("err.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  T_CHECK(err >= 0, "open err.txt");
  dup2(err, 2);
  close(err);
  int in = open("in.txt", O_RDONLY);
  int out = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  printf("in fd %d, out fd %d\n", in, out);
  int in_flags = fcntl(in, F_GETFD), out_flags = fcntl(out, F_GETFD);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, Worker, NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  TTriggerDump();
  if (TShimLoaded()) TWaitDumps(getenv("LEAKTRACK_DIR"), 1, 2000);
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, Worker, NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  char buf[32] = {0};
  ssize_t n = read(in, buf, sizeof buf);
  printf("read %zd bytes: %s\n", n, buf);
  printf("flags unchanged: %d %d\n", fcntl(in, F_GETFD) == in_flags,
         fcntl(out, F_GETFD) == out_flags);
  fprintf(stderr, "program line on fd 2\n");
  fflush(stderr);
  close(in);
  close(out);
  ListFds("program");
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "daemonize_fds", "--list", (char*)NULL);
    _exit(127);
  }
  int status;
  waitpid(pid, &status, 0);
  /* EMFILE: fill the table to RLIMIT_NOFILE, then allocate and dump. */
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = 64;
  setrlimit(RLIMIT_NOFILE, &rl);
  int opened = 0;
  while (open("/dev/null", O_RDONLY) >= 0) opened++;
  printf("at EMFILE: %d\n", errno == EMFILE);
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, Worker, NULL);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  TTriggerDump();
  TSleepMs(200);
  printf("survived EMFILE\n");
  return 0;
}
