// The program's calls that set a signal's disposition: sigaction, signal and its BSD/System V
// variants, sigset. interpose_signal.cc exports those names and calls these hooks.
//
// Each hook forwards to the next definition (libc's) with the same arguments and returns its
// result and errno unchanged; a query (act == nullptr) returns the truth, our handler included.
// Only afterwards, when the call changed the dump signal, dump_trigger is told, so a program that
// takes the signal is noticed at once, whatever the sampling rate (TORTURE.md D2).
// Never: rewrites, refuses or hides anything the program asks for.
//
// Our own code (InstallDumpTriggers, the ownership check) calls RealSigaction, never the exported
// name, so nothing the shim does counts as the program's.
//
// Async-signal-safe (sigaction and signal are, so their wrappers must be) once the next
// definitions are resolved, which the constructor does. A call that arrives before it (from
// .preinit_array or an earlier constructor) resolves lazily with dlsym, which is not
// signal-safe, but nothing ours is installed yet then. Thread-safe: the slots are atomics.
#pragma once

#include <signal.h>

namespace leaktrack {

// Looks up the next definition of every name interpose_signal.cc exports (dlsym RTLD_NEXT). Call from the constructor; later calls are no-ops. Not signal-safe.
void ResolveRealSignalFunctions();

// The next sigaction, for the shim's own use. -1 with ENOSYS if it cannot be found.
int RealSigaction(int sig, const struct sigaction* act, struct sigaction* old);

int HookSigaction(int sig, const struct sigaction* act, struct sigaction* old);
// The same for glibc's other public name of it, __sigaction (its own next definition).
int HookUnderscoreSigaction(int sig, const struct sigaction* act, struct sigaction* old);

// The signal()-like entry points; they differ only in the semantics the next definition gives.
enum class SignalFn : int {
  kSignal,
  kBsdSignal,
  kSysvSignal,
  kSysvSignalInternal,
  kSigset,
  kSsignal,
  kCount
};

// Calls the next definition of `fn`. SIG_ERR with ENOSYS if it cannot be found.
sighandler_t HookSignal(SignalFn fn, int sig, sighandler_t handler);

}  // namespace leaktrack
