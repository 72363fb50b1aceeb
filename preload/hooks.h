// What each allocation entry point does around the real call.
//
// interpose.cc exports the libc and C++ names and calls these; they forward to g_real (the next
// allocator) and report to the profiler. Contract, for every hook:
//  - The real call is always made, with the same arguments, and its result and errno are
//    returned unchanged. Our bookkeeping never fails visibly.
//  - Calls nested inside shim code (guard held) and calls before the real allocator is known are
//    passed through untracked (bootstrap pool while resolving).
//  - A sampled block is forgotten *before* the real free/realloc releases it, so the address
//    cannot be handed out again and inserted by another thread while we still hold it.
// Thread-safe; not async-signal-safe (a program's signal handler that calls malloc is as safe
// as without us: we add no locks).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "live_table.h"
#include "profiler.h"
#include "real_alloc.h"
#include "thread_state.h"

namespace leaktrack {

// Slow paths, out of line (hooks.cc).
void* MallocSlow(size_t size);
void FreeSlow(void* ptr);
void OnCountdownExpired(void* p, size_t size);

// Counts a fresh block (or a failed attempt, p == nullptr) against the thread's sampling
// countdown; only when it runs out does the sampler decide and maybe record (sampler.h).
inline void MaybeRecord(void* p, size_t size) {
  ThreadState* ts = &tls_state;
  // Unsigned arithmetic wraps instead of overflowing. A size of 2^63 or more cannot be
  // allocated; it either leaves the countdown positive (harmless) or takes the slow path.
  const uint64_t left = static_cast<uint64_t>(ts->bytes_until_sample) - size;
  if (__builtin_expect(static_cast<int64_t>(left) > 0, 1)) {
    ts->bytes_until_sample = static_cast<int64_t>(left);
    return;
  }
  OnCountdownExpired(p, size);
}

// The two hottest hooks are inline so the exported malloc/free are a single function each.
//
// malloc counts the size down *before* the real call: the sampling decision needs only the
// size, so an unsampled malloc ends in a tail call (jmp) to the real one — one TLS load, a
// compare, a TLS store and the jump, no stack frame. The countdown is never negative (it starts
// at 0 and is only ever set to a drawn gap >= 1, kNeverSample, or a positive remainder), so
// "size < countdown" as unsigned numbers is exactly "countdown - size > 0". The sampled case
// and the very first call on a thread (countdown 0) go to MallocSlow, which calls the real
// malloc and then decides.
inline void* HookMalloc(size_t size) {
#ifdef LEAKTRACK_FAULT_INJECTION
  // Test builds run the same fast path as release builds (the torture matrix tests what users
  // get) until a test forces calls into the bootstrap pool.
  if (ForcedBootstrapPending()) return MallocSlow(size);
#endif
  ThreadState* ts = &tls_state;
  const uint64_t left = static_cast<uint64_t>(ts->bytes_until_sample);
  if (__builtin_expect(size < left, 1)) {
    ts->bytes_until_sample = static_cast<int64_t>(left - size);
    return g_malloc_entry.load(std::memory_order_relaxed)(size);  // resolves on first use
  }
  return MallocSlow(size);
}

// free: one load from the live table's filter decides; an unsampled pointer goes straight to
// the real free (or, while unresolved or once the bootstrap pool has been used, to a function
// that checks for pool blocks first: real_alloc.h).
inline void HookFree(void* ptr) {
  if (__builtin_expect(MaybeSampled(ptr), 0)) {
    FreeSlow(ptr);
    return;
  }
  g_free_entry.load(std::memory_order_relaxed)(ptr);  // free(NULL) too: the real free's business
}

void* CallocSlow(size_t n, size_t size);
void* ReallocSlow(void* ptr, size_t size);

// calloc and realloc count down before the real call too, and end in a tail call when nothing
// else is needed: the countdown does not run out, and (realloc) the old block is neither
// sampled nor a bootstrap-pool block. Everything else, and every call before the real allocator
// is known, goes to the slow path, which does the whole job. (A failed call still counts
// against the countdown, as MaybeRecord does: the draw is about bytes asked for.)
inline void* HookCalloc(size_t n, size_t size) {
#ifdef LEAKTRACK_FAULT_INJECTION
  if (ForcedBootstrapPending()) return CallocSlow(n, size);
#endif
  ThreadState* ts = &tls_state;
  const uint64_t left = static_cast<uint64_t>(ts->bytes_until_sample);
  size_t total;
  if (__builtin_expect(!__builtin_mul_overflow(n, size, &total) && total < left && RealReady(), 1)) {
    ts->bytes_until_sample = static_cast<int64_t>(left - total);
    return g_real.calloc(n, size);
  }
  return CallocSlow(n, size);
}

inline void* HookRealloc(void* ptr, size_t size) {
#ifdef LEAKTRACK_FAULT_INJECTION
  if (ForcedBootstrapPending()) return ReallocSlow(ptr, size);
#endif
  ThreadState* ts = &tls_state;
  const uint64_t left = static_cast<uint64_t>(ts->bytes_until_sample);
  if (__builtin_expect(size < left && !MaybeSampled(ptr) && !InBootstrapPool(ptr) && RealReady(), 1)) {
    ts->bytes_until_sample = static_cast<int64_t>(left - size);
    return g_real.realloc(ptr, size);
  }
  return ReallocSlow(ptr, size);
}
void* HookReallocarray(void* ptr, size_t n, size_t size);
int HookPosixMemalign(void** out, size_t align, size_t size);
void* HookAlignedAlloc(size_t align, size_t size);
void* HookMemalign(size_t align, size_t size);
void* HookValloc(size_t size);
void* HookPvalloc(size_t size);

// Programs such as redis call it on every malloc and free, so it is a single tail call; pool
// blocks and resolution are the entry's start-up values' business (real_alloc.h). NULL goes
// through too: whatever the allocator underneath answers for it is what the program gets
// without us.
inline size_t HookMallocUsableSize(void* ptr) {
  return g_usable_size_entry.load(std::memory_order_relaxed)(ptr);
}

}  // namespace leaktrack
