// When dumps happen: on a signal (SIGUSR2 by default), every LEAKTRACK_INTERVAL seconds, at exit,
// or when the program calls leaktrack_dump().
//
// Design choice: the dump is written inside the signal handler, with raw system calls and
// pre-reserved memory, rather than by a dump thread that the handler wakes. Reasons:
//  - A helper thread changes the program: unshare(CLONE_NEWUSER) fails in a multi-threaded
//    process, "am I single-threaded?" checks before fork change answer, process-directed signals
//    may land on it (TORTURE.md B4). A thread also does not survive fork.
//  - Everything the dump needs is already async-signal-safe by construction: the tables are read
//    with atomic loads and never locked, memory comes from mmap, /proc/self/maps and build IDs
//    are read with open/read/pread, zlib runs on our arena, and files are written with
//    open/write/link. Nothing takes a lock that malloc, dlopen or the interrupted thread can hold.
//  - The cost is that the thread that receives the signal does the work (tens of milliseconds
//    for a big table); every other thread keeps running, since no lock is held.
// Periodic dumps (LEAKTRACK_INTERVAL) are the exception: they run on a thread created only when
// asked for, because a timer signal would interrupt the program's sleeps (see the .cc).
// Only one dump runs at a time: a request that arrives meanwhile is folded into a second pass.
//
// If the program already handles (or ignores) the dump signal, we leave it alone: the program
// keeps priority and behaves exactly as without us, and we say so once on stderr.
#pragma once

namespace leaktrack {

// Installs the signal handler, interval thread, at-exit dump and fork handler as configured.
// Call once from the constructor, with the thread's guard held.
void InstallDumpTriggers();

// Notices, once, that the program has replaced our dump-signal handler since start-up, and says
// so on stderr (the program keeps the signal; dumps on signal are then off). Cheap enough to call
// from the sampling slow path: checks the first 1024 calls, then every 64th.
void CheckDumpSignalOwnership();

// Writes one dump now (or folds into a dump in progress). Async-signal-safe. Returns true when a
// file was written (or a running dump will cover this request).
bool DumpNow();

}  // namespace leaktrack
