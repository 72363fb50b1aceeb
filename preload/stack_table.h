// Interned call stacks and the per-(stack, size) buckets that count sampled allocations.
//
// StackTable maps a stack (up to kMaxDepth program counters, plus the code generation it was
// captured in: departed_mappings.h) to a small id; BucketTable maps
// (stack id, object size) to a pair of monotonic counters: sampled allocations and sampled frees.
// Like Go's mprof buckets, a bucket holds one object size, so the dump can unbias it exactly with
// 1/p(size) (PPROF.md §5). In-use = allocs - frees, so a dump never needs the live table.
//
// Both tables are open addressing over a fixed array, lock-free. A slot's first word is its state:
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

class BucketTable {
 public:
  static constexpr int kMaxProbe = 128;

  static size_t MemoryNeeded(uint64_t capacity);
  void Init(void* memory, uint64_t capacity);

  // Returns the id of the (stack, size) bucket, creating it if new, or -1 when full.
  int64_t Intern(uint32_t stack_id, uint64_t size);

  void AddAlloc(uint32_t id) { slots_[id].allocs.fetch_add(1, std::memory_order_relaxed); }
  // Release pairs with the acquire load of frees in Get(): a reader that sees this free also sees
  // the alloc that happened before it.
  void AddFree(uint32_t id) { slots_[id].frees.fetch_add(1, std::memory_order_release); }
  // Undoes AddFree when a realloc that released the bucket's block failed and the block stays.
  void UndoFree(uint32_t id) { slots_[id].frees.fetch_sub(1, std::memory_order_relaxed); }

  struct Snapshot {
    uint32_t stack_id;
    uint64_t size;
    uint64_t allocs;
    uint64_t frees;
  };
  // Reads a published bucket. False for empty or busy slots.
  bool Get(uint64_t id, Snapshot* out) const;

  uint64_t capacity() const { return mask_ + 1; }

 private:
  struct Slot {
    std::atomic<uint64_t> state;
    uint64_t size;
    uint32_t stack_id;
    uint32_t pad;
    std::atomic<uint64_t> allocs;
    std::atomic<uint64_t> frees;
  };
  Slot* slots_ = nullptr;
  uint64_t mask_ = 0;
};

}  // namespace leaktrack
