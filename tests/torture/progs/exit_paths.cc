// C4: allocation after the shim's destructors, and every way out of a process.
// The driver re-executes itself (children inherit LD_PRELOAD) in these modes and reports how
// each child ended; each child has a 2 s deadline:
//   exit_race  8 allocating threads, main calls exit(0) after 50 ms      (repeated 40 times)
//   late_alloc an atexit handler registered from preinit, a static destructor, a thread_local
//              destructor and a detached thread all allocate after main returns
//   _exit / _Exit / quick_exit   while threads allocate
//   abort_mid  abort() while threads allocate, with RLIMIT_CORE unlimited: the driver reports
//              the signal and whether a core was dumped (same as baseline)
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "torture_util.h"

namespace {

void* Allocator(void*) {
  for (;;) {
    void* p = malloc(64);
    TEscape(p);
    void* q = realloc(p, 4096);
    free(q);
  }
  return nullptr;
}

void StartAllocators(int n) {
  for (int i = 0; i < n; i++) {
    pthread_t t;
    pthread_create(&t, nullptr, Allocator, nullptr);
    pthread_detach(t);
  }
}

void AtexitAlloc() {
  void* p = malloc(500);
  TEscape(p);
  free(p);
  char* s = strdup("atexit ran\n");
  fputs(s, stdout);
  free(s);
}

void Preinit(int, char**, char**) { atexit(AtexitAlloc); }
__attribute__((section(".preinit_array"), used)) void (*preinit_fn)(int, char**,
                                                                    char**) = Preinit;

struct StaticDtor {
  ~StaticDtor() {
    if (getenv("EXIT_PATHS_LATE")) {
      char* p = static_cast<char*>(calloc(1, 1234));
      TEscape(p);
      free(p);
      printf("static destructor ran\n");
    }
  }
} g_static_dtor;

struct TlsDtor {
  ~TlsDtor() {
    void* p = malloc(321);
    TEscape(p);
    free(p);
  }
};
thread_local TlsDtor t_tls;

int Child(const char* mode) {
  if (strcmp(mode, "exit_race") == 0) {
    StartAllocators(8);
    TSleepMs(50);
    exit(0);
  }
  if (strcmp(mode, "late_alloc") == 0) {
    setenv("EXIT_PATHS_LATE", "1", 1);
    (void)&t_tls;
    StartAllocators(1);  // detached thread still allocating while exit() runs
    printf("main returns\n");
    return 0;
  }
  StartAllocators(4);
  TSleepMs(20);
  if (strcmp(mode, "_exit") == 0) _exit(3);
  if (strcmp(mode, "_Exit") == 0) _Exit(4);
  if (strcmp(mode, "quick_exit") == 0) quick_exit(5);
  if (strcmp(mode, "abort_mid") == 0) {
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
    abort();
  }
  return 9;
}

// Runs one child and prints how it ended; returns 1 if it ended in time.
int RunChild(const char* mode, int print) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "exit_paths", "--child", mode, static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  double deadline = TNowSec() + 2.0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (TNowSec() > deadline) {
      fprintf(stderr, "%s: child did not end within 2 s\n", mode);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return 0;
    }
    TSleepMs(2);
  }
  if (print) {
    if (WIFEXITED(status))
      printf("%s: exit %d\n", mode, WEXITSTATUS(status));
    else
      printf("%s: signal %d core=%d\n", mode, WTERMSIG(status), WCOREDUMP(status) ? 1 : 0);
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "--child") == 0) return Child(argv[2]);
  int runs = argc > 1 ? atoi(argv[1]) : 40;
  int ok = 0;
  for (int i = 0; i < runs; i++) ok += RunChild("exit_race", 0);
  printf("exit_race: %d of %d runs exited 0 within 2 s\n", ok, runs);
  const char* modes[] = {"late_alloc", "_exit", "_Exit", "quick_exit", "abort_mid"};
  for (const char* m : modes) RunChild(m, 1);
  return 0;
}
