// See hooks.h.
#include "hooks.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "profiler.h"
#include "real_alloc.h"
#include "sampler.h"
#include "side_stack.h"

namespace leaktrack {
namespace {

// True when the call must bypass the real allocator and use the bootstrap pool.
inline bool UseBootstrap() {
  if (__builtin_expect(!RealReady(), 0)) {
    if (!EnsureRealResolved()) return true;
  }
#ifdef LEAKTRACK_FAULT_INJECTION
  if (TakeForcedBootstrap()) return true;
#endif
  return false;
}

constexpr int64_t kNeverSample = int64_t{1} << 62;
// Off until `leaktrack attach` starts it (LEAKTRACK_RATE=0, attach.h): a thread looks in again
// after this many bytes, so once started it samples from its next 64 KiB on (an eighth of the
// default mean gap; the gap after is drawn fresh: sampler.h). The price while off: one slow
// call per 64 KiB a thread allocates.
constexpr int64_t kOffRecheckBytes = int64_t{64} << 10;

}  // namespace

// The sampler's countdown ran out on this thread (or was never started): decide, and record.
// Out of line so that the hot path of every hook stays a subtraction and a branch.
void OnCountdownExpired(void* p, size_t size, const CallerRegs* caller) {
  ThreadState* ts = &tls_state;
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive &&
      !EnsureProfilerInit()) {
    // Inert for good (secure mode, passive): stop coming here; off (rate 0): look in now and
    // then. Still uninitialised (no environment yet): come back on the next allocation.
    if (g_profiler.state.load(std::memory_order_acquire) == State::kInert) {
      ts->bytes_until_sample = g_profiler.off_until_attach ? kOffRecheckBytes : kNeverSample;
    }
    return;
  }
  // Guarded (nested) and failed allocations also count down: each allocation is sampled
  // independently with p(size), so skipping some samples does not bias the others.
  if (!ShouldSampleSlow(ts, size, g_profiler.config.rate) || p == nullptr) return;
  if (ts->guard != 0) {
    if (!GuardIsStale(*ts, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)))) {
      g_profiler.stats.reentrant_calls.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ts->guard = 0;  // left behind by a siglongjmp out of our code: this thread is ours again
    ReleaseAbandonedSideStack(ts);
  }
  RecordAlloc(p, size, caller);
}

namespace {

// Forgets p if it was sampled. Cheap when it was not: one load from the live table's filter.
inline void MaybeForget(void* p) {
  SampledBlock block;
  if (MaybeSampled(p) && ForgetSampled(p, &block)) ReleaseSampled(block);
}

}  // namespace

void* MallocSlow(size_t size, const CallerRegs* caller) {
  if (UseBootstrap()) return BootstrapAlloc(size, 16);
  void* p = g_real.malloc(size);
  MaybeRecord(p, size, caller);
  return p;
}

void FreeSlow(void* ptr) {
  MaybeForget(ptr);
  g_free_entry.load(std::memory_order_acquire)(ptr);  // pool blocks and resolution handled there
}

namespace {

// The stubs below pass the caller's stack pointer (just above the return address), rbp and rbx.
CallerRegs CallerAt(uintptr_t sp, uintptr_t bp, uintptr_t bx) {
  return CallerRegs{*reinterpret_cast<const uintptr_t*>(sp - 8), sp, bp, bx};
}

void* CallocSlowFrom(size_t n, size_t size, const CallerRegs* caller) {
  if (UseBootstrap()) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
      errno = ENOMEM;
      return nullptr;
    }
    return BootstrapAlloc(total, 16);  // pool memory is static, hence already zero
  }
  void* p = g_real.calloc(n, size);
  if (p != nullptr) MaybeRecord(p, n * size, caller);  // no overflow: calloc succeeded
  return p;
}

void* ReallocSlowFrom(void* ptr, size_t size, const CallerRegs* caller) {
  if (ptr != nullptr && InBootstrapPool(ptr)) {
    // Move out of the pool into the real heap; the pool block is simply abandoned.
    void* fresh = HookMalloc(size == 0 ? 1 : size);
    if (fresh != nullptr) {
      const size_t old = BootstrapUsableSize(ptr);
      memcpy(fresh, ptr, old < size ? old : size);
    }
    return fresh;
  }
  if (UseBootstrap()) {
    if (ptr == nullptr) return BootstrapAlloc(size, 16);
    // A real block while calls are served from the pool (forced in tests): move it into the
    // pool, as realloc would move it anywhere else.
    if (!RealReady()) {
      errno = ENOMEM;
      return nullptr;
    }
    void* fresh = size == 0 ? nullptr : BootstrapAlloc(size, 16);
    if (size != 0 && fresh == nullptr) return nullptr;  // the old block stays valid
    if (fresh != nullptr) {
      const size_t old = g_real.malloc_usable_size != nullptr ? g_real.malloc_usable_size(ptr) : size;
      memcpy(fresh, ptr, old < size ? old : size);
    }
    MaybeForget(ptr);
    g_real.free(ptr);
    return fresh;
  }
  SampledBlock block{};
  const bool was_sampled = ptr != nullptr && MaybeSampled(ptr) && ForgetSampled(ptr, &block);
  void* p = g_real.realloc(ptr, size);
  if (p == nullptr && size != 0 && was_sampled) {
    RestoreSampled(ptr, block);  // failed: the old block is still live and still ours
  } else if (was_sampled) {
    ReleaseSampled(block);
  }
  MaybeRecord(p, size, caller);
  return p;
}

}  // namespace

// The slow paths that malloc, calloc and realloc jump to (operator new calls the first) are
// entered through the stubs below. On entry the stack holds the return address into the
// caller, and rbp and rbx are still the caller's: the registers a stack walk starts from.
// Passing them on lets a sample's walk start in the program instead of walking (and then
// cutting) the ~8 frames of our own below it: a third fewer instructions per sample
// (CaptureStack). Only the slow paths pay the three instructions. Each continuation takes them
// after its own arguments, hence the registers named per stub. The CFI is the default (return
// address at CFA - 8), which is exact for a stub that never moves rsp.
extern "C" __attribute__((used)) void* leaktrack_malloc_countdown_ran_out_from(
    size_t size, uintptr_t sp, uintptr_t bp, uintptr_t bx) {
  // CountDown left old - size behind. The decision does not need it (an expired countdown is
  // redrawn, a first one drawn), and 0 is what "not started" reads as: MaybeRecord finds it run
  // out again, and a call the bootstrap pool serves leaves it so, for the next call to come back.
  tls_state.bytes_until_sample = 0;
  const CallerRegs caller = CallerAt(sp, bp, bx);
  return MallocSlow(size, &caller);
}

extern "C" __attribute__((used)) void* leaktrack_calloc_slow_from(size_t n, size_t size,
                                                                  uintptr_t sp, uintptr_t bp,
                                                                  uintptr_t bx) {
  const CallerRegs caller = CallerAt(sp, bp, bx);
  return CallocSlowFrom(n, size, &caller);
}

extern "C" __attribute__((used)) void* leaktrack_realloc_slow_from(void* ptr, size_t size,
                                                                   uintptr_t sp, uintptr_t bp,
                                                                   uintptr_t bx) {
  const CallerRegs caller = CallerAt(sp, bp, bx);
  return ReallocSlowFrom(ptr, size, &caller);
}

#if defined(__x86_64__)
#define LEAKTRACK_CALLER_STUB(stub, next, sp_reg, bp_reg, bx_reg)                      \
  asm(".text\n.globl " #stub "\n.hidden " #stub "\n.type " #stub ", @function\n" #stub \
      ":\n.cfi_startproc\n"                                                             \
      "leaq 8(%rsp), %" #sp_reg "\nmovq %rbp, %" #bp_reg "\nmovq %rbx, %" #bx_reg "\n" \
      "jmp " #next "\n.cfi_endproc\n.size " #stub ", .-" #stub "\n")
LEAKTRACK_CALLER_STUB(leaktrack_malloc_countdown_ran_out, leaktrack_malloc_countdown_ran_out_from,
                      rsi, rdx, rcx);
LEAKTRACK_CALLER_STUB(leaktrack_calloc_slow, leaktrack_calloc_slow_from, rdx, rcx, r8);
LEAKTRACK_CALLER_STUB(leaktrack_realloc_slow, leaktrack_realloc_slow_from, rdx, rcx, r8);
#undef LEAKTRACK_CALLER_STUB
#else
void* MallocCountdownRanOut(size_t size) {
  tls_state.bytes_until_sample = 0;
  return MallocSlow(size);
}
void* CallocSlow(size_t n, size_t size) { return CallocSlowFrom(n, size, nullptr); }
void* ReallocSlow(void* ptr, size_t size) { return ReallocSlowFrom(ptr, size, nullptr); }
#endif

void* HookReallocarray(void* ptr, size_t n, size_t size) {
  // reallocarray is realloc with an overflow check. glibc's own calls realloc through the PLT,
  // that is, our hook again, which would count the block twice; so we do the check ourselves.
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return HookRealloc(ptr, total);
}

int HookPosixMemalign(void** out, size_t align, size_t size) {
  if (UseBootstrap()) {
    if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
    void* p = BootstrapAlloc(size, align);
    if (p == nullptr) return ENOMEM;
    *out = p;
    return 0;
  }
  const int rc = g_real.posix_memalign(out, align, size);
  if (rc == 0) MaybeRecord(*out, size);
  return rc;
}

void* HookAlignedAlloc(size_t align, size_t size) {
  if (UseBootstrap()) return BootstrapAlloc(size, align);
  void* p = g_real.aligned_alloc(align, size);
  MaybeRecord(p, size);
  return p;
}

void* HookMemalign(size_t align, size_t size) {
  if (UseBootstrap()) return BootstrapAlloc(size, align);
  void* p = g_real.memalign(align, size);
  MaybeRecord(p, size);
  return p;
}

void* HookValloc(size_t size) {
  if (UseBootstrap()) return BootstrapAlloc(size, 4096);
  void* p = g_real.valloc(size);
  MaybeRecord(p, size);
  return p;
}

void* HookPvalloc(size_t size) {
  if (UseBootstrap()) return BootstrapAlloc((size + 4095) & ~size_t{4095}, 4096);
  void* p = g_real.pvalloc(size);
  MaybeRecord(p, size);
  return p;
}

}  // namespace leaktrack
