// Stack capture for sampled allocations (one backend per file: unwind_libunwind.cc).
//
// The backend is libunwind, local-only, with its per-thread cache. Three platform problems are
// handled here and nowhere else:
//  - Our own frames (the interposed malloc, the hook, this unwinder) are cut by address: every
//    leading frame inside libleaktrack.so's text is dropped, whatever the compiler inlined.
//  - Frames are stored as return address - 1, so they point into the call instruction and
//    symbolizers report the calling line and the right inlined frame (PPROF.md §3).
//  - libunwind 1.6 validates memory through a pipe it opens on first use and keeps forever; a
//    program that closes all fds and reuses the numbers then has its files read and written by
//    libunwind (TORTURE.md C5). Our pipe2() interposer (interpose.cc) moves that one pipe to
//    the top of the fd range, out of reach of the numbers a program reuses. See MoveFdsHigh().
// Must be called with the thread's ScopedGuard held (libunwind may allocate). Not signal-safe.
#pragma once

#include <stdint.h>

namespace leaktrack {

// One-time set-up: caching policy, our own text range, libunwind's text range, and a warm-up
// unwind so that libunwind's lazy initialisation happens at a calm moment.
void InitUnwinder();

// Extra room CaptureStack needs in its buffer beyond max_depth: our own frames, which are
// captured and then cut, plus one to detect truncation.
constexpr int kCaptureSlack = 9;

// Captures up to max_depth caller frames (return address - 1, innermost first) into frames,
// which must hold max_depth + kCaptureSlack entries (the raw unwind lands there first, so no
// second buffer is needed on the stack). Returns the number captured; *truncated is set when the
// stack was deeper than max_depth.
int CaptureStack(uint64_t* frames, int max_depth, bool* truncated);

// True when return_address lies in libunwind's code: used by the pipe2 interposer.
bool IsLibunwindCaller(const void* return_address);

// Moves both fds of a fresh pipe to the highest free numbers below RLIMIT_NOFILE (close-on-exec),
// closing the originals. Leaves them where they are if that is not possible.
void MoveFdsHigh(int fds[2]);

}  // namespace leaktrack
