// The dump's view of departed code: which unloaded library a frame of an old stack ran in.
//
// Built once per dump from DepartedMappings (departed_mappings.h) into arena memory: the
// published entries sorted by (start, limit, generation) and grouped by range, with a running
// maximum of the groups' limits. A lookup is a binary search over the groups, a backward scan
// over the few groups that can cover the address, and a binary search by generation inside each:
// a plugin cycled thousands of times at one address costs one group, not thousands of entries.
// Entries that describe the same segment of the same file at the same place share one profile
// Mapping, numbered after the live ones in the order they are first used.
// Async-signal-safe, allocation through the Arena only.
#pragma once

#include <stdint.h>

#include "departed_mappings.h"
#include "internal_alloc.h"

namespace leaktrack {

class DepartedResolver {
 public:
  // Reads the table. False only when the arena is out of room.
  [[nodiscard]] bool Init(const DepartedMappings& table, Arena* arena, uint32_t first_id);

  // The profile mapping id for a frame of a stack captured at `generation`: the departed
  // segment with the smallest generation >= `generation` that covers the address. 0 when there
  // is none, i.e. the live mappings decide.
  uint32_t MappingId(uint64_t address, uint32_t generation);

  // The departed mappings handed out by MappingId, in id order (ids first_id, first_id + 1, ...).
  uint32_t used() const { return used_count_; }
  const DepartedMapping& used_mapping(uint32_t i) const { return entries_[used_[i]]; }

 private:
  struct Group {  // entries_[first, first + count): one range, ascending generations
    uint64_t start;
    uint64_t limit;
    uint64_t max_limit;  // of this group and all before it
    uint32_t first;
    uint32_t count;
  };
  DepartedMapping* entries_ = nullptr;
  Group* groups_ = nullptr;
  uint32_t* ids_ = nullptr;   // profile mapping id per entry, 0 until first used
  uint32_t* used_ = nullptr;  // entry index per handed-out id
  uint32_t count_ = 0;
  uint32_t group_count_ = 0;
  uint32_t used_count_ = 0;
  uint32_t first_id_ = 0;
  uint32_t max_generation_ = 0;
};

}  // namespace leaktrack
