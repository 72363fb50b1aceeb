// Address ranges where code was unmapped by dlclose, for keying stacks (TORTURE.md G4).
//
// The profiler interns a stack that touches none of them with generation 0: its addresses have
// had one owner so far, so it resolves alike in every generation (departed_mappings.h). (The
// unwinder's frame caches, keyed by address alone, are emptied on unload instead:
// ForgetCachedUnwindRules in unwind.h.)
//
// A conservative set: ranges only ever grow or get added, never shrink or disappear, so a
// reader never misses a range that was published before it started. When all slots are used,
// the last slot is widened to cover the new range (more stacks keyed by generation, never a
// wrong one).
// Writers are dlclose callers (serialised by a spin flag held for a few stores, never across a
// call); readers are lock-free. Static storage: nothing to set up, valid before start-up ends.
#pragma once

#include <stdint.h>

#include <atomic>

namespace leaktrack {

class RecycledCode {
 public:
  static constexpr int kMaxRanges = 32;

  // Adds [start, limit). Thread-safe; not async-signal-safe (spins on writers).
  void Add(uint64_t start, uint64_t limit);

  // True when any of the n addresses lies in a recycled range. Lock-free; a few loads when no
  // library was ever unloaded.
  bool AnyIn(const uint64_t* addresses, int n) const {
    const int count = count_.load(std::memory_order_acquire);
    if (count == 0) return false;
    const uint64_t lo = lo_.load(std::memory_order_relaxed);
    const uint64_t hi = hi_.load(std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) {
      const uint64_t a = addresses[i];
      if (a < lo || a >= hi) continue;
      for (int r = 0; r < count; ++r) {
        if (a >= start_[r].load(std::memory_order_relaxed) &&
            a < limit_[r].load(std::memory_order_relaxed))
          return true;
      }
    }
    return false;
  }

 private:
  std::atomic<int> count_{0};
  std::atomic<bool> writing_{false};
  std::atomic<uint64_t> lo_{~0ull};  // bounding box of all ranges: the common quick "no"
  std::atomic<uint64_t> hi_{0};
  std::atomic<uint64_t> start_[kMaxRanges] = {};
  std::atomic<uint64_t> limit_[kMaxRanges] = {};
};

extern RecycledCode g_recycled_code;

}  // namespace leaktrack
