// Process start-up: the shared object's constructor.
//
// Allocation may start long before this runs (ld.so, .preinit_array, earlier constructors); the
// hooks initialise lazily for that (profiler.h). The constructor does what needs a calm,
// single-threaded moment: check that we really are the malloc the program calls, warm up the
// unwinder, and install the dump triggers.
#include <dlfcn.h>

#include "attach.h"
#include "dump_trigger.h"
#include "follow_exec.h"
#include "profiler.h"
#include "raw_log.h"
#include "real_alloc.h"
#include "signal_hooks.h"
#include "thread_state.h"
#include "unwind.h"

namespace leaktrack {
namespace {

__attribute__((constructor)) void LeaktrackInit() {
  RememberStderr();
  // Loaded by dlopen rather than preloaded: nothing is interposed, and the shim stays inert
  // (its malloc, called through a dlsym pointer, only forwards) until `leaktrack attach` calls
  // leaktrack_attach() (attach.h).
  if (LoadedLocally()) {
    g_profiler.state.store(State::kInert, std::memory_order_release);
    return;
  }
  if (!EnsureRealResolved()) return;
  // First, whatever state we end in, and while dlsym is safe to call: from now on the program's
  // sigaction/signal calls forward without a lookup (they may come from signal handlers).
  ResolveRealSignalFunctions();
  const bool active = EnsureProfilerInit();
  // Whether or not we profile this process, the programs it runs are as the user asked (C3).
  if (!g_profiler.config.follow_exec) StopFollowingExec();
  if (!active) return;
  ScopedGuard guard;
  // If the executable or an earlier preload defines malloc, that one serves the program and we
  // would only see the odd function it lacks: stay passive rather than report nonsense (F1/F2).
  void* global_malloc = dlsym(RTLD_DEFAULT, "malloc");
  if (IsDefinitionOutsideUs(global_malloc)) {
    Dl_info info{};
    dladdr(global_malloc, &info);
    RawLog("malloc is not interposed (%s defines it first); leaktrack stays passive",
           info.dli_fname != nullptr ? info.dli_fname : "another object");
    g_profiler.state.store(State::kInert, std::memory_order_release);
    return;
  }
  InitUnwinder();
  InstallDumpTriggers();
}

}  // namespace
}  // namespace leaktrack
