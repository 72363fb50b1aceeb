// What each allocation site (interned stack) has allocated and freed, for the dump.
//
// Go keeps one record per (stack, object size), so a record's sampled count unbiases exactly with
// 1/p(size) and pprof's `bytes` label lists the sizes (PPROF.md §5). A table keyed by (stack,
// size) does not stay bounded in a long-running native service, though: one site that allocates
// strings or buffers of every length fills it, and from then on new samples had nowhere to go
// (bench/malloc_bench filled the old 32,768-bucket table in 1.4 s and dropped 5% of its samples,
// with every later leak site lost). So each stack has a fixed record here:
//  - up to kExactSizes exact-size tallies, claimed by the first sizes sampled at the site: two
//    monotonic counters (sampled allocs and frees) each, unbiased at dump time like Go's;
//  - one mixed tally for every other size, which adds up the unbiased estimates themselves as
//    each sample comes and goes (PPROF.md §5: "add up 1/p(s_i) and s_i/p(s_i)"), in fixed point
//    so that a free subtracts exactly what its allocation added.
// Most sites allocate one or two sizes (a struct, a node), so their samples keep their exact
// `bytes` label; the mixed tally is labelled with its mean size (pprof's label is defined as
// AllocBytes / AllocObjects, so that is what it says of a Go record too).
//
// Freeing needs the block's size (the live table keeps it) to find its tally again: a size sits
// in at most one exact slot and a claimed slot never changes, so the free finds the slot the
// allocation used, or none, as the allocation did.
//
// Record layout: two cache lines per stack. A sample's allocation touches the first (sizes and
// their alloc counters) and, only for mixed sizes, the second; a free touches both.
// Thread-safe and async-signal-safe (atomics only); never allocates after Init.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

namespace leaktrack {

class SiteCounters {
 public:
  static constexpr int kExactSizes = 4;
  // Fixed-point unit of the mixed tally's object estimates: 1/256 of an object.
  static constexpr uint64_t kWeightOne = 256;

  static size_t MemoryNeeded(uint64_t stacks);
  // `memory` holds MemoryNeeded(stacks) zeroed bytes; `rate` is the mean sampling interval.
  void Init(void* memory, uint64_t stacks, uint64_t rate);

  void AddAlloc(uint32_t stack, uint64_t size);
  void AddFree(uint32_t stack, uint64_t size) { AdjustFrees(stack, size, 1); }
  // Undoes AddFree when a realloc that released the block failed and the block stays.
  void UndoFree(uint32_t stack, uint64_t size) { AdjustFrees(stack, size, -1); }

  // One tally of a stack, as the dump reads it.
  struct Tally {
    bool mixed;
    uint64_t size;    // exact tallies: the object size
    uint64_t allocs;  // exact: sampled allocations; mixed: unbiased objects * kWeightOne
    uint64_t frees;   // same unit as allocs
    uint64_t alloc_bytes;  // mixed only: unbiased bytes
    uint64_t free_bytes;   // mixed only
  };
  static constexpr int kTallies = kExactSizes + 1;  // index kExactSizes is the mixed tally
  // Reads tally `index` of `stack`. False when it has never counted an allocation.
  bool Get(uint64_t stack, int index, Tally* out) const;

  // Folds a stack's allocations into the evicted aggregate and resets its record for the next
  // stack its id goes to (stack_table.h: only a stack with no live block is evicted, so only
  // cumulative counts move). The caller holds the stack's slot: no other writer of this record.
  void Evict(uint32_t stack);

  // What evicted stacks had allocated, unbiased: the dump reports it as one sample without a
  // stack, so the alloc_* totals stay whole.
  struct Evicted {
    uint64_t stacks;
    uint64_t objects;  // unbiased objects * kWeightOne
    uint64_t bytes;    // unbiased bytes
  };
  Evicted evicted() const;

  uint64_t capacity() const { return capacity_; }

 private:
  struct alignas(64) Site {
    // First line: what an exact-size allocation touches.
    std::atomic<uint64_t> size_plus_one[kExactSizes];  // 0 = unclaimed
    std::atomic<uint64_t> allocs[kExactSizes];
    // Second line.
    std::atomic<uint64_t> frees[kExactSizes];
    std::atomic<uint64_t> mixed_alloc_weight;
    std::atomic<uint64_t> mixed_alloc_bytes;
    std::atomic<uint64_t> mixed_free_weight;
    std::atomic<uint64_t> mixed_free_bytes;
  };
  static_assert(sizeof(Site) == 128, "two cache lines per stack");

  void AdjustFrees(uint32_t stack, uint64_t size, int64_t sign);
  // The exact slot holding `size`; with `claim`, takes the first free slot for it. -1: mixed.
  int FindSlot(Site& site, uint64_t size, bool claim);
  // A mixed-size block's share of the estimates: kWeightOne / p(size) and size / p(size).
  void MixedWeight(uint64_t size, uint64_t* weight, uint64_t* bytes) const;

  Site* sites_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t rate_ = 1;
  std::atomic<uint64_t> evicted_stacks_{0};
  std::atomic<uint64_t> evicted_objects_{0};
  std::atomic<uint64_t> evicted_bytes_{0};
};

}  // namespace leaktrack
