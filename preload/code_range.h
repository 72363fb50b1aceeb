// The span of an ELF object's executable segments, as mapped: where its code lies. Used to tell
// our own frames from the program's (unwind_libunwind.cc) and Go's code from the rest
// (go_stack.cc).
#pragma once

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

namespace leaktrack {

struct CodeRange {
  uintptr_t begin = 0;
  uintptr_t end = 0;
  bool Contains(uintptr_t a) const { return a >= begin && a < end; }
};

// From the first executable PT_LOAD segment's start to the last one's end, for program headers
// `phdr` (`phnum` of them) of an object loaded with `bias`. Empty when none is executable.
inline CodeRange ExecutableSegments(const ElfW(Phdr)* phdr, size_t phnum, uintptr_t bias) {
  CodeRange r;
  for (size_t i = 0; i < phnum; ++i) {
    if (phdr[i].p_type != PT_LOAD || (phdr[i].p_flags & PF_X) == 0) continue;
    const uintptr_t b = bias + phdr[i].p_vaddr;
    const uintptr_t e = b + phdr[i].p_memsz;
    if (r.begin == 0 || b < r.begin) r.begin = b;
    if (e > r.end) r.end = e;
  }
  return r;
}

}  // namespace leaktrack
