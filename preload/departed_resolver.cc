// See departed_resolver.h.
#include "departed_resolver.h"

#include <string.h>

#include <algorithm>

namespace leaktrack {
namespace {

bool SameSegment(const DepartedMapping& a, const DepartedMapping& b) {
  return a.start == b.start && a.limit == b.limit && a.offset == b.offset &&
         strcmp(a.path, b.path) == 0 && strcmp(a.build_id, b.build_id) == 0;
}

}  // namespace

bool DepartedResolver::Init(const DepartedMappings& table, Arena* arena, uint32_t first_id) {
  first_id_ = first_id;
  const uint32_t n = table.count();
  if (n == 0) return true;
  entries_ = arena->AllocArray<DepartedMapping>(n);
  groups_ = arena->AllocArray<Group>(n);
  ids_ = arena->AllocArray<uint32_t>(n);
  used_ = arena->AllocArray<uint32_t>(n);
  if (entries_ == nullptr || groups_ == nullptr || ids_ == nullptr || used_ == nullptr)
    return false;
  for (uint32_t i = 0; i < n; ++i) {
    // An entry still being written is left for the next dump.
    if (table.Get(i, &entries_[count_])) ++count_;
  }
  // std::sort: in place, no allocation, no exceptions.
  std::sort(entries_, entries_ + count_, [](const DepartedMapping& a, const DepartedMapping& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.limit != b.limit) return a.limit < b.limit;
    return a.generation < b.generation;
  });
  for (uint32_t i = 0; i < count_; ++i) {
    ids_[i] = 0;
    const DepartedMapping& e = entries_[i];
    if (e.generation > max_generation_) max_generation_ = e.generation;
    if (group_count_ > 0 && groups_[group_count_ - 1].start == e.start &&
        groups_[group_count_ - 1].limit == e.limit) {
      ++groups_[group_count_ - 1].count;
      continue;
    }
    Group& g = groups_[group_count_];
    g.start = e.start;
    g.limit = e.limit;
    g.max_limit = group_count_ > 0 && groups_[group_count_ - 1].max_limit > e.limit
                      ? groups_[group_count_ - 1].max_limit
                      : e.limit;
    g.first = i;
    g.count = 1;
    ++group_count_;
  }
  return true;
}

uint32_t DepartedResolver::MappingId(uint64_t address, uint32_t generation) {
  // Stacks captured after the last recorded unload resolve against the live mappings only.
  if (count_ == 0 || generation > max_generation_) return 0;
  // Groups [0, lo) start at or below the address.
  uint32_t lo = 0, hi = group_count_;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (groups_[mid].start <= address) lo = mid + 1;
    else hi = mid;
  }
  int64_t best = -1;
  for (int64_t k = static_cast<int64_t>(lo) - 1; k >= 0 && groups_[k].max_limit > address; --k) {
    const Group& g = groups_[k];
    if (address >= g.limit) continue;
    // The first entry of this range unloaded at `generation` or later.
    uint32_t a = g.first, b = g.first + g.count;
    while (a < b) {
      const uint32_t mid = a + (b - a) / 2;
      if (entries_[mid].generation < generation) a = mid + 1;
      else b = mid;
    }
    if (a == g.first + g.count) continue;
    if (best < 0 || entries_[a].generation < entries_[best].generation) best = a;
  }
  if (best < 0) return 0;
  if (ids_[best] == 0) {
    // One profile Mapping per distinct segment, however often it was loaded and unloaded.
    for (uint32_t k = 0; k < used_count_ && ids_[best] == 0; ++k)
      if (SameSegment(entries_[used_[k]], entries_[best])) ids_[best] = first_id_ + k;
    if (ids_[best] == 0) {
      used_[used_count_] = static_cast<uint32_t>(best);
      ids_[best] = first_id_ + used_count_++;
    }
  }
  return ids_[best];
}

}  // namespace leaktrack
