// The exported names: the malloc family, every C++ operator new/delete, and dlclose.
//
// Each body only forwards to a hook (hooks.h), so all logic is testable without LD_PRELOAD.
// exports.map makes these, and the small leaktrack_* control API, the only visible symbols.
//
// operator new: we try the tracked malloc first. Only when that returns null do we call the
// next library's operator new, which runs the program's new_handler loop and throws
// std::bad_alloc exactly as it would without us; the exception passes through our frame,
// which holds no state. delete in every form is free: our new always allocates with malloc.
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <new>

#include "attach.h"
#include "hooks.h"
#include "unload_tracker.h"

using leaktrack::HookFree;
using leaktrack::HookMalloc;
using leaktrack::HookMemalign;

#define LT_EXPORT extern "C" __attribute__((visibility("default")))

LT_EXPORT void* malloc(size_t size) noexcept { return HookMalloc(size); }
LT_EXPORT void free(void* ptr) noexcept { HookFree(ptr); }
LT_EXPORT void* calloc(size_t n, size_t size) noexcept { return leaktrack::HookCalloc(n, size); }
LT_EXPORT void* realloc(void* ptr, size_t size) noexcept {
  return leaktrack::HookRealloc(ptr, size);
}
LT_EXPORT void* reallocarray(void* ptr, size_t n, size_t size) noexcept {
  return leaktrack::HookReallocarray(ptr, n, size);
}
LT_EXPORT int posix_memalign(void** out, size_t align, size_t size) noexcept {
  return leaktrack::HookPosixMemalign(out, align, size);
}
LT_EXPORT void* aligned_alloc(size_t align, size_t size) noexcept {
  return leaktrack::HookAlignedAlloc(align, size);
}
LT_EXPORT void* memalign(size_t align, size_t size) noexcept { return HookMemalign(align, size); }
LT_EXPORT void* valloc(size_t size) noexcept { return leaktrack::HookValloc(size); }
LT_EXPORT void* pvalloc(size_t size) noexcept { return leaktrack::HookPvalloc(size); }
LT_EXPORT size_t malloc_usable_size(void* ptr) noexcept {
  return leaktrack::HookMallocUsableSize(ptr);
}

// Unloading code: the dump must still name the library a sample ran in (unload_tracker.h).
LT_EXPORT int dlclose(void* handle) noexcept { return leaktrack::HookDlclose(handle); }

// ---- C++ ---------------------------------------------------------------------------------------
namespace {

// Our own instance: naming std::nothrow would make the shim depend on libstdc++.
const std::nothrow_t kNothrow{};

// The next library's operator, looked up once per *operator*: each exported operator passes its
// own slot. (One shared slot would hand operator new the next operator new[], which calls our
// operator new again: an endless loop when allocation fails.)
template <typename Fn>
Fn Next(Fn* slot, const char* mangled) {
  Fn fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (fn == nullptr) {
    // Attached, the scope after us ends at libc (attach.h); ours is not in the global one.
    fn = reinterpret_cast<Fn>(dlsym(leaktrack::Attached() ? RTLD_DEFAULT : RTLD_NEXT, mangled));
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
  }
  return fn;
}

using NewFn = void* (*)(size_t);
using NewNothrowFn = void* (*)(size_t, const std::nothrow_t&);
using AlignedNewFn = void* (*)(size_t, std::align_val_t);
using AlignedNewNothrowFn = void* (*)(size_t, std::align_val_t, const std::nothrow_t&);

// When malloc fails, the next operator runs the new_handler loop and throws bad_alloc, as without
// us. Out of line and cold, so that operator new itself keeps only the size across its one call.
__attribute__((noinline, cold)) void* DelegateNew(size_t size, NewFn* slot, const char* next_name) {
  NewFn next = Next(slot, next_name);
  return next != nullptr ? next(size) : nullptr;
}

__attribute__((noinline, cold)) void* DelegateNewNothrow(size_t size, NewNothrowFn* slot,
                                                         const char* next_name) {
  NewNothrowFn next = Next(slot, next_name);
  return next != nullptr ? next(size, kNothrow) : nullptr;
}

// new(0) must return a unique pointer: ask malloc for 1 byte (size + (size == 0) is branch-free).
inline size_t NonZero(size_t size) { return size + (size == 0); }

inline void* NewOrDelegate(size_t size, NewFn* slot, const char* next_name) {
  if (void* p = HookMalloc(NonZero(size)); __builtin_expect(p != nullptr, 1)) return p;
  return DelegateNew(size, slot, next_name);
}

inline void* NewNothrowOrDelegate(size_t size, NewNothrowFn* slot, const char* next_name) {
  if (void* p = HookMalloc(NonZero(size)); __builtin_expect(p != nullptr, 1)) return p;
  return DelegateNewNothrow(size, slot, next_name);
}

void* AlignedNewOrDelegate(size_t size, std::align_val_t al, AlignedNewFn* slot,
                           const char* next_name) {
  if (void* p = HookMemalign(static_cast<size_t>(al), size == 0 ? 1 : size)) return p;
  AlignedNewFn next = Next(slot, next_name);
  return next != nullptr ? next(size, al) : nullptr;
}

void* AlignedNewNothrowOrDelegate(size_t size, std::align_val_t al, AlignedNewNothrowFn* slot,
                                  const char* next_name) {
  if (void* p = HookMemalign(static_cast<size_t>(al), size == 0 ? 1 : size)) return p;
  AlignedNewNothrowFn next = Next(slot, next_name);
  return next != nullptr ? next(size, al, kNothrow) : nullptr;
}

NewFn g_next_new, g_next_new_array;
NewNothrowFn g_next_new_nothrow, g_next_new_array_nothrow;
AlignedNewFn g_next_new_aligned, g_next_new_array_aligned;
AlignedNewNothrowFn g_next_new_aligned_nothrow, g_next_new_array_aligned_nothrow;

}  // namespace

#define LT_CXX_EXPORT __attribute__((visibility("default")))

LT_CXX_EXPORT void* operator new(size_t size) { return NewOrDelegate(size, &g_next_new, "_Znwm"); }
LT_CXX_EXPORT void* operator new[](size_t size) { return NewOrDelegate(size, &g_next_new_array, "_Znam"); }
LT_CXX_EXPORT void* operator new(size_t size, const std::nothrow_t&) noexcept {
  return NewNothrowOrDelegate(size, &g_next_new_nothrow, "_ZnwmRKSt9nothrow_t");
}
LT_CXX_EXPORT void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return NewNothrowOrDelegate(size, &g_next_new_array_nothrow, "_ZnamRKSt9nothrow_t");
}
LT_CXX_EXPORT void* operator new(size_t size, std::align_val_t al) {
  return AlignedNewOrDelegate(size, al, &g_next_new_aligned, "_ZnwmSt11align_val_t");
}
LT_CXX_EXPORT void* operator new[](size_t size, std::align_val_t al) {
  return AlignedNewOrDelegate(size, al, &g_next_new_array_aligned, "_ZnamSt11align_val_t");
}
LT_CXX_EXPORT void* operator new(size_t size, std::align_val_t al,
                                 const std::nothrow_t&) noexcept {
  return AlignedNewNothrowOrDelegate(size, al, &g_next_new_aligned_nothrow,
                                     "_ZnwmSt11align_val_tRKSt9nothrow_t");
}
LT_CXX_EXPORT void* operator new[](size_t size, std::align_val_t al,
                                   const std::nothrow_t&) noexcept {
  return AlignedNewNothrowOrDelegate(size, al, &g_next_new_array_aligned_nothrow,
                                     "_ZnamSt11align_val_tRKSt9nothrow_t");
}

LT_CXX_EXPORT void operator delete(void* p) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete[](void* p) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete(void* p, size_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete[](void* p, size_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete(void* p, std::align_val_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete[](void* p, std::align_val_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete(void* p, size_t, std::align_val_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete[](void* p, size_t, std::align_val_t) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { HookFree(p); }
LT_CXX_EXPORT void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  HookFree(p);
}
LT_CXX_EXPORT void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  HookFree(p);
}
