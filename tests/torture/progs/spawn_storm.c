/* C2: vfork and posix_spawn share the parent's memory and run no atfork handlers. 2 threads
 * each run posix_spawn("/bin/true") and vfork+execve N times, 2 threads allocate throughout;
 * variant "dirty": the vfork child (against POSIX) mallocs and frees before _exit. After the
 * loop the parent keeps allocating: 30 blocks of 6007 bytes must still be sampled at rate 1
 * (the per-thread guard is not stuck). */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "torture_util.h"

extern char** environ;
static atomic_int g_stop;
static int g_n, g_dirty;

static void* Spawner(void* arg) {
  (void)arg;
  long ok = 0;
  char* argv[] = {"/bin/true", NULL};
  for (int i = 0; i < g_n; i++) {
    pid_t pid;
    int status;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) == 0 &&
        waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
      ok++;
    pid = vfork();
    if (pid == 0) {
      if (g_dirty) free(malloc(100));
      execve("/bin/true", argv, environ);
      _exit(127);
    }
    if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0)
      ok++;
  }
  return (void*)ok;
}

static void* Allocator(void* arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) free(malloc(200));
  return NULL;
}

int main(int argc, char** argv) {
  g_n = argc > 1 ? atoi(argv[1]) : 300;
  g_dirty = argc > 2 && strcmp(argv[2], "dirty") == 0;
  pthread_t s[2], a[2];
  for (int i = 0; i < 2; i++) pthread_create(&a[i], NULL, Allocator, NULL);
  for (int i = 0; i < 2; i++) pthread_create(&s[i], NULL, Spawner, NULL);
  long ok = 0;
  for (int i = 0; i < 2; i++) {
    void* r;
    pthread_join(s[i], &r);
    ok += (long)r;
  }
  atomic_store(&g_stop, 1);
  for (int i = 0; i < 2; i++) pthread_join(a[i], NULL);
  for (int i = 0; i < 30; i++) TEscape(malloc(6007));
  printf("%ld of %d children exited 0\n", ok, 4 * g_n);
  return 0;
}
