// See recycled_code.h.
#include "recycled_code.h"

namespace leaktrack {

RecycledCode g_recycled_code;

void RecycledCode::Add(uint64_t start, uint64_t limit) {
  bool expected = false;
  while (!writing_.compare_exchange_weak(expected, true, std::memory_order_acquire)) {
    expected = false;  // another dlclose is adding a range: a few stores, it finishes at once
  }
  // Bounding box first, so a reader that sees the new range also passes the quick check.
  if (start < lo_.load(std::memory_order_relaxed)) lo_.store(start, std::memory_order_relaxed);
  if (limit > hi_.load(std::memory_order_relaxed)) hi_.store(limit, std::memory_order_relaxed);
  const int count = count_.load(std::memory_order_relaxed);
  int slot = -1;
  for (int r = 0; r < count && slot < 0; ++r) {
    if (start >= start_[r].load(std::memory_order_relaxed) &&
        limit <= limit_[r].load(std::memory_order_relaxed))
      slot = r;  // already covered (the usual case: the same plugin at the same address)
  }
  if (slot < 0 && count < kMaxRanges) {
    start_[count].store(start, std::memory_order_relaxed);
    limit_[count].store(limit, std::memory_order_relaxed);
    count_.store(count + 1, std::memory_order_release);  // publish: pairs with AnyIn's acquire
  } else if (slot < 0) {
    // Full: widen the last range. Limit first, then start, so it only ever grows.
    std::atomic<uint64_t>& s = start_[kMaxRanges - 1];
    std::atomic<uint64_t>& l = limit_[kMaxRanges - 1];
    if (limit > l.load(std::memory_order_relaxed)) l.store(limit, std::memory_order_release);
    if (start < s.load(std::memory_order_relaxed)) s.store(start, std::memory_order_release);
  }
  writing_.store(false, std::memory_order_release);
}

}  // namespace leaktrack
