// Live sampled allocations: pointer -> (stack, size), lock-free, fixed capacity.
//
// Every free() asks "was this pointer sampled?", so the common answer ("no") must cost next to
// nothing. A counting filter answers it first: one 8-bit counter per 512-byte granule of address
// space (2^18 counters, 256 KiB: 128 MiB of address space, the higher bits folded in),
// incremented on insert and decremented on erase. A zero counter is an exact "no" after one
// load; only when it is non-zero (a live sample in the same 512 bytes, or in an aliased granule)
// do we probe the table, which costs a cache miss (~300 ns).
//
// Sizing, from perf shares of the shim on two workloads over jemalloc: bench/malloc_bench (frees
// near recent allocations) and a 3 GiB heap of 2 KiB blocks freed and replaced at random.
//  - The index keeps address locality: frees of neighbouring blocks read the same filter line,
//    and a line covers 32 KiB of heap. A hashed index sent every free to a random line and free()
//    spent 7% of malloc_bench's samples waiting for it; 64-byte granules 3.8-4.7%; 512-byte 2.9%.
//    The price of a coarser granule is false positives from blocks that share a granule with a
//    sampled one: about granule/rate of all frees, 0.1% at 512 B.
//  - False positives from aliasing are about N/counters for N live samples once the heap spans
//    more than the filter's window. 65,536 counters gave 9% on the 3 GiB heap (the shim 7.9% of
//    all samples, LiveTable::Erase 4.9%); 2^18 counters 2.3% (shim 5.5%). 2^21 counters cut the
//    false positives further but the filter no longer stays in L2 and every random free missed
//    it (shim 11.6%). For a 10 GiB heap expect ~8%.
//  - Only the pages where samples landed are ever written; reads of the rest map the zero page.
// Counters saturate at 255 and then stay there (a permanent "maybe", never a wrong "no"); that
// takes 255 live samples on one counter.
//
// The table is open addressing with linear probing over 16-byte slots: a key word that one CAS
// claims or releases, and the block's size beside it in the same cache line (the free needs it
// to find the block's tally again: site_counters.h). The key word packs the pointer (bits
// 3..46) and the stack id (20 bits):
//   0 = empty, 1 = tombstone, else (ptr >> 3) << 20 | stack.
// The size is written right after the claim by the inserting thread, before malloc returns; the
// free of that pointer comes after the return (through the program's own synchronisation when
// another thread frees it), so it reads the size written for it. (A fork child copied at the
// instant between the claim and the size store could read a stale size for that one block; its
// tally is then off by one block. Nothing else can be.)
// Pointers at or above 2^47 (5-level paging) are not tracked; the sample is dropped and counted.
// Insert takes the first empty-or-tombstone slot within kMaxProbe of the home slot, so a key is
// always found within kMaxProbe slots of home and never past an empty slot; lookups stop at the
// first of the two. Erase leaves a tombstone that later inserts reuse. When no slot is free
// within kMaxProbe the insert fails and the caller drops the sample: malloc never waits.
//
// Thread-safe and async-signal-safe (atomics only), never allocates after Init.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

namespace leaktrack {

class LiveTable {
 public:
  static constexpr int kMaxProbe = 64;
  static constexpr int kStackBits = 20;
  static constexpr uint32_t kMaxStacks = 1u << kStackBits;
  static constexpr int kFilterBits = 18;
  static constexpr int kGranuleBits = 9;  // 512-byte granules: a filter line covers 32 KiB of heap

  // Takes capacity (a power of two) slots of memory from `memory`, which must hold
  // MemoryNeeded(capacity) zeroed bytes.
  static size_t MemoryNeeded(uint64_t capacity);
  void Init(void* memory, uint64_t capacity);

  // False when the table has no room near the pointer's home slot, or the pointer is untrackable.
  [[nodiscard]] bool Insert(const void* ptr, uint32_t stack, uint64_t size);

  // Starts loading the slot an Insert of ptr will claim first, so that the miss overlaps the
  // stack walk that comes before it. A sampled block's slot is always cold: Insert was ~450 ns on
  // malloc_bench, nearly all of it that miss (perf: 1.2% of all samples; 0.15% + 0.4% for the
  // prefetch itself now). Prefetching the filter line as well measured no better.
  void PrefetchForInsert(const void* ptr) const {
    __builtin_prefetch(&slots_[HomeSlot(ptr)], /*rw=*/1, /*locality=*/3);
  }

  // Fast negative test for free(): false means "certainly not in the table".
  bool MaybeContains(const void* ptr) const {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
    // A compare in memory and a branch on its flags: one instruction fewer on every free than
    // the movzbl + test that GCC makes of a relaxed atomic load (it never folds one into cmp).
    // A one-byte read is atomic on x86-64 all the same. The sanitizer builds keep the atomic
    // load below, which they can see.
    bool nonzero;
    asm("cmpb $0, %1" : "=@ccne"(nonzero) : "m"(filter_[FilterIndex(ptr)]));
    return nonzero;
#else
    return filter_[FilterIndex(ptr)].load(std::memory_order_relaxed) != 0;
#endif
  }

  // Removes ptr if present and returns what Insert was given for it.
  [[nodiscard]] bool Erase(const void* ptr, uint32_t* stack, uint64_t* size);

  // Number of occupied slots (approximate under concurrency). For stats and tests.
  uint64_t CountForTesting() const;

 private:
  static size_t FilterIndex(const void* ptr) {
    const uint64_t p = reinterpret_cast<uintptr_t>(ptr);
    // Granule number, with the bits above the filter's reach folded in (see the top): that is
    // (p >> G) ^ (p >> (G + F)), written as one xor before the shift because it compiles to one
    // instruction fewer on free()'s path (no second copy of p).
    return static_cast<size_t>((p ^ (p >> kFilterBits)) >> kGranuleBits) &
           ((size_t{1} << kFilterBits) - 1);
  }
  size_t HomeSlot(const void* ptr) const {
    const uint64_t x = (reinterpret_cast<uintptr_t>(ptr) >> 3) * 0xC2B2AE3D27D4EB4Full;
    return static_cast<size_t>(x >> 17) & mask_;
  }

  struct Slot {
    std::atomic<uint64_t> key;
    std::atomic<uint64_t> size;  // written by the inserter after its claim, read by the eraser
  };
  static_assert(sizeof(Slot) == 16, "four slots per cache line");

  Slot* slots_ = nullptr;
  // Until Init, an all-zero filter (in .bss): free() needs no "initialised?" branch.
  static std::atomic<uint8_t> empty_filter_[1 << kFilterBits];
  std::atomic<uint8_t>* filter_ = empty_filter_;
  uint64_t mask_ = 0;
};

}  // namespace leaktrack
