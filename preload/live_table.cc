// See live_table.h.
#include "live_table.h"

namespace leaktrack {
namespace {
constexpr uint64_t kEmpty = 0;
constexpr uint64_t kTombstone = 1;
constexpr uintptr_t kMaxTrackable = uintptr_t{1} << 47;
constexpr uint8_t kSaturated = 255;

// Counter updates. A saturated counter no longer counts: it stays "maybe" for good, which costs
// free() a table probe for the pointers that map to it, never a missed sample.
void FilterAdd(std::atomic<uint8_t>* counter) {
  uint8_t v = counter->load(std::memory_order_relaxed);
  while (v != kSaturated && !counter->compare_exchange_weak(v, v + 1, std::memory_order_relaxed)) {
  }
}

void FilterRemove(std::atomic<uint8_t>* counter) {
  uint8_t v = counter->load(std::memory_order_relaxed);
  while (v != kSaturated && !counter->compare_exchange_weak(v, v - 1, std::memory_order_relaxed)) {
  }
}
}  // namespace

std::atomic<uint8_t> LiveTable::empty_filter_[1 << kFilterBits];

size_t LiveTable::MemoryNeeded(uint64_t capacity) {
  return capacity * sizeof(Slot) + (size_t{1} << kFilterBits) * sizeof(uint8_t);
}

void LiveTable::Init(void* memory, uint64_t capacity) {
  slots_ = static_cast<Slot*>(memory);
  filter_ = reinterpret_cast<std::atomic<uint8_t>*>(static_cast<char*>(memory) +
                                                    capacity * sizeof(Slot));
  mask_ = capacity - 1;
}

bool LiveTable::Insert(const void* ptr, uint32_t stack, uint64_t size) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  if (slots_ == nullptr || p >= kMaxTrackable || p < 8 || stack >= kMaxStacks) return false;
  const uint64_t word = (static_cast<uint64_t>(p >> 3) << kStackBits) | stack;
  const size_t home = HomeSlot(ptr);
  for (int i = 0; i < kMaxProbe; ++i) {
    Slot& slot = slots_[(home + i) & mask_];
    // Claim first, look after: the CAS is the first touch of a fresh table page, and a write
    // fault maps a new page directly. A load first would map the shared zero page, and the CAS
    // after it would then copy it and flush the TLB of every CPU running this process (an IPI
    // per page; 3% of malloc_bench's time with two threads, perf). A failed CAS returns the
    // slot's value, as the load did.
    uint64_t seen = kEmpty;
    while (seen == kEmpty || seen == kTombstone) {
      // The pointer reaches another thread only through the program's own synchronisation after
      // malloc returns, which orders these stores before that thread's free. Acquire pairs with
      // Erase's release: the previous owner's read of the size is done before we overwrite it.
      if (slot.key.compare_exchange_weak(seen, word, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
        slot.size.store(size, std::memory_order_relaxed);
        FilterAdd(&filter_[FilterIndex(ptr)]);
        return true;
      }
    }
  }
  return false;
}

bool LiveTable::Erase(const void* ptr, uint32_t* stack, uint64_t* size) {
  const uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  if (slots_ == nullptr || p >= kMaxTrackable) return false;
  const uint64_t key = p >> 3;
  const size_t home = HomeSlot(ptr);
  for (int i = 0; i < kMaxProbe; ++i) {
    Slot& slot = slots_[(home + i) & mask_];
    uint64_t seen = slot.key.load(std::memory_order_relaxed);
    if (seen == kEmpty) return false;
    if (seen != kTombstone && (seen >> kStackBits) == key) {
      // Read before the release: once the tombstone is in, another thread may reuse the slot.
      *size = slot.size.load(std::memory_order_relaxed);
      // Only the thread freeing ptr can erase it, so the CAS cannot lose to another erase; it
      // can only fail spuriously, in which case the word is unchanged and we retry.
      while (!slot.key.compare_exchange_weak(seen, kTombstone, std::memory_order_release,
                                             std::memory_order_relaxed)) {
        if ((seen >> kStackBits) != key) return false;
      }
      FilterRemove(&filter_[FilterIndex(ptr)]);
      *stack = static_cast<uint32_t>(seen & (kMaxStacks - 1));
      return true;
    }
  }
  return false;
}

uint64_t LiveTable::CountForTesting() const {
  uint64_t n = 0;
  for (uint64_t i = 0; i <= mask_; ++i) {
    const uint64_t v = slots_[i].key.load(std::memory_order_relaxed);
    if (v != kEmpty && v != kTombstone) ++n;
  }
  return n;
}

}  // namespace leaktrack
