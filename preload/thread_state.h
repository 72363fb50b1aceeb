// Per-thread state of the shim: the sampling countdown and the reentry guard.
//
// It is a plain struct in initial-exec TLS: zero-filled by the loader for every thread, no
// constructor, no destructor, no __tls_get_addr call (which itself may malloc, TORTURE.md B1).
// 24 bytes, far below the 256-byte budget for static TLS (B2). A thread that only frees, or that
// exits, leaves nothing behind.
#pragma once

#include <stdint.h>

namespace leaktrack {

struct ThreadState {
  int64_t bytes_until_sample;  // countdown to the next sample; <= 0 takes the slow path
  uint64_t rng;                // xorshift state; 0 = not seeded yet
  uint32_t guard;              // > 0 while this thread runs shim code: nested calls pass through
  uint32_t reserved;
};

extern __thread ThreadState tls_state __attribute__((tls_model("initial-exec")));

// Marks "this thread is inside the shim" for a scope. Allocations made meanwhile (by libunwind,
// by dlsym, by a program's signal handler that interrupted us) go straight to the real allocator
// and are neither sampled nor unwound, so the shim never re-enters itself.
class ScopedGuard {
 public:
  ScopedGuard() { ++tls_state.guard; }
  ~ScopedGuard() { --tls_state.guard; }
  ScopedGuard(const ScopedGuard&) = delete;
  ScopedGuard& operator=(const ScopedGuard&) = delete;
};

}  // namespace leaktrack
