// File descriptors the shim opens for itself, kept out of the program's numbers.
//
// open() returns the lowest free number. A program may close one of its descriptors for a moment
// and then put something back on that number: dup2(saved, 1) after running a child with stdout
// closed (Python's test_subprocess does), or close(1) + open(), which POSIX promises returns 1.
// A dump that opened /proc/self/maps or its output file meanwhile would sit on that number: the
// program's open() would get another one, or its dup2() would silently close our file, we would
// read or write the program's stream, and our close() would then close its stdout (seen as EBADF
// in Python's regrtest). So every descriptor we open moves at once to a number near the top of
// RLIMIT_NOFILE, where programs do not look, and the low number is free again two system calls
// later instead of after a whole dump.
#pragma once

#include <sys/types.h>

namespace leaktrack {

// open(2), then MoveFdHigh. Returns -1 with errno set if open fails.
int OpenOwnFd(const char* path, int flags, mode_t mode = 0);

// Moves fd to the highest free number below min(RLIMIT_NOFILE, 65536) (close-on-exec) and
// closes the original; returns the new number. Returns fd unchanged if no number up there is
// free (the limit is below 64, or the top 64 numbers are taken).
int MoveFdHigh(int fd);

}  // namespace leaktrack
