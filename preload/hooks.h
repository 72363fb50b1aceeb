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
#include "unwind.h"

namespace leaktrack {

// Slow paths, out of line (hooks.cc).
// MallocSlow charges the countdown itself; MallocCountdownRanOut follows a CountDown that ran out.
// `caller`, when known, is the frame that called into the shim, for the stack walk (unwind.h).
void* MallocSlow(size_t size, const CallerRegs* caller = nullptr);
// An assembly entry stub on x86-64 (hooks.cc): it notes the registers of whoever called or
// jumped to it (the program, when malloc tail-jumps here) and continues in C++ with them.
void* MallocCountdownRanOut(size_t size) __asm__("leaktrack_malloc_countdown_ran_out");
void FreeSlow(void* ptr);
void OnCountdownExpired(void* p, size_t size, const CallerRegs* caller = nullptr);

// Counts a fresh block (or a failed attempt, p == nullptr) against the thread's sampling
// countdown; only when it runs out does the sampler decide and maybe record (sampler.h).
inline void MaybeRecord(void* p, size_t size, const CallerRegs* caller = nullptr) {
  ThreadState* ts = &tls_state;
  // Compared unsigned, as CountDown does: a size of 2^63 or more (a request that cannot be met)
  // runs the countdown out instead of wrapping it into a huge positive one, which would stop
  // this thread's sampling.
  const uint64_t left = static_cast<uint64_t>(ts->bytes_until_sample);
  if (__builtin_expect(size < left, 1)) {
    ts->bytes_until_sample = static_cast<int64_t>(left - size);
    return;
  }
  OnCountdownExpired(p, size, caller);
}

// Charges `size` bytes to the thread's sampling countdown. True while the countdown stays above
// zero: the allocation is not sampled. False when it runs out (size >= countdown, compared
// unsigned, so a size of 2^63 or more, which no malloc can satisfy, runs it out too) or was
// never started (0). A false return leaves old - size behind, which the slow path resets
// before it decides (MallocCountdownRanOut). The second test sends a negative countdown slow:
// one left behind by a signal handler that longjmps out of that short window would otherwise
// read as a huge unsigned number and stop the thread's sampling for good; this way it heals on
// the thread's next malloc.
inline bool CountDown(int64_t* countdown, size_t size) {
#if defined(__x86_64__)
  // One read-modify-write of the TLS slot and two branches on its flags: two instructions fewer
  // on every malloc than the compiler's load, compare, subtract and store. The slot is an input
  // operand with a "memory" clobber, not an output: GCC 12 drops the jump target of an inlined
  // asm goto that has outputs (the slow path vanished and the branch landed in padding).
  asm goto("subq %1, %0\n\tjbe %l[ran_out]\n\tjs %l[ran_out]"
           : /* no outputs */ : "m"(*countdown), "r"(size) : "cc", "memory" : ran_out);
  return true;
ran_out:
  return false;
#else
  const uint64_t left = static_cast<uint64_t>(*countdown);
  *countdown = static_cast<int64_t>(left - size);
  return size < left && *countdown > 0;
#endif
}

// The two hottest hooks are inline so the exported malloc/free are a single function each.
//
// malloc counts the size down *before* the real call: the sampling decision needs only the
// size, so an unsampled malloc ends in a tail call (jmp) to the real one: the countdown's TLS
// offset, one subtraction in memory, two branches and the jump, no stack frame. The sampled case
// and the very first call on a thread (countdown 0) go to MallocCountdownRanOut, which calls the
// real malloc and then decides.
inline void* HookMalloc(size_t size) {
#ifdef LEAKTRACK_FAULT_INJECTION
  // Test builds run the same fast path as release builds (the torture matrix tests what users
  // get) until a test forces calls into the bootstrap pool.
  if (ForcedBootstrapPending()) return MallocSlow(size);
#endif
  if (__builtin_expect(CountDown(&tls_state.bytes_until_sample, size), 1)) {
    return g_malloc_entry.load(std::memory_order_relaxed)(size);  // resolves on first use
  }
  return MallocCountdownRanOut(size);
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

// Assembly entry stubs too, like MallocCountdownRanOut.
void* CallocSlow(size_t n, size_t size) __asm__("leaktrack_calloc_slow");
void* ReallocSlow(void* ptr, size_t size) __asm__("leaktrack_realloc_slow");

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
