// The profiler's process-wide state: configuration, the three tables, and the counters of what
// went wrong. RecordAlloc/RecordFree are the only writers; the dump is the only reader.
//
// Lifecycle: Uninitialised -> Active (tracking) or Inert (forwarding only: secure-execution
// mode, LEAKTRACK_RATE=0, malloc not interposed, or tables could not be mapped). The first entry
// into any hook, or our constructor, whichever comes first, initialises it. Nothing here is ever
// torn down: late frees after exit() must still find valid tables (TORTURE.md C4).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

#include "config.h"
#include "departed_mappings.h"
#include "live_table.h"
#include "site_counters.h"
#include "stack_table.h"
#include "thread_state.h"
#include "unwind.h"

namespace leaktrack {

enum class State : int { kUninitialized = 0, kInitializing = 1, kActive = 2, kInert = 3 };

// Counters reported in every dump (as profile comments). Relaxed atomics: they are statistics.
struct Stats {
  std::atomic<uint64_t> samples{0};
  std::atomic<uint64_t> dropped_live_full{0};
  std::atomic<uint64_t> dropped_stack_full{0};
  std::atomic<uint64_t> empty_stacks{0};
  std::atomic<uint64_t> truncated_stacks{0};
  std::atomic<uint64_t> dumps_failed{0};
  std::atomic<uint64_t> reentrant_calls{0};  // sample points hit while inside the shim
};

struct Profiler {
  std::atomic<State> state{State::kUninitialized};
  Config config;
  StackTable stacks;
  SiteCounters sites;  // indexed by stack id
  LiveTable live;
  DepartedMappings departed;  // code unloaded by dlclose, for the dump (unload_tracker.h)
  // The one mapping the four tables above live in: the dump reports how much of it is resident.
  void* tables = nullptr;
  size_t tables_bytes = 0;
  Stats stats;
  uint64_t start_ns = 0;  // CLOCK_REALTIME at initialisation
  bool attached = false;  // loaded into a running process (attach.h): earlier blocks unseen
  // Inert only because LEAKTRACK_RATE=0: `leaktrack attach` may start it (attach.h), so the
  // hooks keep looking in now and then (hooks.cc). Written before the state, read after it.
  bool off_until_attach = false;
  // Settings that win over the environment's (config.h, LoadConfig): those `leaktrack attach`
  // gave. Null when preloaded.
  const char* config_overrides = nullptr;
  // Called on every sample, outside the program's locks, when set (attach.h: redirects the
  // calls of objects loaded since). Relaxed: set once, before any call reaches the hooks.
  std::atomic<void (*)()> sample_hook{nullptr};
};

// Hidden on the declaration too: free() reads it RIP-relative, not through the GOT.
extern Profiler g_profiler __attribute__((visibility("hidden")));

// Initialises from the environment if that has not happened yet. Safe to call from any hook
// (it holds the thread's guard while it works); a no-op once initialised. Returns true when
// the profiler is active.
bool EnsureProfilerInit();

// Test-only: initialise from an explicit config (no environment, no signal handler).
bool InitProfilerForTesting(const Config& config);

// Records a sampled allocation: unwinds (from `caller`'s frame when given: CaptureStack),
// interns, inserts. Call with the thread's guard NOT held (it takes it). Never fails visibly:
// problems are counted in g_profiler.stats.
void RecordAlloc(void* ptr, size_t size, const CallerRegs* caller = nullptr);

// Fast check before RecordFree; true means "maybe sampled".
inline bool MaybeSampled(const void* ptr) { return g_profiler.live.MaybeContains(ptr); }

// A live sampled block as the tables know it.
struct SampledBlock {
  uint32_t stack;
  uint64_t size;
};

// Forgets a sampled pointer that is being freed and counts the free. False when it was not
// sampled (or its sample was dropped). The block's stack stays pinned (stack_table.h) until
// ReleaseSampled, or RestoreSampled puts the block back.
bool ForgetSampled(const void* ptr, SampledBlock* block);
// Gives back the pin of a forgotten block once it is gone for good.
void ReleaseSampled(const SampledBlock& block);
// Puts back a pointer whose realloc failed (the old block is still live).
void RestoreSampled(const void* ptr, const SampledBlock& block);

}  // namespace leaktrack
