// See internal_alloc.h.
#include "internal_alloc.h"

#include <sys/mman.h>

namespace leaktrack {

void* MapMemory(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void UnmapMemory(void* p, size_t size) {
  if (p != nullptr) munmap(p, size);
}

bool Arena::Init(size_t capacity) {
  capacity = (capacity + 4095) & ~static_cast<size_t>(4095);
  base_ = static_cast<char*>(MapMemory(capacity));
  capacity_ = base_ ? capacity : 0;
  used_ = 0;
  failed_ = base_ == nullptr;
  return base_ != nullptr;
}

void Arena::Release() {
  UnmapMemory(base_, capacity_);
  base_ = nullptr;
  capacity_ = used_ = 0;
}

void* Arena::Alloc(size_t size, size_t align) {
  size_t start = (used_ + align - 1) & ~(align - 1);
  if (base_ == nullptr || start > capacity_ || size > capacity_ - start) {
    failed_ = true;
    return nullptr;
  }
  used_ = start + size;
  return base_ + start;
}

}  // namespace leaktrack
