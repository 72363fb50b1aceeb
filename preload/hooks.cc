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

}  // namespace

// The sampler's countdown ran out on this thread (or was never started): decide, and record.
// Out of line so that the hot path of every hook stays a subtraction and a branch.
void OnCountdownExpired(void* p, size_t size, const CallerRegs* caller) {
  ThreadState* ts = &tls_state;
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive &&
      !EnsureProfilerInit()) {
    // Inert for good (rate 0, secure mode, passive): stop coming here. Still uninitialised
    // (no environment yet): come back on the next allocation.
    if (g_profiler.state.load(std::memory_order_acquire) == State::kInert) {
      ts->bytes_until_sample = kNeverSample;
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
  if (MaybeSampled(p)) (void)ForgetSampled(p, &block);
}

}  // namespace

void* MallocSlow(size_t size, const CallerRegs* caller) {
  if (UseBootstrap()) return BootstrapAlloc(size, 16);
  void* p = g_real.malloc(size);
  MaybeRecord(p, size, caller);
  return p;
}

// MallocCountdownRanOut continues here, with the registers of the frame that called it.
extern "C" __attribute__((used)) void* leaktrack_malloc_countdown_ran_out_from(
    size_t size, uintptr_t caller_sp, uintptr_t caller_bp, uintptr_t caller_bx) {
  // CountDown left old - size behind. The decision does not need it (an expired countdown is
  // redrawn, a first one drawn), and 0 is what "not started" reads as: MaybeRecord finds it run
  // out again, and a call the bootstrap pool serves leaves it so, for the next call to come back.
  tls_state.bytes_until_sample = 0;
  const CallerRegs caller{*reinterpret_cast<const uintptr_t*>(caller_sp - 8), caller_sp,
                          caller_bp, caller_bx};
  return MallocSlow(size, &caller);
}

// malloc reaches MallocCountdownRanOut by a jump (operator new by a call), so on entry the
// stack holds the return address into its caller, and rbp and rbx are still the caller's: the
// registers a stack walk starts from. Noting them here lets a sample's walk start in the program
// instead of walking (and then cutting) the ~8 frames of our own below it: a third fewer
// instructions per sample. Only the slow path pays the three instructions. The CFI is the
// default (return address at the CFA - 8), which is exact for a stub that never moves rsp.
#if defined(__x86_64__)
asm(R"(
  .text
  .globl leaktrack_malloc_countdown_ran_out
  .hidden leaktrack_malloc_countdown_ran_out
  .type leaktrack_malloc_countdown_ran_out, @function
leaktrack_malloc_countdown_ran_out:
  .cfi_startproc
  leaq 8(%rsp), %rsi
  movq %rbp, %rdx
  movq %rbx, %rcx
  jmp leaktrack_malloc_countdown_ran_out_from
  .cfi_endproc
  .size leaktrack_malloc_countdown_ran_out, .-leaktrack_malloc_countdown_ran_out
)");
#else
void* MallocCountdownRanOut(size_t size) {
  tls_state.bytes_until_sample = 0;
  return MallocSlow(size);
}
#endif

void FreeSlow(void* ptr) {
  MaybeForget(ptr);
  g_free_entry.load(std::memory_order_acquire)(ptr);  // pool blocks and resolution handled there
}

void* CallocSlow(size_t n, size_t size) {
  if (UseBootstrap()) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
      errno = ENOMEM;
      return nullptr;
    }
    return BootstrapAlloc(total, 16);  // pool memory is static, hence already zero
  }
  void* p = g_real.calloc(n, size);
  if (p != nullptr) MaybeRecord(p, n * size);  // no overflow: calloc succeeded
  return p;
}

void* ReallocSlow(void* ptr, size_t size) {
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
  }
  MaybeRecord(p, size);
  return p;
}

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
