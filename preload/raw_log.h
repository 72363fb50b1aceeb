// Non-allocating logging for code that runs inside the target process.
//
// RawLog formats into a stack buffer and write(2)s one line, prefixed "leaktrack: ", to fd 2.
// It never allocates, never takes a lock and is async-signal-safe, so it may be called from
// malloc hooks and signal handlers. It supports only %s %d %u %ld %lu %zu %x %lx %p, which is
// all the shim needs. If the program has pointed fd 2 somewhere else since start-up (a daemon
// that closed stderr and reused the number for a data file), the line is dropped rather than
// written into the program's file (TORTURE.md C5).
#pragma once

namespace leaktrack {

// Records the identity (device, inode) of fd 2 so later logs can check it is still stderr.
// Call once at start-up.
void RememberStderr();

// Logs one line. Async-signal-safe; never allocates; output longer than ~480 bytes is cut.
void RawLog(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Formats into buf (always NUL-terminated). Async-signal-safe. Returns the length written.
int RawFormat(char* buf, int size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));

// A short symbolic name for an errno value ("ENOENT"), or "errno" when unknown.
const char* ErrnoName(int err);

}  // namespace leaktrack
