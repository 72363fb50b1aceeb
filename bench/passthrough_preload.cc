// bench_passthrough.so: the cheapest possible LD_PRELOAD interposer, for calibration only.
//
// Every malloc-family call goes straight to the next definition (RTLD_NEXT), with no guard, no
// sampling and no bookkeeping. Its cost over the bare allocator is the floor that any preloaded
// profiler pays just for the extra PLT hop, so bench/run.sh shows it next to leaktrack: the gap
// between the two rows is what leaktrack's own hooks cost.
//
// It must never be used as a product: it has no bootstrap buffer beyond the one dlsym needs on
// glibc 2.36 (none; dlsym does not allocate there, TORTURE.md A1), and it aborts if a function
// cannot be resolved.
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

namespace {

using MallocFn = void* (*)(size_t);
using FreeFn = void (*)(void*);
using CallocFn = void* (*)(size_t, size_t);
using ReallocFn = void* (*)(void*, size_t);
using MemalignFn = void* (*)(size_t, size_t);
using PosixMemalignFn = int (*)(void**, size_t, size_t);

// Plain globals, not function-local statics: a guarded static costs a load, a test and a
// stack frame on every call, which is more than the interposition itself (10% more
// instructions on bench/malloc_stress.cc, against 1.4% for a bare forwarder).
MallocFn real_malloc;
FreeFn real_free;
CallocFn real_calloc;
ReallocFn real_realloc;
MemalignFn real_memalign;
MemalignFn real_aligned_alloc;
PosixMemalignFn real_posix_memalign;

template <typename Fn>
Fn Resolve(const char* name) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (sym == nullptr) {
    static const char kMsg[] = "bench_passthrough: cannot resolve a malloc function\n";
    ssize_t ignored = write(2, kMsg, sizeof(kMsg) - 1);
    (void)ignored;
    abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// Runs from the constructor, or from the first call if that comes earlier (another library's
// constructor). Idempotent; two threads racing here store the same values.
__attribute__((noinline)) void ResolveAll() {
  real_malloc = Resolve<MallocFn>("malloc");
  real_free = Resolve<FreeFn>("free");
  real_calloc = Resolve<CallocFn>("calloc");
  real_realloc = Resolve<ReallocFn>("realloc");
  real_memalign = Resolve<MemalignFn>("memalign");
  real_aligned_alloc = Resolve<MemalignFn>("aligned_alloc");
  real_posix_memalign = Resolve<PosixMemalignFn>("posix_memalign");
}

__attribute__((constructor)) void Init() { ResolveAll(); }

#define LT_ENSURE(fn) \
  if (__builtin_expect(fn == nullptr, 0)) ResolveAll()

}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* malloc(size_t size) {
  LT_ENSURE(real_malloc);
  return real_malloc(size);
}

__attribute__((visibility("default"))) void free(void* p) {
  LT_ENSURE(real_free);
  real_free(p);
}

__attribute__((visibility("default"))) void* calloc(size_t n, size_t size) {
  LT_ENSURE(real_calloc);
  return real_calloc(n, size);
}

__attribute__((visibility("default"))) void* realloc(void* p, size_t size) {
  LT_ENSURE(real_realloc);
  return real_realloc(p, size);
}

__attribute__((visibility("default"))) void* memalign(size_t align, size_t size) {
  LT_ENSURE(real_memalign);
  return real_memalign(align, size);
}

__attribute__((visibility("default"))) void* aligned_alloc(size_t align, size_t size) {
  LT_ENSURE(real_aligned_alloc);
  return real_aligned_alloc(align, size);
}

__attribute__((visibility("default"))) int posix_memalign(void** out, size_t align,
                                                          size_t size) {
  LT_ENSURE(real_posix_memalign);
  return real_posix_memalign(out, align, size);
}

}  // extern "C"
