// Paths under /proc for this process that keep working after its main thread has exited.
//
// /proc/self names the process by its main thread. When that thread calls pthread_exit while
// others run on (a server whose main() starts its workers and leaves), the kernel releases the
// thread's hold on the memory map and file table: maps reads empty, exe and mem fail, fd/ is
// empty, and a dump from then on named no binary and could not link its file into place.
// /proc/thread-self (Linux 3.17) names the calling thread, which shares them.
// Async-signal-safe.
#pragma once

#include <stddef.h>

namespace leaktrack {

// Writes "/proc/thread-self/<leaf>" into buf, or "/proc/self/<leaf>" on kernels without it.
void ProcSelfPath(const char* leaf, char* buf, size_t cap);

}  // namespace leaktrack
