/* Force-included into every libunwind source file we compile (libunwind.cmake).
 *
 * pipe2: libunwind opens a memory-validation pipe once and keeps it forever. Left alone it takes
 *   the lowest free descriptors, which a program may expect to get itself (TORTURE.md C5).
 *   leaktrack_unwind_pipe2 (unwind_libunwind.cc) moves it to the top of the fd range.
 * sigprocmask: libunwind masks signals around its internal locks. A program (or another
 *   preload) that interposes sigprocmask may call dlsym or take the loader lock there, which
 *   deadlocked against a thread unwinding while it held the loader lock (TORTURE.md A3).
 *   leaktrack_unwind_sigprocmask is the raw system call. */
#ifndef LEAKTRACK_LIBUNWIND_FORCE_INCLUDE_H
#define LEAKTRACK_LIBUNWIND_FORCE_INCLUDE_H
#define pipe2 leaktrack_unwind_pipe2
#define sigprocmask leaktrack_unwind_sigprocmask
#endif
