// See thread_state.h.
#include "thread_state.h"

#include <signal.h>

#include "side_stack.h"

namespace leaktrack {

__thread ThreadState tls_state __attribute__((tls_model("initial-exec")));

bool GuardIsStale(const ThreadState& ts, uintptr_t here) {
  // Strictly deeper: a real nested call. Equal counts as gone: RecordAlloc is tail-called from
  // the hook, so the guarded frame and a later hook's frame can share one address.
  if (ts.guard == 0 || IsOnThreadsSideStack(ts, here) || here < ts.guard_frame) return false;
  if (here - ts.guard_frame > (uintptr_t{64} << 20)) return false;  // another stack entirely
  stack_t ss;
  if (sigaltstack(nullptr, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) != 0) return false;
  return true;
}

}  // namespace leaktrack
