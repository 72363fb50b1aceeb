// See attach.h. In the shared object only (with init.cc): it redirects the process's calls to
// the exported names of interpose.cc and interpose_signal.cc.
#include "attach.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>

#include <atomic>

#include "dump_trigger.h"
#include "got_patch.h"
#include "profiler.h"
#include "raw_log.h"
#include "real_alloc.h"
#include "signal_hooks.h"
#include "thread_state.h"
#include "unwind.h"

extern "C" const char __ehdr_start;  // our own ELF header: the linker defines it

// The settings the attach was given (attach.h), exported for `leaktrack dump` to read.
extern "C" {
__attribute__((visibility("default"))) char leaktrack_settings[leaktrack::kAttachSettingsSize];
}

namespace leaktrack {
namespace {

// Every name exports.map lists but our control API: what LD_PRELOAD would have given us.
const char* const kRedirectedNames[] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
    "memalign", "valloc", "pvalloc", "malloc_usable_size",
    "sigaction", "__sigaction", "signal", "bsd_signal", "sysv_signal", "__sysv_signal", "sigset",
    "ssignal",
    "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
    "_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t",
    "_ZdaPvmSt11align_val_t", "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
    "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
    "dlclose",
};
constexpr int kRedirectCount = sizeof(kRedirectedNames) / sizeof(kRedirectedNames[0]);

// Copies a settings list (attach.h) into leaktrack_settings; false when it does not fit.
bool KeepSettings(const char* settings) {
  if (settings == nullptr) return true;
  size_t end = 0;  // where the empty entry that ends the list is
  while (settings[end] != '\0') {  // an entry: past it and its NUL
    end += strnlen(settings + end, kAttachSettingsSize - end) + 1;
    if (end >= kAttachSettingsSize) return false;
  }
  memcpy(leaktrack_settings, settings, end + 1);
  return true;
}

// Written once, by Attach, before any slot leads to us.
bool g_attached = false;
int g_attach_result = 0;
GotRedirect g_redirects[kRedirectCount];

// Objects loaded since the attach, seen through the loader's count of loads (dl_phdr_info's
// dlpi_adds): the count the last complete pass saw, and a flag that keeps passes one at a time.
std::atomic<unsigned long long> g_loads_seen{0};
std::atomic<bool> g_repatching{false};
std::atomic<int> g_unsealed_passes{0};
constexpr int kMaxUnsealedPasses = 64;  // an object that never seals its RELRO stops costing

// leaktrack_attach as the global scope has it: a preloaded shim's (ours or another copy's), or
// null. Not RTLD_DEFAULT: from our code, that searches our own local scope after the global one.
// The main program's handle searches the global scope alone.
void* GlobalAttachEntry() {
  void* global_scope = dlopen(nullptr, RTLD_LAZY);
  return global_scope != nullptr ? dlsym(global_scope, "leaktrack_attach") : nullptr;
}

// Our definitions, from our own symbol table: naming them in code would go through our GOT,
// which the loader bound to the global scope's (libc's) definitions.
bool FindOwnDefinitions(GotRedirect* redirects) {
  Dl_info self;
  if (dladdr(&__ehdr_start, &self) == 0 || self.dli_fname == nullptr) return false;
  void* handle = dlopen(self.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
  if (handle == nullptr) return false;
  for (int i = 0; i < kRedirectCount; i++) {
    const char* name = kRedirectedNames[i];
    redirects[i].name = name;
    redirects[i].replacement = dlsym(handle, name);
    // What the other objects were bound to: the first definition in the global scope, and for a
    // non-PIE executable's own slot (whose global "definition" is its PLT stub) the next one.
    redirects[i].expected[0] = dlsym(RTLD_DEFAULT, name);
    redirects[i].expected[1] = dlsym(RTLD_NEXT, name);
    if (redirects[i].replacement == nullptr) return false;
  }
  return true;
}

// True when the global malloc is defined in the main executable: its own calls to it are direct
// and cannot be redirected (preloaded, we stay passive then: init.cc).
bool ExecutableDefinesMalloc() {
  void* global = dlsym(RTLD_DEFAULT, "malloc");
  Dl_info info;
  Dl_info main_program;  // AT_PHDR lies in the executable's first segment
  return IsDefinitionOutsideUs(global) && dladdr(global, &info) != 0 &&
         dladdr(reinterpret_cast<void*>(getauxval(AT_PHDR)), &main_program) != 0 &&
         info.dli_fbase == main_program.dli_fbase;
}

int ReadLoadCount(struct dl_phdr_info* info, size_t size, void* count) {
  if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
    *static_cast<unsigned long long*>(count) = info->dlpi_adds;
  return 1;  // the first object carries the count
}

unsigned long long LoadCount() {
  unsigned long long count = 0;
  dl_iterate_phdr(&ReadLoadCount, &count);
  return count;
}

// The profiler's sample hook once attached: after the program loaded more code, the new
// objects' slots lead to us too, from the next sample on. Outside the loader's lock, so an
// object still being relocated is left for a later sample (got_patch.h, `unsealed`).
void RepatchAfterLoads() {
  const unsigned long long loads = LoadCount();
  if (loads == g_loads_seen.load(std::memory_order_relaxed)) return;
  if (g_repatching.exchange(true, std::memory_order_acquire)) return;  // another thread is on it
  const GotPatchCounts counts =
      PatchLoadedObjects(g_redirects, kRedirectCount, &__ehdr_start, /*loader_locked=*/false);
  if (counts.unsealed == 0 ||
      g_unsealed_passes.fetch_add(1, std::memory_order_relaxed) >= kMaxUnsealedPasses) {
    g_unsealed_passes.store(0, std::memory_order_relaxed);
    g_loads_seen.store(loads, std::memory_order_relaxed);
  }
  g_repatching.store(false, std::memory_order_release);  // pairs with the exchange above
}

// Our copy is preloaded. On, it profiles already; off only because LEAKTRACK_RATE=0 (never in
// secure-execution mode), it starts now from the settings and the environment, as its
// constructor would have. Every call reaches it already, so nothing is rewritten.
int StartPreloaded(const char* settings) {
  ScopedGuard guard;  // dlsym and dladdr may allocate: those calls pass straight through
  EnsureProfilerInit();  // a no-op, unless the program never allocated yet
  while (g_profiler.state.load(std::memory_order_acquire) == State::kInitializing) sched_yield();
  const State state = g_profiler.state.load(std::memory_order_acquire);
  if (state == State::kActive) return kAttachPreloaded;
  if (state != State::kInert || !g_profiler.off_until_attach) return kAttachProfilerOff;
  // The constructor, finding the profiler off, stopped before this check (init.cc).
  if (IsDefinitionOutsideUs(dlsym(RTLD_DEFAULT, "malloc"))) return kAttachOwnMalloc;
  if (!KeepSettings(settings)) return kAttachBadSettings;
  g_profiler.config_overrides = leaktrack_settings;
  State inert = State::kInert;
  g_profiler.state.compare_exchange_strong(inert, State::kUninitialized, std::memory_order_acq_rel);
  // Another thread's allocation may win the initialisation: it reads the same settings. Other
  // threads' frees meanwhile read the live table's filter pointer as Init sets it: an aligned
  // word, the empty filter or the new one (all zero until a sample), and either answers "not
  // sampled" truly. Nothing else of the tables is read before a thread sees the state active.
  EnsureProfilerInit();
  while (g_profiler.state.load(std::memory_order_acquire) == State::kInitializing) sched_yield();
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive) return kAttachProfilerOff;
  g_profiler.attached = true;
  InitUnwinder();
  InstallDumpTriggers();
  return kAttachStartedPreloaded;
}

int Attach(const char* settings) {
  if (!LoadedLocally()) return StartPreloaded(settings);
  if (GlobalAttachEntry() != nullptr) return kAttachPreloaded;  // another copy interposes
  if (!KeepSettings(settings)) return kAttachBadSettings;
  if (!EnsureRealResolved()) return kAttachProfilerOff;
  ResolveRealSignalFunctions();
  g_attached = true;
  ScopedGuard guard;  // dlsym and dladdr may allocate: those calls pass straight through
  if (ExecutableDefinesMalloc()) return kAttachOwnMalloc;
  if (!FindOwnDefinitions(g_redirects)) {
    RawLog("attach: cannot find our own definitions; not attaching");
    return kAttachProfilerOff;
  }
  // The constructor left the profiler inert: it starts now, from the settings and the
  // environment.
  g_profiler.config_overrides = leaktrack_settings;
  State inert = State::kInert;
  g_profiler.state.compare_exchange_strong(inert, State::kUninitialized, std::memory_order_acq_rel);
  if (!EnsureProfilerInit()) return kAttachProfilerOff;
  g_profiler.attached = true;
  InitUnwinder();
  InstallDumpTriggers();
  // Last: from the first rewritten slot on, calls arrive, and everything they need is ready.
  // Not under the loader's lock: an object another thread is loading right now is left for
  // RepatchAfterLoads, which then runs on the first sample (the count it compares to is 0).
  const unsigned long long loads = LoadCount();
  const GotPatchCounts counts =
      PatchLoadedObjects(g_redirects, kRedirectCount, &__ehdr_start, /*loader_locked=*/false);
  if (counts.unsealed == 0) g_loads_seen.store(loads, std::memory_order_relaxed);
  g_profiler.sample_hook.store(&RepatchAfterLoads, std::memory_order_relaxed);
  if (counts.foreign != 0 || counts.protect_failed != 0) {
    RawLog("attach: %d call slots redirected in %d objects; %d held another tool's function and "
           "%d could not be made writable (left alone)", counts.patched, counts.objects,
           counts.foreign, counts.protect_failed);
  }
  return counts.patched > 0 ? counts.patched : kAttachNothingPatched;
}

}  // namespace

bool LoadedLocally() {
  void* entry = GlobalAttachEntry();
  if (entry == nullptr) return true;
  // Ours or another copy's? Not &leaktrack_attach: that goes through our GOT, which the loader
  // bound to the global scope's definition. Our ELF header is ours.
  Dl_info info;
  return dladdr(entry, &info) == 0 || info.dli_fbase != &__ehdr_start;
}

bool Attached() { return g_attached; }

int AttachNow(const char* settings) {
  // One attach per process: a second call (a second `leaktrack attach` racing the first) gets
  // the first one's answer.
  static std::atomic<int> state{0};  // 0 = not yet, 1 = attaching, 2 = done
  int expected = 0;
  const bool first = state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel);
  if (first) {
    const int saved_errno = errno;
    g_attach_result = Attach(settings);
    errno = saved_errno;
    state.store(2, std::memory_order_release);
  }
  while (state.load(std::memory_order_acquire) != 2) sched_yield();
  // A preloaded shim that an attach started: later ones find it on, as they would have found a
  // shim preloaded on.
  if (g_attach_result == kAttachStartedPreloaded && !first) return kAttachPreloaded;
  return g_attach_result;
}

}  // namespace leaktrack

// The attach itself (attach.h): the number of call slots redirected, or an AttachResult.
// `leaktrack attach` calls it in the process after its dlopen of the shim; `settings` may be
// null (the environment alone).
extern "C" __attribute__((visibility("default"))) int leaktrack_attach(const char* settings) {
  return leaktrack::AttachNow(settings);
}
