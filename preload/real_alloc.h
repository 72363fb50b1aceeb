// Finding the allocator we forward to, and serving calls that arrive before we found it.
//
// The real allocator is whatever the dynamic linker would have bound without us: glibc, or a
// jemalloc/tcmalloc after libleaktrack.so in the lookup order, or — when an object ahead of us
// defines malloc and we stay passive — that object's functions. It is resolved with
// dlsym(RTLD_NEXT) on the first call into any entry point — that may be before our constructor
// ran (a program's .preinit_array, another library's constructor; TORTURE.md A2).
//
// dlsym may itself allocate on some libcs (glibc 2.36 does not, but older ones and error paths
// do). While resolving, and whenever a test forces it, requests are served from a static
// bootstrap pool. Pool blocks are never returned to the real allocator: free() ignores them,
// realloc() copies out of them, malloc_usable_size() reads their header (A1).
//
// Functions the next allocator lacks (Debian's jemalloc has no pvalloc) would be found in glibc
// and would mix two heaps. They are built from the next allocator's own memalign instead, so
// every block has one owner (TORTURE.md F1). reallocarray is always realloc plus an overflow
// check, done in hooks.cc.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <atomic>

namespace leaktrack {

struct RealAllocator {
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*memalign)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  size_t (*malloc_usable_size)(void*);
};

// The resolved functions. Valid once RealReady() is true; before that, use the Bootstrap* calls.
extern RealAllocator g_real;

extern std::atomic<int> g_real_state;  // 0 = unresolved, 1 = resolving, 2 = ready

// True until the real allocator is known, and for good once the bootstrap pool has served a
// block: free() must then check for pool blocks and resolution. Usually false after start-up,
// which saves free() two tests. (A block can only reach free() after the pool handed it out,
// which set the flag first, on that same thread or before the hand-off.)
extern std::atomic<bool> g_free_needs_care;

// Inline: every malloc asks.
inline bool RealReady() { return g_real_state.load(std::memory_order_acquire) == 2; }
// Resolves g_real if not done yet. Returns false while resolution is in progress on this thread
// (a nested call from dlsym) — the caller must then use the bootstrap pool. Aborts the process
// with a message if no allocator can be found at all: nothing else could work.
bool EnsureRealResolved();

// Bootstrap pool. Thread-safe (atomic bump), async-signal-safe, never frees.
void* BootstrapAlloc(size_t size, size_t align);
constexpr size_t kPoolSize = 1 << 20;  // 1 MiB: dlsym needs a few hundred bytes at most
extern char g_pool[kPoolSize];
inline bool InBootstrapPool(const void* p) {
  // One unsigned comparison covers both bounds.
  return reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(g_pool) < kPoolSize;
}
size_t BootstrapUsableSize(const void* p);

// True when fn (a dlsym result) is a real definition in an object other than libleaktrack.so,
// not a PLT stub of a non-PIE executable. Takes the loader lock: initialisation only.
bool IsDefinitionOutsideUs(void* fn);

// Test-only (LEAKTRACK_FAULT_INJECTION): serve this many more requests from the pool.
void ForceBootstrapForTesting(long count);
bool TakeForcedBootstrap();

}  // namespace leaktrack
