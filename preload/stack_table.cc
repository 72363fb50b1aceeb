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

uint64_t HashFrames(const uint64_t* frames, int depth, uint32_t generation) {
  uint64_t h = 0x84222325cbf29ce4ull ^ static_cast<uint64_t>(depth) ^
               (static_cast<uint64_t>(generation) << 32);
  for (int i = 0; i < depth; ++i) h = (h ^ frames[i]) * 0x100000001b3ull;
  return FinishHash(h);
}

// The claim / fill / publish protocol (stack_table.h). Probes up to max_probe
// slots from the hash's home: a published slot with this hash that `matches` is the answer; an
// empty slot is claimed (state = hash | kBusy), filled by `fill` and published with a release
// store. Returns the slot index, or -1 when the probe finds no room or `fill` fails (the claimed
// slot then stays busy for good; readers skip it).
template <typename Slot, typename Matches, typename Fill>
int64_t InternSlot(Slot* slots, uint64_t mask, uint64_t hash, int max_probe, Matches matches,
                   Fill fill) {
  for (int i = 0; i < max_probe; ++i) {
    const uint64_t index = (hash + i) & mask;
    Slot& slot = slots[index];
    // Claim first: the CAS doubles as the load (on failure it returns the state, with acquire
    // ordering that pairs with publish below). Touching a fresh page with a write maps a new
    // page at once; a load first would map the zero page, and the claim after it would copy that
    // and flush the TLB of every CPU running this process (LiveTable::Insert says more). Only
    // sampled allocations get here, so the write on a hit costs no contention worth measuring.
    uint64_t state = 0;
    if (!slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acquire)) {
      if (state == hash && matches(slot)) return static_cast<int64_t>(index);
      continue;  // another key, or one still being written
    }
    if (!fill(slot)) return -1;
    slot.state.store(hash, std::memory_order_release);  // publish: pairs with the acquire loads
    return static_cast<int64_t>(index);
  }
  return -1;
}

// True when a slot is published (not empty, not still being written).
template <typename Slot>
bool Published(const Slot& slot) {
  const uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish
  return state != 0 && (state & kBusy) == 0;
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

int64_t StackTable::Intern(const uint64_t* frames, int depth, uint32_t generation) {
  if (slots_ == nullptr) return -1;
  const size_t bytes = static_cast<size_t>(depth) * sizeof(uint64_t);
  return InternSlot(
      slots_, mask_, HashFrames(frames, depth, generation), kMaxProbe,
      [&](const Slot& slot) {
        return static_cast<int>(slot.depth) == depth && slot.generation == generation &&
               memcmp(frames_ + slot.offset, frames, bytes) == 0;
      },
      [&](Slot& slot) {
        const uint64_t offset = frames_next_.fetch_add(depth, std::memory_order_relaxed);
        if (offset + depth > frames_capacity_) return false;  // frame pool exhausted
        memcpy(frames_ + offset, frames, bytes);
        slot.depth = static_cast<uint16_t>(depth);
        slot.generation = static_cast<uint16_t>(generation);
        slot.offset = static_cast<uint32_t>(offset);
        return true;
      });
}

bool StackTable::Get(uint64_t id, const uint64_t** frames, int* depth,
                     uint32_t* generation) const {
  if (id > mask_) return false;
  const Slot& slot = slots_[id];
  if (!Published(slot)) return false;
  *frames = frames_ + slot.offset;
  *depth = static_cast<int>(slot.depth);
  if (generation != nullptr) *generation = slot.generation;
  return true;
}

}  // namespace leaktrack
