// See dump_trigger.h.
#include "dump_trigger.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <atomic>

#include "dump_file.h"
#include "heap_profile.h"
#include "internal_alloc.h"
#include "profiler.h"
#include "raw_log.h"

namespace leaktrack {
namespace {

std::atomic<bool> g_dumping{false};
std::atomic<bool> g_pending{false};
bool g_handler_installed = false;
timer_t g_timer;
bool g_timer_running = false;

const char* SignalName(int sig, char* buf, int cap) {
  if (sig == SIGUSR2) return "SIGUSR2";
  if (sig == SIGUSR1) return "SIGUSR1";
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    RawFormat(buf, cap, "SIGRTMIN+%d", sig - SIGRTMIN);
    return buf;
  }
  RawFormat(buf, cap, "signal %d", sig);
  return buf;
}

bool WriteOneDump() {
  Profiler& p = g_profiler;
  Arena arena;
  if (!arena.Init(DumpArenaSize(p))) {
    p.stats.dumps_failed.fetch_add(1, std::memory_order_relaxed);
    RawLog("dump failed: cannot map scratch memory (%s)", ErrnoName(errno));
    return false;
  }
  EncodedProfile profile;
  bool ok = false;
  if (!BuildHeapProfile(p, &arena, &profile)) {
    RawLog("dump failed: cannot build the profile (%s)", ErrnoName(errno));
  } else {
    const DumpFileResult r = WriteDumpFile(p.config.dir, profile.data, profile.size);
    ok = r.ok;
    if (!ok) {
      RawLog("dump failed: %s %s: %s; the program continues", r.step, r.path,
             ErrnoName(r.error));
    }
  }
  (ok ? p.stats.dumps_written : p.stats.dumps_failed).fetch_add(1, std::memory_order_relaxed);
  arena.Release();
  return ok;
}

void OnDumpSignal(int, siginfo_t*, void*) {
  const int saved_errno = errno;
  ScopedGuard guard;  // a program handler nested in ours must not re-enter the sampler
  DumpNow();
  errno = saved_errno;
}

void StartTimer() {
  const Config& c = g_profiler.config;
  if (c.interval_ms == 0 || !g_handler_installed) return;
  struct sigevent ev;
  memset(&ev, 0, sizeof(ev));
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = c.signal;
  if (timer_create(CLOCK_MONOTONIC, &ev, &g_timer) != 0) {
    RawLog("cannot create the interval timer (%s); periodic dumps are off", ErrnoName(errno));
    return;
  }
  struct itimerspec spec;
  spec.it_interval.tv_sec = static_cast<time_t>(c.interval_ms / 1000);
  spec.it_interval.tv_nsec = static_cast<long>(c.interval_ms % 1000) * 1000000L;
  spec.it_value = spec.it_interval;
  timer_settime(g_timer, 0, &spec, nullptr);
  g_timer_running = true;
}

void AtExitDump() { DumpNow(); }

void AtForkChild() {
  // The child has only the forking thread: a dump that another thread was writing is gone.
  g_dumping.store(false, std::memory_order_relaxed);
  g_pending.store(false, std::memory_order_relaxed);
  // POSIX timers are not inherited; the child gets its own.
  g_timer_running = false;
  StartTimer();
}

}  // namespace

bool DumpNow() {
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive) return false;
  if (g_dumping.exchange(true, std::memory_order_acq_rel)) {
    g_pending.store(true, std::memory_order_release);
    return true;  // the dump in progress will run once more for us
  }
  bool ok;
  do {
    g_pending.store(false, std::memory_order_relaxed);
    ok = WriteOneDump();
  } while (g_pending.load(std::memory_order_acquire));
  g_dumping.store(false, std::memory_order_release);
  return ok;
}

void InstallDumpTriggers() {
  const Config& c = g_profiler.config;
  if (c.signal != 0) {
    struct sigaction old;
    char name[32];
    if (sigaction(c.signal, nullptr, &old) == 0 &&
        ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL)) {
      RawLog("%s is taken by the program; dumps on signal are off (set LEAKTRACK_SIGNAL to a "
             "free signal, e.g. RTMIN+3)", SignalName(c.signal, name, sizeof(name)));
    } else {
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_sigaction = &OnDumpSignal;
      // SA_RESTART: the program's blocking calls must not see EINTR because of us (D3).
      // SA_ONSTACK: run on the thread's alternate stack if it has one (Go, coroutines).
      sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
      sigfillset(&sa.sa_mask);
      g_handler_installed = sigaction(c.signal, &sa, nullptr) == 0;
    }
  } else if (c.interval_ms != 0) {
    RawLog("LEAKTRACK_INTERVAL needs a dump signal; LEAKTRACK_SIGNAL=0, so periodic dumps are off");
  }
  StartTimer();
  if (c.at_exit) atexit(&AtExitDump);
  pthread_atfork(nullptr, nullptr, &AtForkChild);
}

}  // namespace leaktrack

// Control API for programs that want to dump on their own schedule (exports.map).
extern "C" __attribute__((visibility("default"))) int leaktrack_dump(void) {
  leaktrack::ScopedGuard guard;
  return leaktrack::DumpNow() ? 0 : -1;
}

extern "C" __attribute__((visibility("default"))) const char* leaktrack_version(void) {
  return "0.1.0";
}
