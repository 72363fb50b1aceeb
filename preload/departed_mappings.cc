// See departed_mappings.h.
#include "departed_mappings.h"

#include <string.h>

namespace leaktrack {

size_t DepartedMappings::MemoryNeeded() { return kCapacity * sizeof(Entry) + kPoolBytes; }

void DepartedMappings::Init(void* memory) {
  entries_ = static_cast<Entry*>(memory);
  pool_ = static_cast<char*>(memory) + kCapacity * sizeof(Entry);  // zeroed: pool_[0] == '\0'
  next_.store(0, std::memory_order_relaxed);
  pool_next_.store(1, std::memory_order_relaxed);
  generation_.store(0, std::memory_order_relaxed);
  dropped_.store(0, std::memory_order_relaxed);
}

bool DepartedMappings::Advance(uint32_t* departed_generation) {
  uint32_t g = generation_.load(std::memory_order_relaxed);
  do {
    if (entries_ == nullptr || g >= kMaxGeneration ||
        next_.load(std::memory_order_relaxed) >= kCapacity) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  } while (!generation_.compare_exchange_weak(g, g + 1, std::memory_order_relaxed));
  *departed_generation = g;
  return true;
}

int64_t DepartedMappings::Intern(const char* s, uint32_t entries_to_search) {
  if (s[0] == '\0') return 0;
  // Departures repeat (a plugin loaded and unloaded in a loop): share the strings.
  for (uint32_t i = entries_to_search; i-- > 0;) {
    const Entry& e = entries_[i];
    if (e.ready.load(std::memory_order_acquire) == 0) continue;
    if (strcmp(pool_ + e.path, s) == 0) return e.path;
    if (strcmp(pool_ + e.build_id, s) == 0) return e.build_id;
  }
  const size_t len = strlen(s) + 1;
  const uint64_t at = pool_next_.fetch_add(len, std::memory_order_relaxed);
  if (at + len > kPoolBytes) return -1;
  memcpy(pool_ + at, s, len);
  return static_cast<int64_t>(at);
}

void DepartedMappings::Record(uint32_t generation, uint64_t start, uint64_t limit,
                              uint64_t offset, const char* path, const char* build_id) {
  if (entries_ == nullptr) return;
  const uint32_t index = next_.fetch_add(1, std::memory_order_relaxed);
  if (index >= kCapacity) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Entry& e = entries_[index];
  const int64_t path_at = Intern(path, index);
  const int64_t id_at = Intern(build_id, index);
  e.generation = generation;
  e.start = start;
  e.limit = limit;
  e.offset = offset;
  // Out of pool room: keep the range with no name rather than lose the entry, so the frames
  // still do not get blamed on whatever is mapped there now.
  e.path = path_at < 0 ? 0 : static_cast<uint32_t>(path_at);
  e.build_id = id_at < 0 ? 0 : static_cast<uint32_t>(id_at);
  if (path_at < 0 || id_at < 0) dropped_.fetch_add(1, std::memory_order_relaxed);
  e.ready.store(1, std::memory_order_release);  // publish: pairs with the acquire in Get
}

uint32_t DepartedMappings::count() const {
  const uint32_t n = next_.load(std::memory_order_acquire);
  return n < kCapacity ? n : kCapacity;
}

bool DepartedMappings::Get(uint32_t index, DepartedMapping* out) const {
  if (entries_ == nullptr || index >= kCapacity) return false;
  const Entry& e = entries_[index];
  if (e.ready.load(std::memory_order_acquire) == 0) return false;
  out->start = e.start;
  out->limit = e.limit;
  out->offset = e.offset;
  out->path = pool_ + e.path;
  out->build_id = pool_ + e.build_id;
  out->generation = e.generation;
  return true;
}

}  // namespace leaktrack
