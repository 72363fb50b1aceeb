// Stack capture for sampled allocations (one backend per file: unwind_libunwind.cc).
//
// The backend is libunwind 1.6.2, local-only, built by us as a hidden static archive with
// initial-exec TLS and without per-read memory validation (third_party/libunwind.cmake).
// Three platform problems are handled here and nowhere else:
//  - Our own frames (the interposed malloc, the hook, this unwinder) are cut by address: every
//    leading frame inside libleaktrack.so's text is dropped, whatever the compiler inlined.
//  - Frames are stored as return address - 1, so they point into the call instruction and
//    symbolizers report the calling line and the right inlined frame (PPROF.md §3).
//  - libunwind opens a memory-validation pipe at initialisation and keeps it forever; a program
//    that closes all fds and reuses the numbers would then have its files read and written by
//    libunwind (TORTURE.md C5). Its pipe2 and sigprocmask calls are renamed at compile time
//    (third_party/libunwind_force_include.h) to the two functions at the end of this file: the
//    pipe goes to the top of the fd range, signal masking is the raw system call.
// Must be called with the thread's ScopedGuard held (libunwind may allocate). Not signal-safe.
#pragma once

#include <stdint.h>

namespace leaktrack {

// One-time set-up: caching policy, our own text range (libunwind's included), and a warm-up
// unwind so that libunwind's lazy initialisation happens at a calm moment.
void InitUnwinder();

// Extra room CaptureStack needs in its buffer beyond max_depth: our own frames, which are
// captured and then cut, plus one to detect truncation.
constexpr int kCaptureSlack = 9;

// The registers a stack walk needs, as they were in the frame that called into the shim: the
// return address it will resume at, its stack pointer after the return, and its rbp and rbx
// (the registers libunwind's fast walk reads; the others it never needs). Noted by the entry
// stubs of the malloc, calloc and realloc slow paths (hooks.cc), so that a walk can start there
// instead of here.
struct CallerRegs {
  uintptr_t ip;
  uintptr_t sp;
  uintptr_t bp;
  uintptr_t bx;
};

// Captures up to max_depth caller frames (return address - 1, innermost first) into frames,
// which must hold max_depth + kCaptureSlack entries (the raw unwind lands there first, so no
// second buffer is needed on the stack). Returns the number captured; *truncated is set when the
// stack was deeper than max_depth, *through_unloaded when a frame lies where a library was
// unloaded (recycled_code.h).
// With `caller` (whose frame must still be live: an ancestor of this call), the walk starts at
// that frame and skips the shim's own frames between it and here, about 8 of the 13 frames of
// a typical sample; any frames of ours it starts in are cut as usual. Without it, or when the
// fast walk from there fails, the walk starts here.
int CaptureStack(uint64_t* frames, int max_depth, bool* truncated, bool* through_unloaded,
                 const CallerRegs* caller = nullptr);

// Called after dlclose unmapped code: every thread's cache of frame rules (libunwind's, keyed by
// address alone) is emptied before its next walk, so that code loaded later at the same address
// is not walked with the old code's rules (TORTURE.md G4). Thread-safe; lock-free.
void ForgetCachedUnwindRules();

}  // namespace leaktrack
