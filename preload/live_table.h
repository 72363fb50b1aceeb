// Live sampled allocations: pointer -> (stack, size), lock-free, fixed capacity.
//
// Every free() asks "was this pointer sampled?", so the common answer ("no") must cost next to
// nothing. A counting filter answers it first: one 8-bit counter per 64-byte granule of address
// space (folded onto 65,536 counters), incremented on insert and decremented on erase. A zero
// counter is an exact "no" after one load from a 64 KiB array; only when it is non-zero (the
// pointer, a pointer in the same 64 bytes, or an aliased granule is live) do we probe the table.
//
// The index keeps address locality on purpose: one filter cache line covers 4 KiB of heap, so
// frees of neighbouring blocks hit the same line. A multiplicative hash sent every free to a
// random line of the (then 128 KiB) filter: on bench/malloc_bench over jemalloc, free() spent
// most of its time waiting for that load (perf: 7% of all samples, now about 4%). The
// higher address bits are XOR-folded in, so heaps 4 MiB apart (glibc's 64 MiB-aligned arenas,
// jemalloc's extents) do not alias granule for granule. False positives for N live samples:
// about N/65536 (measured on glibc and jemalloc heaps of 64 MiB - 2 GiB: 0.15%, 1.2%, 5.0% for
// N = 100, 816, 3367; the same as the old hash), plus under 64/rate (0.012% at 512 KiB) for
// blocks sharing a granule with a sampled one.
// Counters saturate at 255 and then stay there (a permanent "maybe", never a wrong "no"); that
// takes 255 live samples on one counter (the 2 GiB heaps above peaked at 3).
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
  static constexpr int kFilterBits = 16;
  static constexpr int kGranuleBits = 6;  // 64-byte granules: a cache line of heap per counter

  // Takes capacity (a power of two) slots of memory from `memory`, which must hold
  // MemoryNeeded(capacity) zeroed bytes.
  static size_t MemoryNeeded(uint64_t capacity);
  void Init(void* memory, uint64_t capacity);

  // False when the table has no room near the pointer's home slot, or the pointer is untrackable.
  [[nodiscard]] bool Insert(const void* ptr, uint32_t stack, uint64_t size);

  // Fast negative test for free(): false means "certainly not in the table".
  bool MaybeContains(const void* ptr) const {
    return filter_[FilterIndex(ptr)].load(std::memory_order_relaxed) != 0;
  }

  // Removes ptr if present and returns what Insert was given for it.
  [[nodiscard]] bool Erase(const void* ptr, uint32_t* stack, uint64_t* size);

  // Number of occupied slots (approximate under concurrency). For stats and tests.
  uint64_t CountForTesting() const;

 private:
  static size_t FilterIndex(const void* ptr) {
    const uint64_t p = reinterpret_cast<uintptr_t>(ptr);
    // Granule number, with the bits above the filter's reach folded in (see the top).
    return static_cast<size_t>((p >> kGranuleBits) ^ (p >> (kGranuleBits + kFilterBits))) &
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
