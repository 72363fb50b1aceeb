// See own_memory.h.
#include "own_memory.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "own_fd.h"
#include "proc_self.h"
#include "side_stack.h"

namespace leaktrack {
namespace {

// pagemap's entry bits (Documentation/admin-guide/mm/pagemap.rst).
constexpr uint64_t kPresent = uint64_t{1} << 63;
constexpr uint64_t kExclusive = uint64_t{1} << 56;  // "page exclusively mapped" (Linux 4.2)

}  // namespace

bool AddPrivateResidentBytes(int pagemap_fd, const void* start, size_t size, size_t* bytes) {
  if (start == nullptr || size == 0) return true;
  const size_t page = static_cast<size_t>(getpagesize());
  size_t first = reinterpret_cast<uintptr_t>(start) / page;
  const size_t end = (reinterpret_cast<uintptr_t>(start) + size + page - 1) / page;
  // A chunk of entries at a time: the caller may be a signal handler on a small stack.
  uint64_t entries[128];
  while (first < end) {
    const size_t want = end - first < 128 ? end - first : 128;
    const ssize_t got = pread(pagemap_fd, entries, want * sizeof(uint64_t),
                              static_cast<off_t>(first * sizeof(uint64_t)));
    if (got <= 0 || got % sizeof(uint64_t) != 0) return false;
    const size_t n = static_cast<size_t>(got) / sizeof(uint64_t);
    for (size_t i = 0; i < n; ++i)
      if ((entries[i] & (kPresent | kExclusive)) == (kPresent | kExclusive)) *bytes += page;
    first += n;
  }
  return true;
}

OwnMemory MeasureOwnMemory(const Profiler& p) {
  OwnMemory own;
  const void* side_stacks = nullptr;
  size_t side_stack_bytes = 0;
  SideStackPool(&side_stacks, &side_stack_bytes);
  own.reserved = p.tables_bytes + side_stack_bytes;
  char path[64];
  ProcSelfPath("pagemap", path, sizeof(path));
  const int fd = OpenOwnFd(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return own;
  own.resident_known = AddPrivateResidentBytes(fd, p.tables, p.tables_bytes, &own.resident) &&
                       AddPrivateResidentBytes(fd, side_stacks, side_stack_bytes, &own.resident);
  close(fd);
  if (!own.resident_known) own.resident = 0;
  return own;
}

}  // namespace leaktrack
