// Code that was unmapped by dlclose, remembered for the dump (TORTURE.md G4).
//
// The dump builds its Mapping table from /proc/self/maps, which no longer lists a library that
// was dlclose'd, and may list another library loaded at the same address since. So every
// dlclose that really unloads something (unload_tracker.h) appends the executable segments that
// went away to this table and advances a *generation*; every sampled stack is interned with the
// generation current when it was captured. A frame of a stack captured at generation g belongs
// to the first departed segment (smallest generation >= g) that covers it, and to the live
// mappings only if none does: code that left before the capture has a generation < g, code
// loaded after the capture could only be there after whatever was there at capture time left.
// (A stack whose addresses were never inside unloaded code is interned as generation 0, which
// resolves the same: recycled_code.h.)
//
// Append-only and lock-free: a writer claims an entry with fetch_add, fills it and publishes it
// with a release store; readers (the dump, in a signal handler) skip entries still being written.
// Paths and build IDs live in a bump pool, shared between entries of the same file. Bounded:
// when the table or pool is full, further departures are counted as dropped (reported in the
// profile's problems comment) and the generation stops advancing, so stacks captured from then
// on are resolved against the live mappings only, as if nothing had been tracked.
// Memory comes from the profiler's table mapping (pages are touched only when used).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

namespace leaktrack {

struct DepartedMapping {
  uint64_t start;
  uint64_t limit;
  uint64_t offset;
  const char* path;      // NUL-terminated
  const char* build_id;  // lowercase hex, "" when unknown
  uint32_t generation;   // stacks captured at generation <= this may point into it
};

class DepartedMappings {
 public:
  static constexpr uint32_t kCapacity = 4096;
  static constexpr size_t kPoolBytes = 256 << 10;
  // Stack slots keep the generation in 16 bits; the table never gets near it.
  static constexpr uint32_t kMaxGeneration = 0xffff;

  static size_t MemoryNeeded();
  void Init(void* memory);

  // The generation to intern a stack with. One relaxed load: the sampled path only.
  uint32_t generation() const { return generation_.load(std::memory_order_relaxed); }

  // Called right after a dlclose that unloaded something: returns the generation the departed
  // code belonged to and advances it, or returns false (and counts a drop) when the table is
  // full. Thread-safe.
  [[nodiscard]] bool Advance(uint32_t* departed_generation);

  // Appends one departed executable segment; counts a drop when there is no room. path and
  // build_id are copied. Thread-safe, async-signal-safe, never blocks.
  void Record(uint32_t generation, uint64_t start, uint64_t limit, uint64_t offset,
              const char* path, const char* build_id);

  // Entries [0, count()) may be read; Get is false for one still being written.
  uint32_t count() const;
  bool Get(uint32_t index, DepartedMapping* out) const;
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::atomic<uint32_t> ready;  // 1 once published
    uint32_t generation;
    uint64_t start;
    uint64_t limit;
    uint64_t offset;
    uint32_t path;      // offsets into pool_
    uint32_t build_id;
  };
  // Copies s into the pool (or finds an earlier copy); returns its offset, or -1 when full.
  int64_t Intern(const char* s, uint32_t entries_to_search);

  Entry* entries_ = nullptr;
  char* pool_ = nullptr;
  std::atomic<uint32_t> next_{0};       // entries claimed
  std::atomic<uint64_t> pool_next_{1};  // pool_[0] is "" for unknown build IDs
  std::atomic<uint32_t> generation_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace leaktrack
