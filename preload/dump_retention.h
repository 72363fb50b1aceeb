// How many of its dumps a process keeps on disk (LEAKTRACK_KEEP).
//
// A service left running with LEAKTRACK_INTERVAL=60 writes 1,440 dumps a day into its
// directory, often the disk it needs itself; jemalloc's prof_interval has the same habit and
// its users learn of it from a full disk. So a process keeps its first dump (the baseline a
// leak hunt compares with: `leaktrack growth`, `diff`) and its newest keep - 1, and removes the
// one that falls out of that window each time it writes a new one. Only files it wrote, by the
// names it wrote them under: one moved, removed or replaced since is left as it is (unlink of
// a name we did not write can only remove a file someone put there under our name, which the
// numbering never reuses). keep == 0 keeps everything.
//
// One dump runs at a time (dump_trigger.h), so there is no locking. A forked child has its own
// pid and files: ResetDumpRetentionAfterFork starts its history afresh. Async-signal-safe.
#pragma once

#include <stdint.h>

namespace leaktrack {

constexpr uint32_t kMaxKeptDumps = 4096;  // the window's ring is static: 64 KiB, touched as used

// Records that this process wrote dump `seq` into `dir` (a string that outlives the process's
// dumps: its configuration's), and removes the dump that falls out of the window.
void NoteDumpWritten(const char* dir, unsigned long seq, uint32_t keep);

// In a fork child: nothing written yet.
void ResetDumpRetentionAfterFork();

}  // namespace leaktrack
