// See fault_injection.h. Only built with LEAKTRACK_FAULT_INJECTION.
#include "fault_injection.h"

#ifdef LEAKTRACK_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include <atomic>

#include "config.h"
#include "real_alloc.h"

namespace leaktrack {
namespace {
std::atomic<uint64_t> g_insert_count{0};
uint64_t g_stall_nth = 0;
uint64_t g_stall_ms = 0;
int g_unwind_signal = 0;
std::atomic<uint64_t> g_open_count{0};
std::atomic<uint64_t> g_write_count{0};
uint64_t g_fail_open_nth = 0;
uint64_t g_fail_write_nth = 0;
uint64_t g_own_fd_stall_ms = 0;
std::atomic<bool> g_no_tmpfile{false};
std::atomic<int> g_check_unwind{0};

void SleepMs(uint64_t ms) {
  struct timespec ts = {static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}
}  // namespace

void LoadFaultInjectionFromEnv() {
  if (const char* v = getenv("LEAKTRACK_TEST_STALL_INSERT")) {
    char nth[32];
    int i = 0;
    for (; v[i] && v[i] != ':' && i < 31; ++i) nth[i] = v[i];
    nth[i] = '\0';
    if (v[i] == ':') {
      uint64_t n, ms;
      if (ParseSize(nth, 1, 1ull << 40, &n) && ParseSize(v + i + 1, 0, 600000, &ms)) {
        g_stall_nth = n;
        g_stall_ms = ms;
      }
    }
  }
  if (const char* v = getenv("LEAKTRACK_TEST_SIGNAL_IN_UNWIND")) {
    int sig;
    if (ParseSignal(v, &sig)) g_unwind_signal = sig;
  }
  uint64_t n;
  if (ParseSize(getenv("LEAKTRACK_TEST_FORCE_BOOTSTRAP"), 1, 1 << 20, &n)) {
    ForceBootstrapForTesting(static_cast<long>(n));
  }
  // Counted from the load, so that a test can load the same switch again.
  if (ParseSize(getenv("LEAKTRACK_TEST_FAIL_OPEN"), 1, 1 << 20, &n)) {
    g_fail_open_nth = n;
    g_open_count.store(0);
  }
  if (ParseSize(getenv("LEAKTRACK_TEST_FAIL_WRITE"), 1, 1 << 20, &n)) {
    g_fail_write_nth = n;
    g_write_count.store(0);
  }
  if (ParseSize(getenv("LEAKTRACK_TEST_STALL_OWN_FD"), 1, 600000, &n)) g_own_fd_stall_ms = n;
  if (ParseSize(getenv("LEAKTRACK_TEST_NO_TMPFILE"), 0, 1, &n)) g_no_tmpfile.store(n != 0);
  if (ParseSize(getenv("LEAKTRACK_TEST_CHECK_UNWIND"), 0, 2, &n)) {
    g_check_unwind.store(static_cast<int>(n));
  }
}

void FaultMaybeStallInsert() {
  if (g_stall_nth == 0) return;
  if (g_insert_count.fetch_add(1, std::memory_order_relaxed) + 1 != g_stall_nth) return;
  SleepMs(g_stall_ms);
}

void FaultMaybeStallOwnFd() {
  if (g_own_fd_stall_ms != 0) SleepMs(g_own_fd_stall_ms);
}

void FaultMaybeRaiseInUnwind() {
  if (g_unwind_signal != 0) raise(g_unwind_signal);
}

bool FaultNoTmpfile() { return g_no_tmpfile.load(std::memory_order_relaxed); }

int FaultCheckUnwind() { return g_check_unwind.load(std::memory_order_relaxed); }

bool FaultFailOpen() {
  return g_fail_open_nth != 0 &&
         g_open_count.fetch_add(1, std::memory_order_relaxed) + 1 == g_fail_open_nth;
}

bool FaultFailWrite() {
  return g_fail_write_nth != 0 &&
         g_write_count.fetch_add(1, std::memory_order_relaxed) + 1 == g_fail_write_nth;
}

}  // namespace leaktrack
#endif
