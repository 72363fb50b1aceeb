// Interned call stacks.
//
// StackTable maps a stack (up to kMaxDepth program counters, plus the code generation it was
// captured in: departed_mappings.h) to a small id, which indexes the site's counters
// (site_counters.h) and is kept with every live sampled block (live_table.h).
//
// The table is open addressing over a fixed array, lock-free. A slot's first word is its state:
//   0 = empty; kBusy | hash = claimed, being written; hash = published (immutable from then on).
// The writer claims with a CAS, fills the slot, then publishes with a release store; readers
// (other inserters, the dump) use acquire loads and skip slots that are still busy. An inserter
// that meets a busy slot with its own hash does not wait: it probes on and may create a duplicate
// entry. Duplicates are harmless — pprof adds up samples with equal stacks — and waiting inside
// malloc is not. Entries are never removed, so ids are stable for the life of the process.
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

  static size_t MemoryNeeded(uint64_t capacity);
  void Init(void* memory, uint64_t capacity);

  // Returns the id of this stack, interning it if new, or -1 when the table or the frame pool is
  // full. Equal frames captured in different code generations are different stacks: the same
  // address may have belonged to another library (departed_mappings.h).
  int64_t Intern(const uint64_t* frames, int depth, uint32_t generation = 0);

  // Reads a published stack. False for ids that are empty or still being written.
  bool Get(uint64_t id, const uint64_t** frames, int* depth,
           uint32_t* generation = nullptr) const;

  uint64_t capacity() const { return mask_ + 1; }
  uint64_t frames_used() const { return frames_next_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<uint64_t> state;
    uint32_t offset;      // index of the first frame in frames_
    uint16_t depth;       // <= kMaxDepth
    uint16_t generation;  // <= DepartedMappings::kMaxGeneration
  };
  Slot* slots_ = nullptr;
  uint64_t* frames_ = nullptr;
  uint64_t frames_capacity_ = 0;
  std::atomic<uint64_t> frames_next_{0};
  uint64_t mask_ = 0;
};

}  // namespace leaktrack
