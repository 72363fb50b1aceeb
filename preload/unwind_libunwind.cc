// libunwind backend of unwind.h.
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <elf.h>
#include <libunwind.h>
#include <link.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>

#include "unwind.h"

#include "code_range.h"
#include "fault_injection.h"
#include "go_stack.h"
#include "own_fd.h"
#include "raw_log.h"
#include "recycled_code.h"
#include "side_stack.h"

extern "C" const ElfW(Ehdr) __ehdr_start;  // provided by the linker: our own ELF header, mapped

// Read by our patched libunwind (third_party/libunwind_trace_cache_generation.patch) each time a
// thread's frame cache is used: a cache filled in an older generation is emptied first.
extern "C" {
__attribute__((visibility("hidden"))) unsigned long leaktrack_unwind_code_generation = 0;
}

// libunwind's fast frame walk, the one unw_backtrace runs (src/x86_64/Gtrace.c): internal, but
// linked into us. It follows its per-thread frame cache from the cursor's frame outwards and
// stores each caller's address, not the starting frame's own.
extern "C" int _ULx86_64_tdep_trace(unw_cursor_t* cursor, void** buffer, int* size)
    __attribute__((visibility("hidden")));

namespace leaktrack {
namespace {

CodeRange g_self;  // our text, libunwind's included: it is linked into us
std::atomic<int> g_unwinder_state{0};  // 0 = not set up, 1 = setting up, 2 = ready

// The code of the object whose ELF header is mapped at `base` (the load bias, for shared
// objects whose first segment has p_vaddr 0).
CodeRange CodeOfObjectAt(const char* base) {
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(base);
  if (base == nullptr || ehdr->e_ident[EI_MAG0] != ELFMAG0 || ehdr->e_ident[EI_MAG1] != ELFMAG1)
    return CodeRange();
  return ExecutableSegments(reinterpret_cast<const ElfW(Phdr)*>(base + ehdr->e_phoff),
                            ehdr->e_phnum, reinterpret_cast<uintptr_t>(base));
}

}  // namespace

void InitUnwinder() {
  int expected = 0;
  if (!g_unwinder_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    return;  // done or in progress on another thread; CaptureStack copes with either
  }
  g_self = CodeOfObjectAt(reinterpret_cast<const char*>(&__ehdr_start));
  InitGoStacks();
  // No register-state cache. Without thread-local caches (they would cost ~40 KiB of static TLS
  // per thread) "per-thread" means one global cache behind a mutex, and on a miss its holder
  // looks up unwind tables with dl_iterate_phdr, i.e. takes the loader lock, while a thread that
  // holds the loader lock (malloc inside dlsym) waits for the mutex: an ABBA deadlock (TORTURE.md
  // A3; seen with Debian's build, where the holder's interposed sigprocmask also wanted the
  // loader lock). unw_backtrace keeps its own per-thread frame cache, so the cost is only paid on
  // that cache's misses.
  unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_NONE);
  InitSideStacks();
  g_unwinder_state.store(2, std::memory_order_release);
  // Warm-up: libunwind's one-time initialisation (its memory-validation pipe and mincore probe)
  // happens here rather than inside some unlucky malloc later (libunwind #331, TORTURE.md I3).
  void* warm[4];
  unw_backtrace(warm, 4);
}

namespace {

// Drops our own leading frames from a raw walk of n entries and stores up to max_depth caller
// frames as return address - 1, which lands inside the call instruction (PPROF.md §3). Moving
// down in place is safe: the source index is never below the destination.
int CutOwnFrames(uint64_t* frames, int n, int max_depth, bool* truncated) {
  void** raw = reinterpret_cast<void**>(frames);
  int first = 0;
  while (first < n && g_self.Contains(reinterpret_cast<uintptr_t>(raw[first]))) ++first;
  int depth = n - first;
  *truncated = depth > max_depth;
  if (depth > max_depth) depth = max_depth;
  for (int i = 0; i < depth; ++i) frames[i] = reinterpret_cast<uintptr_t>(raw[first + i]) - 1;
  return depth;
}

// unw_backtrace from here, our own leading frames cut. Always inlined: a frame of its own would
// be one more of ours in the walk than kCaptureSlack allows for.
__attribute__((always_inline)) inline int WalkFromHere(uint64_t* frames, int max_depth,
                                                       bool* truncated) {
  return CutOwnFrames(frames,
                      unw_backtrace(reinterpret_cast<void**>(frames), max_depth + kCaptureSlack),
                      max_depth, truncated);
}

// unw_backtrace's walk, started at the caller's frame instead of the current one. The context
// holds what unw_backtrace's own holds (libunwind's getcontext_trace: rip, rsp, rbp, rbx; the
// fast walk reads nothing else). Returns -1 when the fast walk cannot go all the way (a frame
// without usable unwind rules), as unw_backtrace would then fall back to a full unw_step walk;
// our caller falls back to unw_backtrace itself, which does the same.
// *end_rbp is rbp in the last frame stored (libunwind_trace_last_rbp.patch), for a walk that
// goes on by frame pointers (go_stack.h).
int WalkFromCaller(const CallerRegs& caller, void** buffer, int size, uintptr_t* end_rbp) {
  unw_context_t context;
  context.uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(caller.ip);
  context.uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(caller.sp);
  context.uc_mcontext.gregs[REG_RBP] = static_cast<greg_t>(caller.bp);
  context.uc_mcontext.gregs[REG_RBX] = static_cast<greg_t>(caller.bx);
  unw_cursor_t cursor;
  if (size < 2 || unw_init_local(&cursor, &context) < 0) return -1;
  buffer[0] = reinterpret_cast<void*>(caller.ip);  // the walk stores callers only
  int n = size - 1;
  if (_ULx86_64_tdep_trace(&cursor, buffer + 1, &n) < 0) return -1;
  unw_word_t rbp = 0;
  *end_rbp = unw_get_reg(&cursor, UNW_X86_64_RBP, &rbp) == 0 ? rbp : 0;
  return n + 1;
}

// The walk from the caller's frame and the walk from here, cut, must agree frame for frame
// (LEAKTRACK_TEST_CHECK_UNWIND, test builds only). A difference is a wrong stack in every
// profile, so it is fatal there: every torture case and service run of `make test` has the
// check on, and fails loudly. Level 2 also says once that a walk was checked, for the test that
// must know the check ran; the others compare stderr and keep quiet.
void CheckWalkFromCaller(const uint64_t* frames, int depth, int max_depth) {
  uint64_t* full = static_cast<uint64_t*>(
      __builtin_alloca((max_depth + kCaptureSlack) * sizeof(uint64_t)));
  bool truncated = false;
  const int full_depth = WalkFromHere(full, max_depth, &truncated);
  bool same = full_depth == depth;
  for (int i = 0; same && i < depth; ++i) same = full[i] == frames[i];
  static std::atomic<bool> announced{false};  // so a test can tell that checks ran at all
  if (same && FaultCheckUnwind() >= 2 && !announced.exchange(true, std::memory_order_relaxed)) {
    RawLog("LEAKTRACK_TEST_CHECK_UNWIND: checking walks from the caller (the first: %d frames)",
           depth);
  }
  if (same) return;
  RawLog("LEAKTRACK_TEST_CHECK_UNWIND: the walk from the caller found %d frames, the full "
         "walk %d; first frames 0x%lx and 0x%lx",
         depth, full_depth, depth > 0 ? static_cast<unsigned long>(frames[0]) : 0ul,
         full_depth > 0 ? static_cast<unsigned long>(full[0]) : 0ul);
  abort();
}

// rbp as it was in the frame that resumes at `ip`, found by libunwind's full walk from here
// (unw_step restores every register the frames below saved), for when the fast walk from the
// caller did not run. False when no frame resumes at `ip`.
bool RbpOfFrameAt(uintptr_t ip, int max_frames, uintptr_t* rbp) {
  unw_context_t context;
  if (unw_getcontext(&context) != 0) return false;
  unw_cursor_t cursor;
  if (unw_init_local(&cursor, &context) < 0) return false;
  for (int i = 0; i < max_frames; ++i) {
    unw_word_t pc = 0, bp = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) != 0) return false;
    if (pc == ip) {
      if (unw_get_reg(&cursor, UNW_X86_64_RBP, &bp) != 0) return false;
      *rbp = bp;
      return true;
    }
    if (unw_step(&cursor) <= 0) return false;
  }
  return false;
}

// A walk that ends in runtime.asmcgocall goes on into the Go code that called C (go_stack.h),
// from rbp in that frame: the fast walk's when it ran (end_rbp, not 0), else a full walk's.
int ContinueIntoGo(uint64_t* frames, int depth, int max_depth, bool* truncated,
                   uintptr_t end_rbp) {
  if (end_rbp == 0 &&
      !RbpOfFrameAt(frames[depth - 1] + 1, max_depth + kCaptureSlack, &end_rbp)) {
    return depth;
  }
  return AppendGoFrames(end_rbp, frames, depth, max_depth, truncated);
}

// The fast walk's rbp where it ended in asmcgocall must be the full walk's (test builds, with
// the walk check of CheckWalkFromCaller): a wrong one would start the Go frames anywhere.
void CheckEndRbp(uintptr_t ip, uintptr_t end_rbp, int max_depth) {
  uintptr_t full = 0;
  if (!RbpOfFrameAt(ip, max_depth + kCaptureSlack, &full) || full == end_rbp) return;
  RawLog("LEAKTRACK_TEST_CHECK_UNWIND: rbp where the walk ended: 0x%lx from the fast walk, "
         "0x%lx from the full walk", static_cast<unsigned long>(end_rbp),
         static_cast<unsigned long>(full));
  abort();
}

}  // namespace

int CaptureStack(uint64_t* frames, int max_depth, bool* truncated, bool* through_unloaded,
                 const CallerRegs* caller) {
  *through_unloaded = false;
  if (g_unwinder_state.load(std::memory_order_acquire) != 2) {
    InitUnwinder();
    if (g_unwinder_state.load(std::memory_order_acquire) != 2) return 0;
  }
  static_assert(sizeof(void*) == sizeof(uint64_t), "frames double as unw_backtrace's buffer");
  uintptr_t end_rbp = 0;
  const int n = caller != nullptr ? WalkFromCaller(*caller, reinterpret_cast<void**>(frames),
                                                   max_depth + kCaptureSlack, &end_rbp)
                                  : -1;
  int depth = n >= 0 ? CutOwnFrames(frames, n, max_depth, truncated)
                     : WalkFromHere(frames, max_depth, truncated);
  if (n >= 0 && FaultCheckUnwind() != 0) CheckWalkFromCaller(frames, depth, max_depth);
  if (depth > 0 && !*truncated && InAsmCgoCall(frames[depth - 1] + 1)) {
    if (n >= 0 && FaultCheckUnwind() != 0) CheckEndRbp(frames[depth - 1] + 1, end_rbp, max_depth);
    depth = ContinueIntoGo(frames, depth, max_depth, truncated, n >= 0 ? end_rbp : 0);
  }
  *through_unloaded = g_recycled_code.AnyIn(frames, depth);
  return depth;
}

void ForgetCachedUnwindRules() {
  __atomic_fetch_add(&leaktrack_unwind_code_generation, 1, __ATOMIC_RELEASE);
}

}  // namespace leaktrack

// libunwind's pipe2 and sigprocmask, renamed by third_party/libunwind_force_include.h.
extern "C" int leaktrack_unwind_pipe2(int fds[2], int flags) noexcept {
  if (syscall(SYS_pipe2, fds, flags) != 0) return -1;
  fds[0] = leaktrack::MoveFdHigh(fds[0]);
  fds[1] = leaktrack::MoveFdHigh(fds[1]);
  return 0;
}

extern "C" int leaktrack_unwind_sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  // The kernel's sigset is 8 bytes; glibc's sigset_t is larger and starts with those bytes.
  return static_cast<int>(syscall(SYS_rt_sigprocmask, how, set, old, 8));
}
