// See profiler.h.
#include "profiler.h"

#include <errno.h>
#include <signal.h>
#include <sys/auxv.h>
#include <time.h>

#include "dump_trigger.h"
#include "fault_injection.h"
#include "internal_alloc.h"
#include "raw_log.h"
#include "side_stack.h"
#include "unwind.h"

extern char** environ;

namespace leaktrack {

Profiler g_profiler;

namespace {

// Called by the stack table when it evicts a stack that no live block pins: its counts go into
// the site counters' aggregate (stack_table.h).
void EvictSite(uint64_t id, void* sites) {
  static_cast<SiteCounters*>(sites)->Evict(static_cast<uint32_t>(id));
}

bool MapTables(Profiler* p) {
  const Config& c = p->config;
  // Site records first: they are 64-byte aligned structs, and the mapping is page-aligned.
  const size_t site_bytes = SiteCounters::MemoryNeeded(c.max_stacks);
  const size_t live_bytes = LiveTable::MemoryNeeded(c.max_live);
  const size_t stack_bytes = StackTable::MemoryNeeded(c.max_stacks);
  const size_t departed_bytes = DepartedMappings::MemoryNeeded();
  const size_t bytes = site_bytes + live_bytes + stack_bytes + departed_bytes;
  char* mem = static_cast<char*>(MapMemory(bytes));
  if (mem == nullptr) return false;
  p->tables = mem;
  p->tables_bytes = bytes;
  p->sites.Init(mem, c.max_stacks, c.rate);
  p->live.Init(mem + site_bytes, c.max_live);
  p->stacks.Init(mem + site_bytes + live_bytes, c.max_stacks, &EvictSite, &p->sites);
  p->departed.Init(mem + site_bytes + live_bytes + stack_bytes);
  return true;
}

bool Activate(Profiler* p) {
  if (p->config.rate == 0) return false;
  if (!MapTables(p)) {
    RawLog("cannot map %lu bytes for the tables; profiling is off",
           static_cast<unsigned long>(LiveTable::MemoryNeeded(p->config.max_live)));
    return false;
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  p->start_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + now.tv_nsec;
  return true;
}

}  // namespace

bool EnsureProfilerInit() {
  State s = g_profiler.state.load(std::memory_order_acquire);
  if (s == State::kActive) return true;
  if (s != State::kUninitialized) return false;
  // Before libc has set environ (ld.so allocating during start-up) we cannot read our
  // configuration; stay uninitialised and pass calls through until it is there.
  if (environ == nullptr) return false;
  if (!g_profiler.state.compare_exchange_strong(s, State::kInitializing,
                                                std::memory_order_acq_rel)) {
    return false;  // another thread is initialising; this call is simply not sampled
  }
  ScopedGuard guard;
  const int saved_errno = errno;
  State result = State::kInert;
  // Secure-execution mode (setuid, file capabilities): never read the environment, never write.
  if (getauxval(AT_SECURE) == 0) {
    LoadConfig(&g_profiler.config, g_profiler.config_overrides);
    LoadFaultInjectionFromEnv();
    if (Activate(&g_profiler)) result = State::kActive;
    g_profiler.off_until_attach = g_profiler.config.rate == 0;
  }
  g_profiler.state.store(result, std::memory_order_release);  // pairs with the acquire above
  errno = saved_errno;
  return result == State::kActive;
}

bool InitProfilerForTesting(const Config& config) {
  g_profiler.config = config;
  const bool ok = Activate(&g_profiler);
  g_profiler.state.store(ok ? State::kActive : State::kInert, std::memory_order_release);
  return ok;
}

namespace {

struct Sample {
  void* ptr;
  size_t size;
  const CallerRegs* caller;
};

// The part of RecordAlloc that needs stack: runs on a side stack when one is free.
void RecordOnSideStack(void* arg) {
  const Sample& sample = *static_cast<const Sample*>(arg);
  Profiler& p = g_profiler;
  FaultMaybeRaiseInUnwind();
  // Sized to the configured depth, not the maximum: when no side stack is free this runs on the
  // program's stack, which may be a 16 KiB thread stack or a small alternate signal stack.
  uint64_t* frames = static_cast<uint64_t*>(
      __builtin_alloca((p.config.depth + kCaptureSlack) * sizeof(uint64_t)));
  bool truncated = false;
  // Read before the walk: a library this stack runs through is unloaded, if ever, at this
  // generation or a later one; one unloaded earlier has a smaller one (departed_mappings.h).
  const uint32_t generation = p.departed.generation();
  bool through_unloaded = false;
  const int depth =
      CaptureStack(frames, p.config.depth, &truncated, &through_unloaded, sample.caller);
  if (truncated) p.stats.truncated_stacks.fetch_add(1, std::memory_order_relaxed);
  if (depth == 0) p.stats.empty_stacks.fetch_add(1, std::memory_order_relaxed);
  // A stack through no address range that was ever unloaded resolves alike in every generation:
  // key it as generation 0, so a program that keeps unloading plugins does not get a copy of
  // each of its other stacks per dlclose.
  // Interning pins the stack for the block; the pin goes back when the block is freed
  // (ReleaseSampled), or at once when the block cannot be recorded.
  const int64_t stack = p.stacks.Intern(frames, depth, through_unloaded ? generation : 0);
  if (stack < 0 || stack >= LiveTable::kMaxStacks) {
    if (stack >= 0) p.stacks.Unpin(static_cast<uint64_t>(stack));
    p.stats.dropped_stack_full.fetch_add(1, std::memory_order_relaxed);
  } else {
    FaultMaybeStallInsert();
    if (p.live.Insert(sample.ptr, static_cast<uint32_t>(stack), sample.size)) {
      // Counted only once the pointer is findable, so every counted alloc can be matched by its
      // free: a dropped sample never turns into a phantom leak. (Its free comes after this: the
      // program has the pointer only once malloc returns.)
      p.sites.AddAlloc(static_cast<uint32_t>(stack), sample.size);
    } else {
      p.stacks.Unpin(static_cast<uint64_t>(stack));
      p.stats.dropped_live_full.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace

void RecordAlloc(void* ptr, size_t size, const CallerRegs* caller) {
  ScopedGuard guard;  // taken here, on the program's stack: GuardIsStale compares its frame
  const int saved_errno = errno;  // libunwind may clobber errno; malloc's caller must not see it
  g_profiler.live.PrefetchForInsert(ptr);
  g_profiler.stats.samples.fetch_add(1, std::memory_order_relaxed);
  CheckDumpSignalOwnership();
  if (void (*hook)() = g_profiler.sample_hook.load(std::memory_order_relaxed)) hook();
  Sample sample{ptr, size, caller};
  RunOnSideStack(&RecordOnSideStack, &sample);
  errno = saved_errno;
}

bool ForgetSampled(const void* ptr, SampledBlock* block) {
  if (!g_profiler.live.Erase(ptr, &block->stack, &block->size)) return false;
  g_profiler.sites.AddFree(block->stack, block->size);
  return true;
}

void ReleaseSampled(const SampledBlock& block) { g_profiler.stacks.Unpin(block.stack); }

void RestoreSampled(const void* ptr, const SampledBlock& block) {
  if (g_profiler.live.Insert(ptr, block.stack, block.size)) {
    g_profiler.sites.UndoFree(block.stack, block.size);
  } else {
    ReleaseSampled(block);  // no longer recorded: its free was counted already
    g_profiler.stats.dropped_live_full.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace leaktrack
