// Per-thread state of the shim: the sampling countdown and the reentry guard.
//
// It is a plain struct in initial-exec TLS: zero-filled by the loader for every thread, no
// constructor, no destructor, no __tls_get_addr call (which itself may malloc, TORTURE.md B1).
// 48 bytes, far below the 256-byte budget for static TLS (B2). A thread that only frees, or that
// exits, leaves nothing behind.
#pragma once

#include <stdint.h>

namespace leaktrack {

struct ThreadState {
  int64_t bytes_until_sample;  // countdown to the next sample; <= 0 takes the slow path
  uint64_t rng;                // xorshift state; 0 = not seeded yet
  uint32_t guard;              // > 0 while this thread runs shim code: nested calls pass through
  uint32_t reserved;
  uintptr_t guard_frame;       // frame address where guard went from 0 to 1 (GuardIsStale)
  uintptr_t side_stack;        // base of the side stack the thread is unwinding on, or 0
};

extern __thread ThreadState tls_state
    __attribute__((tls_model("initial-exec"), visibility("hidden")));

// Marks "this thread is inside the shim" for a scope. Allocations made meanwhile (by libunwind,
// by dlsym, by a program's signal handler that interrupted us) go straight to the real allocator
// and are neither sampled nor unwound, so the shim never re-enters itself.
class ScopedGuard {
 public:
  __attribute__((always_inline)) ScopedGuard() {
    if (tls_state.guard++ == 0) {
      tls_state.guard_frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    }
  }
  ~ScopedGuard() { --tls_state.guard; }
  ScopedGuard(const ScopedGuard&) = delete;
  ScopedGuard& operator=(const ScopedGuard&) = delete;
};

// True when the guard is set but the frame that set it is gone: a signal handler that interrupted
// us jumped out with siglongjmp, so the guard's scope never ended (TORTURE.md D4). `frame` is the
// frame address of the hook asking, which calls the guarded code (RecordAlloc) itself: if it is
// above the guard's frame on the same stack, the guarded frame cannot be live any more. A genuine
// nested call (libunwind allocating, a handler on the same stack) runs deeper or on the thread's
// side stack (side_stack.h); a handler on an alternate stack is told apart by sigaltstack().
// Slow path only (a system call).
bool GuardIsStale(const ThreadState& ts, uintptr_t frame);

}  // namespace leaktrack
