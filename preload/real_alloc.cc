// See real_alloc.h.
#include "real_alloc.h"

#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <atomic>

#include "raw_log.h"
#include "thread_state.h"

extern "C" const ElfW(Ehdr) __ehdr_start;  // our own ELF header (linker-provided)

namespace leaktrack {

RealAllocator g_real;
alignas(4096) char g_pool[kPoolSize];
std::atomic<int> g_real_state{0};

namespace {

// The entries' start-up values (see real_alloc.h). The two free functions must stay different
// functions (different bodies, so identical-code folding cannot merge them): resolution installs
// the real free only while the entry still holds FreeBeforeResolved.
void* MallocBeforeResolved(size_t size) {
  if (!EnsureRealResolved()) return BootstrapAlloc(size, 16);  // nested inside dlsym
  return g_real.malloc(size);
}

void FreeBeforeResolved(void* ptr) {
  if (InBootstrapPool(ptr)) return;                   // never ours to release
  if (!EnsureRealResolved()) return;                  // a leak, never a crash
  g_free_entry.load(std::memory_order_acquire)(ptr);  // resolved: the real free, or FreeOutsidePool
}

void FreeOutsidePool(void* ptr) {
  if (InBootstrapPool(ptr)) return;
  if (!RealReady() && !EnsureRealResolved()) return;
  g_real.free(ptr);
}

// malloc_usable_size's three, likewise (and likewise kept distinct from each other).
size_t UsableSizeBeforeResolved(void* ptr) {
  if (InBootstrapPool(ptr)) return BootstrapUsableSize(ptr);
  if (!EnsureRealResolved()) return 0;
  return g_usable_size_entry.load(std::memory_order_acquire)(ptr);
}

size_t UsableSizeOutsidePool(void* ptr) {
  if (InBootstrapPool(ptr)) return BootstrapUsableSize(ptr);
  if (!RealReady() && !EnsureRealResolved()) return 0;
  return g_real.malloc_usable_size != nullptr ? g_real.malloc_usable_size(ptr) : 0;
}

// For an allocator without malloc_usable_size (none we know of; the answer is then 0).
size_t NoUsableSize(void*) { return 0; }

}  // namespace

std::atomic<long> g_forced_bootstrap{0};
std::atomic<MallocFn> g_malloc_entry{&MallocBeforeResolved};
std::atomic<FreeFn> g_free_entry{&FreeBeforeResolved};
std::atomic<UsableSizeFn> g_usable_size_entry{&UsableSizeBeforeResolved};

namespace {

std::atomic<size_t> g_pool_used{0};
__thread bool tls_resolving __attribute__((tls_model("initial-exec")));

// Each pool block starts with a 16-byte header holding its usable size, right before the block.
struct PoolHeader {
  size_t size;
  size_t pad;
};

size_t PageSize() {
  static size_t page = 0;
  if (page == 0) page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// --- Fallbacks built from the next allocator's own functions ---------------------------------
void* FallbackAlignedAlloc(size_t align, size_t size) { return g_real.memalign(align, size); }
void* FallbackValloc(size_t size) { return g_real.memalign(PageSize(), size); }
void* FallbackPvalloc(size_t size) {
  const size_t page = PageSize();
  size_t rounded;
  if (__builtin_add_overflow(size, page - 1, &rounded)) {
    errno = ENOMEM;
    return nullptr;
  }
  rounded &= ~(page - 1);
  return g_real.memalign(page, rounded == 0 ? page : rounded);
}
int FallbackPosixMemalign(void** out, size_t align, size_t size) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  const int saved = errno;
  void* p = g_real.memalign(align, size);
  if (p == nullptr) {
    const int err = errno;
    errno = saved;
    return err != 0 ? err : ENOMEM;
  }
  *out = p;
  return 0;
}

}  // namespace

bool IsDefinitionOutsideUs(void* fn) {
  if (fn == nullptr) return false;
  Dl_info info;
  ElfW(Sym)* sym = nullptr;
  // A non-PIE executable that takes malloc's address gets a "canonical PLT entry": dlsym returns
  // that stub, which jumps back to whoever won the lookup (us), and dladdr even names it after
  // the undefined symbol. Only a symbol with a section (not SHN_UNDEF) is a real definition;
  // aliases are fine (tcmalloc's malloc is also tc_malloc).
  return dladdr1(fn, &info, reinterpret_cast<void**>(&sym), RTLD_DL_SYMENT) != 0 &&
         info.dli_fbase != static_cast<const void*>(&__ehdr_start) && sym != nullptr &&
         sym->st_shndx != SHN_UNDEF && info.dli_saddr == fn;
}

namespace {

// The implementation the program would use without us: the global definition when an object
// ahead of us in the lookup order defines it (an allocator preloaded before us, an executable
// with its own malloc: we are passive then, and must forward to *that* heap), else the next one
// after us.
void* Next(const char* name) {
  void* global = dlsym(RTLD_DEFAULT, name);
  if (IsDefinitionOutsideUs(global)) return global;
  return dlsym(RTLD_NEXT, name);
}

// True when f lives in the same object as the next malloc (or is absent, then false).
bool SameObjectAsMalloc(void* f, const void* malloc_base) {
  if (f == nullptr) return false;
  Dl_info info;
  return dladdr(f, &info) != 0 && info.dli_fbase == malloc_base;
}

void Resolve() {
  RealAllocator r{};
  r.malloc = reinterpret_cast<void* (*)(size_t)>(Next("malloc"));
  r.free = reinterpret_cast<void (*)(void*)>(Next("free"));
  r.calloc = reinterpret_cast<void* (*)(size_t, size_t)>(Next("calloc"));
  r.realloc = reinterpret_cast<void* (*)(void*, size_t)>(Next("realloc"));
  r.memalign = reinterpret_cast<void* (*)(size_t, size_t)>(Next("memalign"));
  if (r.malloc == nullptr || r.free == nullptr || r.calloc == nullptr || r.realloc == nullptr ||
      r.memalign == nullptr) {
    RawLog("cannot find the real malloc/free/calloc/realloc/memalign (dlsym RTLD_NEXT); aborting");
    _exit(127);
  }
  Dl_info info;
  const void* base = dladdr(reinterpret_cast<void*>(r.malloc), &info) != 0 ? info.dli_fbase
                                                                            : nullptr;
  void* f;
  f = Next("posix_memalign");
  r.posix_memalign = SameObjectAsMalloc(f, base)
                         ? reinterpret_cast<int (*)(void**, size_t, size_t)>(f)
                         : &FallbackPosixMemalign;
  f = Next("aligned_alloc");
  r.aligned_alloc = SameObjectAsMalloc(f, base) ? reinterpret_cast<void* (*)(size_t, size_t)>(f)
                                                : &FallbackAlignedAlloc;
  f = Next("valloc");
  r.valloc = SameObjectAsMalloc(f, base) ? reinterpret_cast<void* (*)(size_t)>(f) : &FallbackValloc;
  f = Next("pvalloc");
  r.pvalloc =
      SameObjectAsMalloc(f, base) ? reinterpret_cast<void* (*)(size_t)>(f) : &FallbackPvalloc;
  r.malloc_usable_size = reinterpret_cast<size_t (*)(void*)>(Next("malloc_usable_size"));
  g_real = r;
}

}  // namespace

bool EnsureRealResolved() {
  if (RealReady()) return true;
  if (tls_resolving) return false;  // nested call from inside dlsym: use the pool
  int expected = 0;
  if (g_real_state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
    tls_resolving = true;
    {
      ScopedGuard guard;
      Resolve();
    }
    tls_resolving = false;
    // The entries switch before the state is published, so a thread that sees "ready" also sees
    // them switched (FreeBeforeResolved relies on it). The CAS fails if the pool has handed out
    // a block (BootstrapAlloc replaced the entry): free() must keep checking for pool blocks.
    g_malloc_entry.store(g_real.malloc, std::memory_order_release);
    FreeFn expected_free = &FreeBeforeResolved;
    g_free_entry.compare_exchange_strong(expected_free, g_real.free, std::memory_order_acq_rel);
    UsableSizeFn expected_size = &UsableSizeBeforeResolved;
    g_usable_size_entry.compare_exchange_strong(
        expected_size, g_real.malloc_usable_size != nullptr ? g_real.malloc_usable_size : &NoUsableSize,
        std::memory_order_acq_rel);
    g_real_state.store(2, std::memory_order_release);  // pairs with the acquire in RealReady
    return true;
  }
  // Another thread is resolving. It takes microseconds; wait rather than mixing heaps.
  while (!RealReady()) sched_yield();
  return true;
}

void* BootstrapAlloc(size_t size, size_t align) {
  if (align < 16) align = 16;
  if (size > kPoolSize || (align & (align - 1)) != 0 || align > 4096) {
    errno = ENOMEM;
    return nullptr;
  }
  size_t need = sizeof(PoolHeader) + size + align;
  // Pool blocks may now reach free(): before this block is handed out, make sure the fast path
  // filters them (and that resolution, if still to come, keeps it that way).
  g_free_entry.store(&FreeOutsidePool, std::memory_order_release);
  g_usable_size_entry.store(&UsableSizeOutsidePool, std::memory_order_release);
  size_t start = g_pool_used.fetch_add(need, std::memory_order_relaxed);
  if (start + need > kPoolSize) {
    errno = ENOMEM;
    return nullptr;
  }
  uintptr_t p = reinterpret_cast<uintptr_t>(g_pool + start) + sizeof(PoolHeader);
  p = (p + align - 1) & ~(align - 1);
  reinterpret_cast<PoolHeader*>(p - sizeof(PoolHeader))->size = size;
  return reinterpret_cast<void*>(p);
}

size_t BootstrapUsableSize(const void* p) {
  return reinterpret_cast<const PoolHeader*>(static_cast<const char*>(p) - sizeof(PoolHeader))
      ->size;
}

void ForceBootstrapForTesting(long count) {
  g_forced_bootstrap.store(count, std::memory_order_relaxed);
}

bool TakeForcedBootstrap() {
  if (g_forced_bootstrap.load(std::memory_order_relaxed) <= 0) return false;
  return g_forced_bootstrap.fetch_sub(1, std::memory_order_relaxed) > 0;
}

}  // namespace leaktrack
