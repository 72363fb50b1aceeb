// The only door to memory inside preload/: anonymous mmap, never the tracked allocator.
//
// Tables are carved out of one mapping made at start-up; a dump takes a scratch Arena (its own
// mapping, released when the dump ends). mmap/munmap are plain system calls, so everything here
// is async-signal-safe and cannot deadlock against any allocator lock. Pages are touched only
// when used, so reserved-but-unused capacity costs address space, not RSS.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace leaktrack {

// Maps size bytes of zeroed, private, anonymous memory. Returns nullptr on failure.
// Async-signal-safe.
void* MapMemory(size_t size);
void UnmapMemory(void* p, size_t size);

// A bump allocator over one mapping. Not thread-safe: one owner (the dump in progress).
// Allocation failure returns nullptr and sets a sticky flag the owner checks once at the end.
class Arena {
 public:
  [[nodiscard]] bool Init(size_t capacity);
  void Release();
  void* Alloc(size_t size, size_t align = 16);
  template <typename T>
  T* AllocArray(size_t n) {
    return static_cast<T*>(Alloc(n * sizeof(T), alignof(T) < 8 ? 8 : alignof(T)));
  }
  bool failed() const { return failed_; }
  size_t used() const { return used_; }

 private:
  char* base_ = nullptr;
  size_t capacity_ = 0;
  size_t used_ = 0;
  bool failed_ = false;
};

}  // namespace leaktrack
