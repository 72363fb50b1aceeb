// How much memory the shim itself holds, for the dump to report (heap_profile.cc).
//
// The tables and the side stacks are reserved once at start-up (19 MiB at the defaults) and cost
// the program only the pages that were written: the live table's pages where samples landed, a
// stack's frames once it was seen, a side stack's top while an unwind runs. How many that is
// depends on the program, so it is read, not assumed. /proc/self/pagemap tells each page apart:
// present and mapped by this process alone. mincore would not do: reads of untouched memory
// (every free() reads the filter) map the shared zero page, which mincore counts as resident
// and which costs nothing. Pages still shared with a fork's parent or child count for neither.
//
// Not counted: the shim's code, data and TLS (about 0.5 MiB in an idle program), a dump's
// scratch (unmapped when the dump ends), and the pages of the program's unwind tables that
// libunwind reads (file pages, clean: +2.2 MiB of cc1plus's .eh_frame in bench's compile).
// Async-signal-safe.
#pragma once

#include <stddef.h>

#include "profiler.h"

namespace leaktrack {

struct OwnMemory {
  size_t reserved = 0;
  size_t resident = 0;
  bool resident_known = false;  // false when pagemap cannot be read (some sandboxes hide it)
};

OwnMemory MeasureOwnMemory(const Profiler& p);

// Adds to *bytes the bytes of [start, start + size) that are present and mapped by this
// process alone, read from pagemap_fd (an open /proc/self/pagemap). False on a read error.
bool AddPrivateResidentBytes(int pagemap_fd, const void* start, size_t size, size_t* bytes);

}  // namespace leaktrack
