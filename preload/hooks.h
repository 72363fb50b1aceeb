// What each allocation entry point does around the real call.
//
// interpose.cc exports the libc and C++ names and calls these; they forward to g_real (the next
// allocator) and report to the profiler. Contract, for every hook:
//  - The real call is always made, with the same arguments, and its result and errno are
//    returned unchanged. Our bookkeeping never fails visibly.
//  - Calls nested inside shim code (guard held) and calls before the real allocator is known are
//    passed through untracked (bootstrap pool while resolving).
//  - A sampled block is forgotten *before* the real free/realloc releases it, so the address
//    cannot be handed out again and inserted by another thread while we still hold it.
// Thread-safe; not async-signal-safe (a program's signal handler that calls malloc is as safe
// as without us: we add no locks).
#pragma once

#include <stddef.h>

namespace leaktrack {

void* HookMalloc(size_t size);
void HookFree(void* ptr);
void* HookCalloc(size_t n, size_t size);
void* HookRealloc(void* ptr, size_t size);
void* HookReallocarray(void* ptr, size_t n, size_t size);
int HookPosixMemalign(void** out, size_t align, size_t size);
void* HookAlignedAlloc(size_t align, size_t size);
void* HookMemalign(size_t align, size_t size);
void* HookValloc(size_t size);
void* HookPvalloc(size_t size);
size_t HookMallocUsableSize(void* ptr);

}  // namespace leaktrack
