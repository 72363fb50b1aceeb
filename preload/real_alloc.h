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

// The globals below are declared hidden as well as defined hidden (-fvisibility=hidden covers
// definitions only): the compiler then addresses them RIP-relative instead of through the GOT,
// one instruction less per use on the malloc/free fast paths.
// The resolved functions. Valid once RealReady() is true; before that, use the Bootstrap* calls.
extern RealAllocator g_real __attribute__((visibility("hidden")));

// 0 = unresolved, 1 = resolving, 2 = ready
extern std::atomic<int> g_real_state __attribute__((visibility("hidden")));

// What the malloc and free fast paths call (hooks.h), so that they need no "resolved yet?" test:
//  - g_malloc_entry starts as a function that resolves first (serving the pool meanwhile) and
//    is g_real.malloc from the moment resolution is published.
//  - g_free_entry starts as a function that resolves first and checks for pool blocks. It
//    becomes g_real.free at resolution only if the pool has never served a block; the pool's
//    first block turns it, for good, into a function that ignores pool blocks. A block can reach
//    free() only after the pool handed it out, which switched the entry first.
//  - g_usable_size_entry does the same for malloc_usable_size, which some programs call on every
//    allocation and free (redis counts its memory that way: two calls per malloc/free pair).
// Never null. The fast paths load them relaxed (GCC then jumps through memory, one instruction):
// the real functions depend on no data of ours, and a pool block reaches another thread only
// through the program's own synchronisation, which orders the entry's switch before that
// thread's free.
using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using UsableSizeFn = size_t (*)(void*);
extern std::atomic<MallocFn> g_malloc_entry __attribute__((visibility("hidden")));
extern std::atomic<FreeFn> g_free_entry __attribute__((visibility("hidden")));
extern std::atomic<UsableSizeFn> g_usable_size_entry __attribute__((visibility("hidden")));

// Inline: every malloc asks.
inline bool RealReady() { return g_real_state.load(std::memory_order_acquire) == 2; }
// Resolves g_real if not done yet. Returns false while resolution is in progress on this thread
// (a nested call from dlsym) — the caller must then use the bootstrap pool. Aborts the process
// with a message if no allocator can be found at all: nothing else could work.
bool EnsureRealResolved();

// Bootstrap pool. Thread-safe (atomic bump), async-signal-safe, never frees.
void* BootstrapAlloc(size_t size, size_t align);
constexpr size_t kPoolSize = 1 << 20;  // 1 MiB: dlsym needs a few hundred bytes at most
extern char g_pool[kPoolSize] __attribute__((visibility("hidden")));
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
extern std::atomic<long> g_forced_bootstrap __attribute__((visibility("hidden")));
// One relaxed load: lets test builds keep the real fast path until a test forces the pool.
inline bool ForcedBootstrapPending() {
  return g_forced_bootstrap.load(std::memory_order_relaxed) > 0;
}

}  // namespace leaktrack
