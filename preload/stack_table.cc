// See stack_table.h.
#include "stack_table.h"

namespace leaktrack {
namespace {

constexpr uint64_t kBusy = 1ull << 63;
constexpr uint64_t kVacant = kBusy;  // busy with hash 0, which no stack has
constexpr uint32_t kRoomStep = 8;
constexpr uint32_t kEvicting = 1u << 31;  // in a slot's pins: an evictor holds the slot
constexpr int kMarkWaitSpins = 1024;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

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

bool Published(uint64_t state) { return state != 0 && (state & kBusy) == 0; }

}  // namespace

size_t StackTable::MemoryNeeded(uint64_t capacity) {
  return capacity * sizeof(Slot) + capacity * kFramesPerStack * sizeof(uint64_t);
}

void StackTable::Init(void* memory, uint64_t capacity, EvictHook evict, void* evict_context) {
  slots_ = static_cast<Slot*>(memory);
  frames_ = reinterpret_cast<uint64_t*>(static_cast<char*>(memory) + capacity * sizeof(Slot));
  frames_capacity_ = capacity * kFramesPerStack;
  frames_next_.store(0, std::memory_order_relaxed);
  mask_ = capacity - 1;
  evict_ = evict;
  evict_context_ = evict_context;
  eviction_paused_.store(false, std::memory_order_relaxed);
  evictions_.store(0, std::memory_order_relaxed);
}

// Frames are read and written one relaxed atomic word at a time: an inserter may compare a
// slot's frames while an evictor rewrites them. It then finds the state changed and backs off
// (TryPin), but the read itself must not be a data race.
bool StackTable::Matches(const Slot& slot, const uint64_t* frames, int depth,
                         uint32_t generation) const {
  if (slot.depth.load(std::memory_order_relaxed) != depth ||
      slot.generation.load(std::memory_order_relaxed) != generation)
    return false;
  const uint64_t* mine = frames_ + slot.offset.load(std::memory_order_relaxed);
  for (int i = 0; i < depth; ++i)
    if (__atomic_load_n(&mine[i], __ATOMIC_RELAXED) != frames[i]) return false;
  return true;
}

bool StackTable::TryPin(Slot& slot, uint64_t hash, const uint64_t* frames, int depth,
                        uint32_t generation) {
  if (!Matches(slot, frames, depth, generation)) return false;
  // The pin count arbitrates: an evictor swaps it from 0 to kEvicting, so either it sees our pin
  // and leaves the slot alone, or we see its mark. Then look again: the slot may have changed
  // stacks between the match above and the pin, and cannot any more once pinned.
  const uint32_t before = slot.pins.fetch_add(1, std::memory_order_acq_rel);
  if ((before & kEvicting) == 0 && slot.state.load(std::memory_order_acquire) == hash &&
      Matches(slot, frames, depth, generation))
    return true;
  slot.pins.fetch_sub(1, std::memory_order_release);
  return false;
}

bool StackTable::TryEvict(uint64_t index, uint64_t hash) {
  if (eviction_paused_.load(std::memory_order_relaxed)) return false;  // the common "no"
  Slot& slot = slots_[index];
  uint64_t state = slot.state.load(std::memory_order_acquire);
  if (!Published(state)) return false;
  uint32_t unpinned = 0;
  if (!slot.pins.compare_exchange_strong(unpinned, kEvicting, std::memory_order_seq_cst))
    return false;
  // The Dekker pair with a dump (PauseEviction, then Get): the mark first, then the pause flag.
  // Backing off changes nothing a reader could have seen but the mark. The state is claimed
  // from the stack seen above: if another evictor replaced that stack meanwhile, or left the
  // slot vacant (for any inserter to claim), this one leaves it.
  if (eviction_paused_.load(std::memory_order_seq_cst) ||
      !slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acq_rel)) {
    slot.pins.fetch_sub(kEvicting, std::memory_order_release);
    return false;
  }
  evictions_.fetch_add(1, std::memory_order_relaxed);
  if (evict_ != nullptr) evict_(index, evict_context_);
  return true;
}

bool StackTable::Fill(Slot& slot, const uint64_t* frames, int depth, uint32_t generation) {
  if (slot.room.load(std::memory_order_relaxed) < depth) {
    const uint32_t room = (static_cast<uint32_t>(depth) + kRoomStep - 1) / kRoomStep * kRoomStep;
    const uint64_t offset = frames_next_.fetch_add(room, std::memory_order_relaxed);
    if (offset + room > frames_capacity_) return false;  // frame pool exhausted
    slot.offset.store(static_cast<uint32_t>(offset), std::memory_order_relaxed);
    slot.room.store(static_cast<uint16_t>(room), std::memory_order_relaxed);
  }
  uint64_t* mine = frames_ + slot.offset.load(std::memory_order_relaxed);
  for (int i = 0; i < depth; ++i) __atomic_store_n(&mine[i], frames[i], __ATOMIC_RELAXED);
  slot.depth.store(static_cast<uint16_t>(depth), std::memory_order_relaxed);
  slot.generation.store(static_cast<uint16_t>(generation), std::memory_order_relaxed);
  return true;
}

int64_t StackTable::Intern(const uint64_t* frames, int depth, uint32_t generation) {
  if (slots_ == nullptr) return -1;
  // Counted for a fork child (RepairAfterFork). Acquire keeps the count ahead of every slot
  // write below; release keeps them all ahead of the uncount.
  in_flight_.fetch_add(1, std::memory_order_acquire);
  const int64_t id = InternCounted(frames, depth, generation);
  in_flight_.fetch_sub(1, std::memory_order_release);
  return id;
}

void StackTable::RepairAfterFork() {
  if (slots_ == nullptr || in_flight_.load(std::memory_order_relaxed) == 0) return;
  in_flight_.store(0, std::memory_order_relaxed);
  for (uint64_t i = 0; i <= mask_; ++i) {
    Slot& slot = slots_[i];
    const uint64_t state = slot.state.load(std::memory_order_relaxed);
    const uint32_t pins = slot.pins.load(std::memory_order_relaxed);
    if ((pins & kEvicting) != 0 && Published(state)) {
      // An evictor marked the slot and went no further: the stack is as it was.
      slot.pins.store(pins & ~kEvicting, std::memory_order_relaxed);
    } else if ((state & kBusy) != 0 && state != kVacant) {
      // Claimed and never published: a new stack half written, maybe into an evicted stack's
      // slot whose counts were not folded yet (the hook folds what is left; folding a second
      // time adds nothing but one to the count of evicted stacks). No id of it was handed out.
      if ((pins & kEvicting) != 0 && evict_ != nullptr) evict_(i, evict_context_);
      slot.pins.store(0, std::memory_order_relaxed);
      slot.state.store(kVacant, std::memory_order_release);
    }
  }
}

void StackTable::AbandonForTesting(uint64_t id, bool claimed) {
  Slot& slot = slots_[id];
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  slot.pins.fetch_add(kEvicting, std::memory_order_relaxed);
  if (claimed) slot.state.fetch_or(kBusy, std::memory_order_relaxed);
}

int64_t StackTable::InternCounted(const uint64_t* frames, int depth, uint32_t generation) {
  const uint64_t hash = HashFrames(frames, depth, generation);
  // The slot is ours (busy): fill it, pin it for the caller, publish. `evicted`: TryEvict took
  // it, and its pins hold the kEvicting mark. The pins are adjusted, never stored: an inserter
  // that pinned this slot by mistake a moment ago (TryPin) may still be taking its pin back. The
  // mark goes with a release, after the state changed (TryEvict made it busy): Get relies on
  // that order.
  auto take = [&](Slot& slot, bool evicted) -> bool {
    if (!Fill(slot, frames, depth, generation)) {
      slot.state.store(kVacant, std::memory_order_release);
      if (evicted) slot.pins.fetch_sub(kEvicting, std::memory_order_release);
      return false;
    }
    if (evicted)
      slot.pins.fetch_sub(kEvicting - 1, std::memory_order_release);
    else
      slot.pins.fetch_add(1, std::memory_order_relaxed);
    slot.state.store(hash, std::memory_order_release);  // publish: pairs with acquire loads
    return true;
  };
  // First pass: this stack's slot, or the first empty one in the window.
  for (int i = 0; i < kMaxProbe; ++i) {
    const uint64_t index = (hash + i) & mask_;
    Slot& slot = slots_[index];
    // Claim first: the CAS doubles as the load (on failure it returns the state, with acquire
    // ordering that pairs with publish). Touching a fresh page with a write maps a new page at
    // once; a load first would map the zero page, and the claim after it would copy that and
    // flush the TLB of every CPU running this process (LiveTable::Insert says more). Only
    // sampled allocations get here, so the write on a hit costs no contention worth measuring.
    uint64_t state = 0;
    if (slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acquire)) {
      if (take(slot, /*evicted=*/false)) return static_cast<int64_t>(index);
      break;  // the pool is exhausted: only a slot with room of its own can take the stack
    }
    if (state == hash && TryPin(slot, hash, frames, depth, generation))
      return static_cast<int64_t>(index);
  }
  // Second pass, when the window is full: a vacant slot, or one whose stack nobody pins.
  for (int i = 0; i < kMaxProbe; ++i) {
    const uint64_t index = (hash + i) & mask_;
    Slot& slot = slots_[index];
    if (slot.room.load(std::memory_order_relaxed) < depth &&
        frames_next_.load(std::memory_order_relaxed) >= frames_capacity_)
      continue;  // it could not hold the stack
    uint64_t state = kVacant;
    bool evicted = false;
    if (!slot.state.compare_exchange_strong(state, hash | kBusy, std::memory_order_acquire)) {
      evicted = TryEvict(index, hash);
      if (!evicted) continue;
    }
    if (take(slot, evicted)) return static_cast<int64_t>(index);
  }
  return -1;
}

void StackTable::Unpin(uint64_t id) {
  if (slots_ == nullptr || id > mask_) return;
  slots_[id].pins.fetch_sub(1, std::memory_order_release);
}

void StackTable::PauseEviction(bool paused) {
  eviction_paused_.store(paused, std::memory_order_seq_cst);
}

bool StackTable::Get(uint64_t id, const uint64_t** frames, int* depth,
                     uint32_t* generation) const {
  if (id > mask_) return false;
  const Slot& slot = slots_[id];
  const uint64_t state = slot.state.load(std::memory_order_acquire);  // pairs with publish
  if (!Published(state)) return false;
  // A marked slot: an evictor is at work. If it marked the slot before a dump paused eviction,
  // it may take it; if after, it sees the pause and unmarks at once, so wait a moment for that
  // (a bounded wait: the evictor may be the very thread this dump interrupted). Once unmarked,
  // a state that still reads the same means nobody took the slot (an evictor changes the state
  // before it unmarks, with release), and the stack stays as read while eviction is paused.
  for (int spins = 0; (slot.pins.load(std::memory_order_seq_cst) & kEvicting) != 0; ++spins) {
    if (spins == kMarkWaitSpins) return false;
    CpuRelax();
  }
  if (slot.state.load(std::memory_order_acquire) != state) return false;
  *frames = frames_ + slot.offset.load(std::memory_order_relaxed);
  *depth = slot.depth.load(std::memory_order_relaxed);
  if (generation != nullptr) *generation = slot.generation.load(std::memory_order_relaxed);
  return true;
}

}  // namespace leaktrack
