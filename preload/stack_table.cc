// See stack_table.h.
#include "stack_table.h"

#include <string.h>

namespace leaktrack {
namespace {

constexpr uint64_t kBusy = 1ull << 63;

// A non-zero hash without the busy bit.
uint64_t FinishHash(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h &= ~kBusy;
  return h != 0 ? h : 1;
}

uint64_t HashFrames(const uint64_t* frames, int depth) {
  uint64_t h = 0x84222325cbf29ce4ull ^ static_cast<uint64_t>(depth);
  for (int i = 0; i < depth; ++i) h = (h ^ frames[i]) * 0x100000001b3ull;
  return FinishHash(h);
}

}  // namespace

size_t StackTable::MemoryNeeded(uint64_t capacity) {
  return capacity * sizeof(Slot) + capacity * kFramesPerStack * sizeof(uint64_t);
}

void StackTable::Init(void* memory, uint64_t capacity) {
  slots_ = static_cast<Slot*>(memory);
  frames_ = reinterpret_cast<uint64_t*>(static_cast<char*>(memory) + capacity * sizeof(Slot));
  frames_capacity_ = capacity * kFramesPerStack;
  frames_next_.store(0, std::memory_order_relaxed);
  mask_ = capacity - 1;
}

int64_t StackTable::Intern(const uint64_t* frames, int depth) {
  if (slots_ == nullptr) return -1;
  const uint64_t hash = HashFrames(frames, depth);
  for (int i = 0; i < kMaxProbe; ++i) {
    const uint64_t index = (hash + i) & mask_;
    Slot& slot = slots_[index];
    uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish below
    if (state == hash) {
      if (static_cast<int>(slot.depth) == depth &&
          memcmp(frames_ + slot.offset, frames, depth * sizeof(uint64_t)) == 0) {
        return static_cast<int64_t>(index);
      }
      continue;
    }
    if (state != 0) continue;  // another stack, or one still being written
    if (!slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acquire)) {
      if (state == hash) --i;  // someone published our hash here meanwhile: compare it
      continue;
    }
    const uint64_t offset = frames_next_.fetch_add(depth, std::memory_order_relaxed);
    if (offset + depth > frames_capacity_) {
      // Frame pool exhausted. The slot stays busy for good (dumps skip it); drop the sample.
      return -1;
    }
    memcpy(frames_ + offset, frames, depth * sizeof(uint64_t));
    slot.depth = static_cast<uint32_t>(depth);
    slot.offset = static_cast<uint32_t>(offset);
    slot.state.store(hash, std::memory_order_release);  // publish: pairs with the acquire loads
    return static_cast<int64_t>(index);
  }
  return -1;
}

bool StackTable::Get(uint64_t id, const uint64_t** frames, int* depth) const {
  if (id > mask_) return false;
  const Slot& slot = slots_[id];
  const uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish
  if (state == 0 || (state & kBusy) != 0) return false;
  *frames = frames_ + slot.offset;
  *depth = static_cast<int>(slot.depth);
  return true;
}

size_t BucketTable::MemoryNeeded(uint64_t capacity) { return capacity * sizeof(Slot); }

void BucketTable::Init(void* memory, uint64_t capacity) {
  slots_ = static_cast<Slot*>(memory);
  mask_ = capacity - 1;
}

int64_t BucketTable::Intern(uint32_t stack_id, uint64_t size) {
  if (slots_ == nullptr) return -1;
  const uint64_t hash = FinishHash((static_cast<uint64_t>(stack_id) * 0x9E3779B97F4A7C15ull) ^
                                   (size * 0xC2B2AE3D27D4EB4Full) ^ size);
  for (int i = 0; i < kMaxProbe; ++i) {
    const uint64_t index = (hash + i) & mask_;
    Slot& slot = slots_[index];
    uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish below
    if (state == hash) {
      if (slot.stack_id == stack_id && slot.size == size) return static_cast<int64_t>(index);
      continue;
    }
    if (state != 0) continue;
    if (!slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acquire)) {
      if (state == hash) --i;
      continue;
    }
    slot.stack_id = stack_id;
    slot.size = size;
    slot.state.store(hash, std::memory_order_release);  // publish: pairs with the acquire loads
    return static_cast<int64_t>(index);
  }
  return -1;
}

bool BucketTable::Get(uint64_t id, Snapshot* out) const {
  if (id > mask_) return false;
  const Slot& slot = slots_[id];
  const uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish
  if (state == 0 || (state & kBusy) != 0) return false;
  out->stack_id = slot.stack_id;
  out->size = slot.size;
  // Frees first: a free is always preceded by its alloc, so reading frees before allocs keeps
  // allocs >= frees even while other threads update the counters.
  out->frees = slot.frees.load(std::memory_order_acquire);
  out->allocs = slot.allocs.load(std::memory_order_acquire);
  return true;
}

}  // namespace leaktrack
