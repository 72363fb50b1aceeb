// Interned call stacks.
//
// StackTable maps a stack (up to kMaxDepth program counters, plus the code generation it was
// captured in: departed_mappings.h) to a small id, which indexes the site's counters
// (site_counters.h) and is kept with every live sampled block (live_table.h).
//
// The table is open addressing over a fixed array, lock-free. A slot's first word is its state:
//   0 = empty; kBusy | hash = claimed, being written (or evicted); hash = published;
//   kBusy alone = vacant (evicted, not reused yet).
// The writer claims with a CAS, fills the slot, then publishes with a release store; readers
// (other inserters, the dump) use acquire loads and skip slots that are not published. An
// inserter that meets a busy slot with its own hash does not wait: it probes on and may create a
// duplicate entry. Duplicates are harmless — pprof adds up samples with equal stacks — and
// waiting inside malloc is not.
//
// Pins and eviction. Every id Intern returns carries one pin, which the caller holds while a
// live sampled block refers to the stack and gives back with Unpin when that block is freed (or
// was never recorded). A table whose entries lived forever (Go's buckets do) stopped recording
// once full, for the rest of the process: a compiler meets ~900 new stacks in 2.5 s, and a
// service that runs for weeks would lose exactly the leak that starts late. So when a new stack
// finds neither its match nor an empty slot within its probe window, it takes the slot of a
// stack nobody pins (no live block: nothing of it is in use): the evict hook folds that stack's
// counts into an aggregate first (site_counters.h), then the slot is refilled. A pinned stack is
// never evicted, so a leaking site keeps its id, its counts and its frames.
//  - Pin and eviction race as a Dekker pair: Intern adds its pin, then reads the state again;
//    the evictor claims the state, then reads the pins (all sequentially consistent). One of
//    them sees the other and backs off, so a stack is never evicted under a pin, and a pin is
//    never taken on a slot that changed stacks.
//  - A dump pauses eviction (PauseEviction): the slots it reads stay put while it reads them.
//  - Frames live in a pool that slots take room from in steps of 8 words; an evicted slot keeps
//    its room for the next stack that fits in it.
//
// Thread-safe and async-signal-safe (atomics only); never allocate after Init.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

namespace leaktrack {

class StackTable {
 public:
  static constexpr int kMaxProbe = 128;
  // Room for frames, in words per stack slot on average (most real stacks are 10-40 deep).
  static constexpr uint64_t kFramesPerStack = 48;

  // Called with a slot's id after it was claimed for eviction and before it is reused: the
  // stack's counters must be folded away and reset there. Runs inside Intern.
  using EvictHook = void (*)(uint64_t id, void* context);

  static size_t MemoryNeeded(uint64_t capacity);
  void Init(void* memory, uint64_t capacity, EvictHook evict = nullptr,
            void* evict_context = nullptr);

  // Returns the id of this stack with one pin taken on it, interning it if new (and evicting an
  // unpinned stack for room if need be), or -1 when there is no room. Equal frames captured in
  // different code generations are different stacks: the same address may have belonged to
  // another library (departed_mappings.h).
  int64_t Intern(const uint64_t* frames, int depth, uint32_t generation = 0);

  // Gives back one pin Intern took. Release: what the caller counted for the stack before (its
  // frees) is seen by whoever evicts it after.
  void Unpin(uint64_t id);

  // While paused (a dump reads the table), no stack is evicted; new stacks that find no room are
  // refused as when eviction was impossible.
  void PauseEviction(bool paused);

  // In a fork child, from the forking thread outside any Intern of its own: a thread that does
  // not exist there may have been inside Intern at the fork, and left a slot marked for
  // eviction (readable by nobody, evictable never) or claimed and never published (a slot lost).
  // Puts them right. Costs nothing when no Intern was in flight at the fork, else one pass over
  // the slots.
  void RepairAfterFork();

  // Reads a published stack. False for ids that are empty or still being written.
  bool Get(uint64_t id, const uint64_t** frames, int* depth,
           uint32_t* generation = nullptr) const;

  uint64_t capacity() const { return mask_ + 1; }
  // Words of the frame pool handed out (an upper bound of the frames all stacks hold).
  uint64_t frames_used() const {
    const uint64_t next = frames_next_.load(std::memory_order_relaxed);
    return next < frames_capacity_ ? next : frames_capacity_;
  }
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

  // Test-only: leaves slot `id` (published, unpinned) as an Intern that vanished at a fork could
  // have: marked by an evictor that went no further, or (claimed) taken by one and never
  // published. RepairAfterFork's case, without a race to wait for.
  void AbandonForTesting(uint64_t id, bool claimed);

 private:
  struct Slot {
    std::atomic<uint64_t> state;
    std::atomic<uint32_t> pins;  // live blocks (and samples being recorded) on this stack
    // The rest is written only by the thread that holds the slot busy, but read by inserters
    // that compare while an evictor rewrites (TryPin then backs off): relaxed atomics.
    std::atomic<uint32_t> offset;      // index of the first frame in frames_
    std::atomic<uint16_t> room;        // frames reserved at offset, kept across evictions
    std::atomic<uint16_t> depth;       // <= room
    std::atomic<uint16_t> generation;  // <= DepartedMappings::kMaxGeneration
  };

  int64_t InternCounted(const uint64_t* frames, int depth, uint32_t generation);
  bool Matches(const Slot& slot, const uint64_t* frames, int depth, uint32_t generation) const;
  // Pins a published slot that holds this stack; false (and no pin) otherwise.
  bool TryPin(Slot& slot, uint64_t hash, const uint64_t* frames, int depth, uint32_t generation);
  // Takes a published slot nobody pins for eviction (its state becomes busy with `hash`) and
  // calls the evict hook; false, with the slot untouched, when it is pinned or eviction paused.
  bool TryEvict(uint64_t index, uint64_t hash);
  // Writes the stack into a slot this thread has claimed; takes room from the pool if the slot's
  // own is too small. False when the pool is exhausted.
  bool Fill(Slot& slot, const uint64_t* frames, int depth, uint32_t generation);

  Slot* slots_ = nullptr;
  uint64_t* frames_ = nullptr;
  uint64_t frames_capacity_ = 0;
  std::atomic<uint64_t> frames_next_{0};
  uint64_t mask_ = 0;
  EvictHook evict_ = nullptr;
  void* evict_context_ = nullptr;
  std::atomic<bool> eviction_paused_{false};
  std::atomic<uint32_t> in_flight_{0};  // Interns under way (RepairAfterFork)
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace leaktrack
