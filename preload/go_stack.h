// Stacks of C code that Go calls (cgo), continued into the Go code that called it.
//
// A Go program calls C through runtime.asmcgocall, which moves to the thread's system stack and
// calls the C function from there. asmcgocall is Go assembly without unwind rules, so a stack
// walk ends in it: a profile of a Go service whose C library leaks named the C function and
// `runtime.asmcgocall`, never the Go function that called it, and a C function called from many
// places in Go (a database driver's) was one anonymous site.
//
// The Go code is still reachable by its frame pointers, which Go keeps on amd64 (since 1.7):
// asmcgocall and the C code below it leave rbp as they found it (callee-saved), so rbp in
// asmcgocall's frame, which libunwind recovers through the C frames' unwind rules, is the frame
// pointer of runtime.cgocall on the goroutine's stack. From there [rbp + 8] is a return address
// and [rbp] the caller's rbp, up to the goroutine's first frame (rbp 0).
//
// Every read of that chain goes through process_vm_readv on our own process, which returns
// EFAULT for an unmapped address instead of faulting: a chain we misread (a C function that used
// rbp as a plain register without saying so, a Go version that changed its convention) ends the
// walk, never the program. The walk also stops at a frame pointer that does not grow (the stack
// grows down, callers live higher), a gap over 1 MiB, or a return address outside the
// executable, where all Go code lives.
#pragma once

#include <stdint.h>

namespace leaktrack {

// True when the main program was linked by Go (its build ID note: owner "Go", type 4). Reads the
// program headers the kernel mapped (auxv), so no lock, file or allocation.
bool MainProgramIsGo();

// Looks runtime.asmcgocall up in the main executable's symbol table when it is a Go program
// (other programs pay for no file access). Once, at start-up.
void InitGoStacks();

// Whether `ip` lies in runtime.asmcgocall (always false unless InitGoStacks found it).
bool InAsmCgoCall(uintptr_t ip);

// Appends the Go callers found by the frame-pointer chain starting at `bp` to frames[depth..],
// each as return address - 1 like the rest (unwind.h), and returns the new depth. Sets
// *truncated when the chain went on past max_depth.
int AppendGoFrames(uintptr_t bp, uint64_t* frames, int depth, int max_depth, bool* truncated);

// Test-only: where AppendGoFrames takes return addresses to be (InitGoStacks sets the
// executable's code).
void SetGoCodeRangeForTesting(uintptr_t begin, uintptr_t end);

}  // namespace leaktrack
