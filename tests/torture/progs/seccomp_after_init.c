/* I3: a seccomp filter installed after one warm-up allocation. eperm: openat/open/creat/pipe2/
 * mincore/memfd_create/socket/perf_event_open return EPERM; the program then allocates with deep
 * stacks from new threads and receives the dump signal (the dump fails with one warning).
 * kill: the same set kills the process; no dump is requested (dumps need openat, documented),
 * so rc 0 proves the shim issues none of them on the allocation path after init. */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "torture_util.h"

static void Install(int kill_process) {
  unsigned ret = kill_process ? SECCOMP_RET_KILL_PROCESS : (SECCOMP_RET_ERRNO | EPERM);
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 7, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 6, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_creat, 5, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pipe2, 4, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mincore, 3, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 2, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, ret),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof f / sizeof f[0], f};
  T_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) T_SKIP("seccomp unavailable");
}

static int Deep(int d) {
  if (d == 0) {
    free(malloc(77));
    return 0;
  }
  return Deep(d - 1) + 1;
}

static void* Worker(void* arg) {
  (void)arg;
  long n = 0;
  for (int i = 0; i < 2000; i++) n += Deep(20 + i % 30);
  return (void*)n;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: seccomp_after_init eperm|kill");
  int kill_mode = strcmp(argv[1], "kill") == 0;
  free(malloc(10));
  Install(kill_mode);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, Worker, NULL);
  if (!kill_mode) {
    TTriggerDump();
    TSleepMs(300);
  }
  long sum = 0;
  for (int i = 0; i < 4; i++) {
    void* r;
    pthread_join(t[i], &r);
    sum += (long)r;
  }
  printf("%s: deep allocations from 4 threads after the filter: %ld\n", argv[1], sum);
  return 0;
}
