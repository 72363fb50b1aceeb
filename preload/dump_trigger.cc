// See dump_trigger.h.
#include "dump_trigger.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "dump_file.h"
#include "dump_request.h"
#include "dump_retention.h"
#include "go_stack.h"
#include "heap_profile.h"
#include "internal_alloc.h"
#include "last_thread.h"
#include "profiler.h"
#include "raw_log.h"
#include "signal_hooks.h"

// True while our handler of the dump signal is, as far as we know, the one in place: set when
// we install it, cleared when the program takes the signal over, set again when it hands it
// back. Exported: `leaktrack dump` reads it from the process's memory before it signals
// (tools/shim_settings.h), so that it never runs the program's own action instead (nginx, for
// one, upgrades its binary on SIGUSR2).
extern "C" {
__attribute__((visibility("default"))) std::atomic<bool> leaktrack_dump_handler_ours{false};

// Dumps asked for without a signal. `leaktrack dump` adds one to leaktrack_dump_requested
// through /proc/PID/mem, and the interval thread, whose thread id is in leaktrack_dump_listener
// (0 while there is none), sees the count move within one nap (kLastThreadCheckMs) and dumps. A
// signal, even one with an SA_RESTART handler, ends the program's epoll_wait, poll or nanosleep
// with EINTR, and a single-threaded event loop that takes that for an error exits (epoll(7)'s
// own example does); the Go runtime keeps every signal to itself; a sigwait program would take
// ours. This way reaches them all, at once rather than at their next periodic dump.
__attribute__((visibility("default"))) std::atomic<uint32_t> leaktrack_dump_requested{0};
__attribute__((visibility("default"))) std::atomic<uint32_t> leaktrack_dump_listener{0};
// Where dump may not write the process's memory, it asks by a file in the dump directory
// instead (dump_request.h). That the symbol exists tells dump that this shim looks for one.
extern __attribute__((visibility("default"))) const uint32_t leaktrack_dump_request_files = 1;

// Where the dumps go, as configured (config.h): LEAKTRACK_DIR ("" = the working directory),
// then the fallback ($TMPDIR or /tmp), set once the profiler runs. `leaktrack dump` looks there
// (tools/shim_settings.h): the environment it would otherwise read them from is not always
// there to read back (nginx writes its process title over it).
__attribute__((visibility("default"))) char leaktrack_dump_dirs[2][512];
}

namespace leaktrack {
namespace {

std::atomic<bool> g_installed{false};  // we installed our handler at start-up
std::atomic<bool>& g_handler_ours = leaktrack_dump_handler_ours;
std::atomic<bool> g_logged_taken{false};  // each of the two messages is logged once
std::atomic<bool> g_logged_back{false};
std::atomic<bool> g_logged_fallback{false};  // dumps went to the fallback directory
std::atomic<uint32_t> g_ownership_checks{0};
std::atomic<bool> g_dumping{false};
std::atomic<bool> g_pending{false};

// Errors of a dump directory that another directory may not have.
bool WorkingDirectoryRefused(int error) {
  return error == EACCES || error == EPERM || error == EROFS || error == ENOENT ||
         error == ENOSPC || error == EDQUOT;
}

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

// Why the program's owning the dump signal turns dumps on signal off, and what to do instead.
void LogSignalTaken(const char* what, int sig) {
  char name[32];
  if (MainProgramIsGo()) {
    // Not LEAKTRACK_AT_EXIT: a Go program never runs it (InstallDumpTriggers).
    RawLog("%s is taken by the Go runtime, which keeps every signal; dumps on signal are off "
           "(use LEAKTRACK_INTERVAL=<seconds>)",
           SignalName(sig, name, sizeof(name)));
    return;
  }
  RawLog("%s is taken by the program%s; dumps on signal are off (set LEAKTRACK_SIGNAL to a "
         "free signal, e.g. RTMIN+3)", SignalName(sig, name, sizeof(name)), what);
}

bool WriteOneDump() {
  Profiler& p = g_profiler;
  const DumpPlan plan = PlanDump(p);
  Arena arena;
  if (!arena.Init(plan.arena_bytes)) {
    p.stats.dumps_failed.fetch_add(1, std::memory_order_relaxed);
    RawLog("dump failed: cannot map scratch memory (%s)", ErrnoName(errno));
    return false;
  }
  EncodedProfile profile;
  bool ok = false;
  if (!BuildHeapProfile(p, plan, &arena, &profile)) {
    RawLog("dump failed: cannot build the profile (%s)", ErrnoName(errno));
  } else {
    const char* dir = p.config.dir;
    DumpFileResult r = WriteDumpFile(dir, profile.data, profile.size);
    if (!r.ok && p.config.dir[0] == '\0' && WorkingDirectoryRefused(r.error)) {
      // Without LEAKTRACK_DIR dumps go to the working directory, which a service often cannot
      // write: a container's read-only root, / for an unprivileged user. $TMPDIR or /tmp then.
      const DumpFileResult in_tmp =
          WriteDumpFile(p.config.fallback_dir, profile.data, profile.size);
      if (in_tmp.ok) {
        if (!g_logged_fallback.exchange(true, std::memory_order_relaxed))
          RawLog("the working directory cannot take dumps (%s); writing them to %s (set "
                 "LEAKTRACK_DIR to choose)", ErrnoName(r.error), p.config.fallback_dir);
        r = in_tmp;
        dir = p.config.fallback_dir;
      }
    }
    ok = r.ok;
    if (ok) NoteDumpWritten(dir, r.seq, p.config.keep);
    if (!ok) {
      RawLog("dump failed: %s %s: %s; the program continues", r.step, r.path,
             ErrnoName(r.error));
    }
  }
  if (!ok) p.stats.dumps_failed.fetch_add(1, std::memory_order_relaxed);
  arena.Release();
  return ok;
}

void OnDumpSignal(int, siginfo_t*, void*) {
  const int saved_errno = errno;
  ScopedGuard guard;  // a program handler nested in ours must not re-enter the sampler
  DumpNow();
  errno = saved_errno;
}

// Naps of at most this long between the checks that the program still has a thread of its own:
// how long, at most, a process whose main thread called pthread_exit outlives its last thread.
constexpr uint64_t kLastThreadCheckMs = 100;

void* IntervalLoop(void* glibc_thread_count) {
  ScopedGuard guard;  // this thread's own allocations (pthread internals) are not profiled
  const Config& config = g_profiler.config;
  const uint64_t interval_ms = config.interval_ms;
  DumpRequestWatch request_files;
  LastThreadCheck last_thread(static_cast<const unsigned int*>(glibc_thread_count));
  uint32_t served = leaktrack_dump_requested.load(std::memory_order_relaxed);
  leaktrack_dump_listener.store(static_cast<uint32_t>(syscall(SYS_gettid)),
                                std::memory_order_relaxed);
  for (;;) {
    for (uint64_t slept = 0; slept < interval_ms;) {
      const uint64_t ms = interval_ms - slept < kLastThreadCheckMs ? interval_ms - slept
                                                                  : kLastThreadCheckMs;
      struct timespec ts = {static_cast<time_t>(ms / 1000),
                            static_cast<long>(ms % 1000) * 1000000L};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      }
      slept += ms;
      // Returning ends this thread; glibc then ends the process with exit(0), as it would have
      // when the program's last thread exited (last_thread.h).
      if (last_thread.OnlyCallerLeft()) {
        leaktrack_dump_listener.store(0, std::memory_order_relaxed);
        return nullptr;
      }
      // A dump asked for through memory or by a file: now, not at the next period.
      const uint32_t asked = leaktrack_dump_requested.load(std::memory_order_relaxed);
      const bool by_file = request_files.Asked(config.dir, config.fallback_dir);
      if (asked != served || by_file) {
        served = asked;
        DumpNow();
      }
    }
    DumpNow();
  }
}

// Periodic dumps run on their own thread rather than on a timer signal: a signal every few
// seconds would cut short the program's nanosleep/poll/epoll_wait with EINTR, which SA_RESTART
// does not prevent. The thread exists only when LEAKTRACK_INTERVAL is set, and blocks every
// signal so that none meant for the program is delivered to it (TORTURE.md B4).
void StartIntervalThread() {
  if (g_profiler.config.interval_ms == 0) return;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t thread;
  // Looked up here, not on the thread: in a fork child this is the parent's answer already.
  void* count = const_cast<unsigned int*>(GlibcThreadCount());
  const int rc = pthread_create(&thread, &attr, &IntervalLoop, count);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    RawLog("cannot start the interval dump thread (%s); periodic dumps are off", ErrnoName(rc));
    return;
  }
  pthread_setname_np(thread, "leaktrack-dump");
}

void AtExitDump() { DumpNow(); }

void AtForkChild() {
  // The child has only the forking thread: a dump that another thread was writing is gone.
  g_dumping.store(false, std::memory_order_relaxed);
  g_pending.store(false, std::memory_order_relaxed);
  g_profiler.stacks.PauseEviction(false);
  // Unless this thread forked from a signal handler that interrupted its own Intern: that one
  // resumes after the handler, and the slot it holds is still its own.
  if (tls_state.guard == 0) g_profiler.stacks.RepairAfterFork();
  ResetDumpRetentionAfterFork();  // the parent's dumps are the parent's to keep or remove
  // Threads do not survive fork; the child gets its own interval thread, which says its id.
  leaktrack_dump_listener.store(0, std::memory_order_relaxed);
  StartIntervalThread();
}

bool IsOurHandler(const struct sigaction& sa) {
  return (sa.sa_flags & SA_SIGINFO) != 0 && sa.sa_sigaction == &OnDumpSignal;
}

// The exchanges make each transition happen once even when threads race: only the thread that
// flips the flag may log, and only the first flip in each direction logs at all.
void NoteTaken(int sig) {
  if (!g_handler_ours.exchange(false, std::memory_order_relaxed)) return;
  if (g_logged_taken.exchange(true, std::memory_order_relaxed)) return;
  LogSignalTaken(" (it installed its own handler)", sig);
}

void NoteHandedBack(int sig) {
  if (g_handler_ours.exchange(true, std::memory_order_relaxed)) return;
  if (g_logged_back.exchange(true, std::memory_order_relaxed)) return;
  char name[32];
  RawLog("%s is leaktrack's again (the program restored our handler); dumps on signal are on",
         SignalName(sig, name, sizeof(name)));
}

}  // namespace

void NoteSignalDispositionChanged(int sig) {
  // g_installed pairs with the release store in InstallDumpTriggers: config.signal is set then.
  if (!g_installed.load(std::memory_order_acquire) || sig != g_profiler.config.signal) return;
  // Ask the kernel rather than trust the caller's argument: signal(), sigset() and friends
  // describe the handler differently, and another thread may have changed it since.
  struct sigaction now;
  if (RealSigaction(sig, nullptr, &now) != 0) return;
  if (IsOurHandler(now)) {
    NoteHandedBack(sig);
  } else {
    NoteTaken(sig);
  }
}

void CheckDumpSignalOwnership() {
  if (!g_handler_ours.load(std::memory_order_relaxed)) return;
  // Every call at first (a program takes the signal early, then may allocate little), then
  // every 64th: one sigaction() per 64 samples is lost in the unwinding cost.
  const uint32_t n = g_ownership_checks.fetch_add(1, std::memory_order_relaxed);
  if (n >= 1024 && n % 64 != 0) return;
  const int sig = g_profiler.config.signal;
  struct sigaction now;
  if (RealSigaction(sig, nullptr, &now) != 0) return;
  if (!IsOurHandler(now)) NoteTaken(sig);
}

bool DumpSignalIsOursForTesting() { return g_handler_ours.load(std::memory_order_relaxed); }

bool DumpNow() {
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive) return false;
  if (g_dumping.exchange(true, std::memory_order_acq_rel)) {
    g_pending.store(true, std::memory_order_release);
    return true;  // the dump in progress will run once more for us
  }
  bool ok;
  g_profiler.stacks.PauseEviction(true);  // the stacks the dump reads stay put
  do {
    g_pending.store(false, std::memory_order_relaxed);
    ok = WriteOneDump();
  } while (g_pending.load(std::memory_order_acquire));
  g_profiler.stacks.PauseEviction(false);
  g_dumping.store(false, std::memory_order_release);
  return ok;
}

void InstallDumpTriggers() {
  const Config& c = g_profiler.config;
  if (c.signal != 0) {
    struct sigaction old;
    char name[32];
    if (RealSigaction(c.signal, nullptr, &old) == 0 &&
        ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL)) {
      LogSignalTaken("", c.signal);
    } else {
      struct sigaction sa;
      memset(&sa, 0, sizeof(sa));
      sa.sa_sigaction = &OnDumpSignal;
      // SA_RESTART: the program's blocking calls must not see EINTR because of us (D3).
      // SA_ONSTACK: run on the thread's alternate stack if it has one (Go, coroutines).
      sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
      sigfillset(&sa.sa_mask);
      if (RealSigaction(c.signal, &sa, nullptr) == 0) {
        g_handler_ours.store(true, std::memory_order_relaxed);
        g_installed.store(true, std::memory_order_release);  // pairs with NoteSignal...Changed
      } else {
        RawLog("cannot install the %s handler (%s); dumps on signal are off",
               SignalName(c.signal, name, sizeof(name)), ErrnoName(errno));
      }
    }
  }
  static_assert(sizeof(leaktrack_dump_dirs[0]) == sizeof(c.dir) &&
                sizeof(leaktrack_dump_dirs[1]) == sizeof(c.fallback_dir), "same sizes");
  memcpy(leaktrack_dump_dirs[0], c.dir, sizeof(c.dir));
  memcpy(leaktrack_dump_dirs[1], c.fallback_dir, sizeof(c.fallback_dir));
  StartIntervalThread();
  if (c.at_exit) {
    atexit(&AtExitDump);
    // The Go runtime ends the process with the exit_group system call, not libc's exit, so
    // atexit handlers never run there: say so once rather than let the dump silently not come.
    if (MainProgramIsGo()) {
      RawLog("LEAKTRACK_AT_EXIT does nothing in a Go program: the Go runtime exits without "
             "running atexit handlers (use LEAKTRACK_INTERVAL=<seconds>)");
    }
  }
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
