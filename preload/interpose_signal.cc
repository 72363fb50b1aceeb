// The exported signal-disposition names: sigaction, __sigaction, signal, bsd_signal,
// sysv_signal, __sysv_signal, sigset, ssignal. Each body only forwards to a hook (signal_hooks.h),
// which calls the next definition unchanged and then tells dump_trigger whether the program took
// the dump signal.
// Kept apart from interpose.cc (the allocation names): nothing here touches the heap.
//
// Not wrapped: the raw rt_sigaction system call (Go without cgo uses it); the periodic check on
// the sampling slow path covers it.
#include <signal.h>

#include "signal_hooks.h"

using leaktrack::HookSignal;
using leaktrack::SignalFn;

#define LT_EXPORT extern "C" __attribute__((visibility("default")))

LT_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) noexcept {
  return leaktrack::HookSigaction(sig, act, old);
}
LT_EXPORT int __sigaction(int sig, const struct sigaction* act, struct sigaction* old) noexcept {
  return leaktrack::HookUnderscoreSigaction(sig, act, old);
}
LT_EXPORT sighandler_t signal(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kSignal, sig, handler);
}
LT_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kBsdSignal, sig, handler);
}
LT_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kSysvSignal, sig, handler);
}
LT_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kSysvSignalInternal, sig, handler);
}
LT_EXPORT sighandler_t sigset(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kSigset, sig, handler);
}
LT_EXPORT sighandler_t ssignal(int sig, sighandler_t handler) noexcept {
  return HookSignal(SignalFn::kSsignal, sig, handler);
}
