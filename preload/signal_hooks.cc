// See signal_hooks.h.
#include "signal_hooks.h"

#include <dlfcn.h>
#include <errno.h>

#include <atomic>

#include "dump_trigger.h"
#include "thread_state.h"

namespace leaktrack {
namespace {

constexpr int kNumSignalFns = static_cast<int>(SignalFn::kCount);
// Indexed by SignalFn. glibc exports sysv_signal and __sysv_signal as separate names: strict ISO
// C builds (-std=c11) call signal() as __sysv_signal through a header redirect.
const char* const kSignalFnNames[kNumSignalFns] = {"signal", "bsd_signal", "sysv_signal",
                                                   "__sysv_signal", "sigset", "ssignal"};

std::atomic<void*> g_next_sigaction{nullptr};
std::atomic<void*> g_next_underscore_sigaction{nullptr};
std::atomic<void*> g_next_signal_fns[kNumSignalFns];

// The next definition of name, looked up once. Two threads racing here store the same value.
void* Next(std::atomic<void*>* slot, const char* name) {
  void* fn = slot->load(std::memory_order_acquire);  // pairs with the release below
  if (fn != nullptr) return fn;
  ScopedGuard guard;  // dlsym may allocate: those calls pass straight to the real allocator
  fn = dlsym(RTLD_NEXT, name);
  slot->store(fn, std::memory_order_release);
  return fn;
}

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);
using SignalLikeFn = sighandler_t (*)(int, sighandler_t);

// Calls the next definition of name (looked up into slot). -1 with ENOSYS if there is none.
int CallNextSigaction(std::atomic<void*>* slot, const char* name, int sig,
                      const struct sigaction* act, struct sigaction* old) {
  auto fn = reinterpret_cast<SigactionFn>(Next(slot, name));
  if (fn == nullptr) {
    errno = ENOSYS;
    return -1;
  }
  return fn(sig, act, old);
}

// CallNextSigaction, then tells dump_trigger when a disposition changed.
int HookSigactionVia(std::atomic<void*>* slot, const char* name, int sig,
                     const struct sigaction* act, struct sigaction* old) {
  const int rc = CallNextSigaction(slot, name, sig, act, old);
  if (rc == 0 && act != nullptr) {
    const int saved_errno = errno;
    NoteSignalDispositionChanged(sig);
    errno = saved_errno;
  }
  return rc;
}

}  // namespace

void ResolveRealSignalFunctions() {
  Next(&g_next_sigaction, "sigaction");
  Next(&g_next_underscore_sigaction, "__sigaction");
  for (int i = 0; i < kNumSignalFns; i++) Next(&g_next_signal_fns[i], kSignalFnNames[i]);
}

int RealSigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return CallNextSigaction(&g_next_sigaction, "sigaction", sig, act, old);
}

int HookSigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return HookSigactionVia(&g_next_sigaction, "sigaction", sig, act, old);
}

int HookUnderscoreSigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  return HookSigactionVia(&g_next_underscore_sigaction, "__sigaction", sig, act, old);
}

sighandler_t HookSignal(SignalFn which, int sig, sighandler_t handler) {
  const int i = static_cast<int>(which);
  auto fn = reinterpret_cast<SignalLikeFn>(Next(&g_next_signal_fns[i], kSignalFnNames[i]));
  if (fn == nullptr) {
    errno = ENOSYS;
    return SIG_ERR;
  }
  const sighandler_t prev = fn(sig, handler);
  if (prev != SIG_ERR) {
    const int saved_errno = errno;
    NoteSignalDispositionChanged(sig);
    errno = saved_errno;
  }
  return prev;
}

}  // namespace leaktrack
