// A program with known allocations, run under LD_PRELOAD by run_e2e.py. Each mode prints what it
// did ("truth") so the driver can compare the dumps with reality. Built -O0 so every named
// function stays a real frame.
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <new>
#include <random>
#include <thread>
#include <vector>

namespace {
std::vector<void*> g_keep;           // keeps "leaked" blocks reachable and the calls alive
void Keep(void* p) { g_keep.push_back(p); }
}  // namespace

// One function per entry point; the driver expects exactly these alloc_objects per function.
extern "C" {
__attribute__((noinline)) void site_malloc(int n) { for (int i = 0; i < n; ++i) Keep(malloc(1000)); }
__attribute__((noinline)) void site_calloc(int n) { for (int i = 0; i < n; ++i) Keep(calloc(10, 100)); }
__attribute__((noinline)) void site_realloc(int n) {
  for (int i = 0; i < n; ++i) Keep(realloc(malloc(8), 1000));  // two allocations, one live
}
__attribute__((noinline)) void site_reallocarray(int n) {
  for (int i = 0; i < n; ++i) Keep(reallocarray(nullptr, 10, 100));
}
__attribute__((noinline)) void site_posix_memalign(int n) {
  for (int i = 0; i < n; ++i) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, 1000) == 0) Keep(p);
  }
}
__attribute__((noinline)) void site_aligned_alloc(int n) { for (int i = 0; i < n; ++i) Keep(aligned_alloc(64, 1024)); }
__attribute__((noinline)) void site_memalign(int n) { for (int i = 0; i < n; ++i) Keep(memalign(64, 1000)); }
__attribute__((noinline)) void site_valloc(int n) { for (int i = 0; i < n; ++i) Keep(valloc(1000)); }
__attribute__((noinline)) void site_pvalloc(int n) { for (int i = 0; i < n; ++i) Keep(pvalloc(1000)); }
__attribute__((noinline)) void site_new(int n) { for (int i = 0; i < n; ++i) Keep(new char[1000]); }
__attribute__((noinline)) void site_new_scalar(int n) {
  struct Obj { char bytes[1000]; };
  for (int i = 0; i < n; ++i) Keep(new Obj);
}
__attribute__((noinline)) void site_new_nothrow(int n) {
  for (int i = 0; i < n; ++i) Keep(new (std::nothrow) char[1000]);
}
__attribute__((noinline)) void site_new_aligned(int n) {
  struct alignas(256) Aligned { char bytes[1024]; };
  for (int i = 0; i < n; ++i) Keep(new Aligned);
}
__attribute__((noinline)) void site_freed(int n) {
  for (int i = 0; i < n; ++i) free(malloc(1000));  // allocated, never live at dump time
}
__attribute__((noinline)) void hold_blocks(int n, size_t size) {
  for (int i = 0; i < n; ++i) Keep(malloc(size));
}
__attribute__((noinline)) void churn_blocks(long total, unsigned seed) {
  std::mt19937 rng(seed);
  long done = 0;
  while (done < total) {
    const size_t s = 16 + rng() % 4096;
    void* p = malloc(s);
    memset(p, 1, 1);
    free(p);
    done += static_cast<long>(s);
  }
}
// 2^depth distinct call stacks, one per path through two mutually recursive functions; each
// allocates one block at the bottom and frees it at once.
__attribute__((noinline)) void churn_leaf(size_t size) {
  void* p = malloc(size);
  memset(p, 1, 1);
  free(p);
}
__attribute__((noinline)) void churn_right(int depth, unsigned path);
__attribute__((noinline)) void churn_left(int depth, unsigned path) {
  if (depth == 0) churn_leaf(100);
  else if (path & 1) churn_left(depth - 1, path >> 1);
  else churn_right(depth - 1, path >> 1);
  __asm__ volatile("" ::: "memory");  // no tail call: every level stays a frame
}
__attribute__((noinline)) void churn_right(int depth, unsigned path) {
  if (depth == 0) churn_leaf(100);
  else if (path & 1) churn_left(depth - 1, path >> 1);
  else churn_right(depth - 1, path >> 1);
  __asm__ volatile("" ::: "memory");
}
__attribute__((noinline)) void late_leak(int n) { for (int i = 0; i < n; ++i) Keep(malloc(4000)); }
}

namespace {

// Fills the stack table with stacks that hold nothing, then leaks from a stack never seen.
int ModeStackChurn() {
  constexpr int kDepth = 13;
  for (unsigned path = 0; path < (1u << kDepth); ++path) churn_left(kDepth, path);
  late_leak(100);
  printf("truth churn_leaf alloc_objects=%u\n", 1u << kDepth);
  return 0;
}

// main() ends with pthread_exit: the process ends when its worker does, with status 0.
int ModeMainPthreadExit() {
  pthread_t worker;
  pthread_create(
      &worker, nullptr,
      [](void*) -> void* {
        usleep(300000);
        hold_blocks(5, 3000);
        printf("worker done\n");  // flushed by the exit(0) of whichever thread is last
        return nullptr;
      },
      nullptr);
  pthread_exit(nullptr);
}

int ModeSites() {
  // Counts 11..24 make every site distinguishable in the profile.
  site_malloc(11);
  site_calloc(12);
  site_realloc(13);
  site_reallocarray(14);
  site_posix_memalign(15);
  site_aligned_alloc(16);
  site_memalign(17);
  site_valloc(18);
  site_pvalloc(19);
  site_new(20);
  site_new_scalar(21);
  site_new_nothrow(22);
  site_new_aligned(23);
  site_freed(24);
  raise(SIGUSR2);
  printf("sites done\n");
  return 0;
}

int ModeStat() {
  // 256 MiB live in 4 KiB blocks, 512 MiB of short-lived churn.
  hold_blocks(65536, 4096);
  churn_blocks(512L << 20, 42);
  raise(SIGUSR2);
  printf("truth hold_blocks inuse_space=%ld\n", 65536L * 4096);
  return 0;
}

int ModeStorm(int seconds) {
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&stop, t] {
      std::mt19937 rng(t);
      std::vector<void*> mine(256, nullptr);
      while (!stop.load(std::memory_order_relaxed)) {
        const size_t i = rng() % mine.size();
        switch (rng() % 3) {
          case 0: free(mine[i]); mine[i] = malloc(1 + rng() % 100000); break;
          case 1: mine[i] = realloc(mine[i], 1 + rng() % 100000); break;
          default: free(mine[i]); mine[i] = nullptr; break;
        }
      }
      for (void* p : mine) free(p);
    });
  }
  printf("ready\n");
  fflush(stdout);
  // Sleep by deadline: a dump signal interrupts sleep() (EINTR), as any signal handler would.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) usleep(10000);
  stop = true;
  for (auto& t : threads) t.join();
  printf("storm done\n");
  return 0;
}

int ModeFork() {
  hold_blocks(10, 5000);
  const pid_t child = fork();
  if (child == 0) {
    hold_blocks(7, 7000);
    raise(SIGUSR2);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  raise(SIGUSR2);
  printf("child %d status %d\n", static_cast<int>(child), status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

std::atomic<int> g_usr2_count{0};
void CountUsr2(int) { g_usr2_count.fetch_add(1); }

int ModeOwnSignal() {
  signal(SIGUSR2, CountUsr2);
  printf("ready\n");
  fflush(stdout);
  for (int i = 0; i < 200 && g_usr2_count.load() < 10; ++i) usleep(10000);
  printf("handler saw %d\n", g_usr2_count.load());
  return 0;
}

int ModeSleep(int ms) {
  hold_blocks(100, 3000);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) usleep(5000);
  printf("slept\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: e2e_fixture sites|stat|storm SECONDS|fork|own_signal|sleep MS|"
                    "stack_churn|main_pthread_exit\n");
    return 2;
  }
  g_keep.reserve(1 << 17);  // so the vector does not reallocate inside the measured sites
  const char* mode = argv[1];
  if (strcmp(mode, "sites") == 0) return ModeSites();
  if (strcmp(mode, "stat") == 0) return ModeStat();
  if (strcmp(mode, "storm") == 0) return ModeStorm(argc > 2 ? atoi(argv[2]) : 3);
  if (strcmp(mode, "fork") == 0) return ModeFork();
  if (strcmp(mode, "own_signal") == 0) return ModeOwnSignal();
  if (strcmp(mode, "sleep") == 0) return ModeSleep(argc > 2 ? atoi(argv[2]) : 500);
  if (strcmp(mode, "stack_churn") == 0) return ModeStackChurn();
  if (strcmp(mode, "main_pthread_exit") == 0) return ModeMainPthreadExit();
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
