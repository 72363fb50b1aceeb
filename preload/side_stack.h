// Side stacks: the unwind of a sampled allocation runs on a stack of ours, not the program's.
//
// libunwind needs about 6 KiB of stack (its context and cursor alone are 2 KiB), more than is
// left on a 16 KiB thread or coroutine stack, or on a small alternate signal stack, where the
// program itself fits fine (TORTURE.md G5). A fixed pool of 256 KiB stacks, each with a guard
// page, is reserved once; a sampling thread borrows a free one for the duration of the unwind
// and returns it. When none is free (or the pool could not be mapped) the unwind runs where it
// is, as before. The pool costs address space, and memory only for the pages an unwind touched.
//
// The switch is a small frame-pointer trampoline with call-frame information, so libunwind (and
// gdb) walk from the side stack back onto the program's stack as through any other frame.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace leaktrack {

struct ThreadState;

// Including its guard page. Far more than the unwind needs (~8 KiB): a program's signal handler
// that interrupts the unwind runs on this stack too, and must find room as it would have on a
// thread's own stack. Only touched pages cost memory.
constexpr size_t kSideStackSize = 256 * 1024;

// Maps the pool; idempotent and thread-safe. Without it RunOnSideStack runs fn in place.
void InitSideStacks();

// Calls fn(arg) on a free side stack, or on the current stack when none is free. Records the
// borrowed stack in the thread's state while fn runs. Not reentrant per thread (the caller holds
// the thread's ScopedGuard).
void RunOnSideStack(void (*fn)(void*), void* arg);

// True when `frame` lies on the side stack this thread is using now.
bool IsOnThreadsSideStack(const ThreadState& ts, uintptr_t frame);

// The pool's mapping, for reporting our own memory; false when there is none (yet).
bool SideStackPool(const void** base, size_t* bytes);

// Returns the side stack a thread left behind by jumping out of fn with siglongjmp (found by
// GuardIsStale's caller), so the pool does not shrink.
void ReleaseAbandonedSideStack(ThreadState* ts);

// In a fork child only the forking thread exists: stacks other threads had borrowed are free.
// Registered with pthread_atfork by InitSideStacks.
void ResetSideStacksAfterFork();

}  // namespace leaktrack
