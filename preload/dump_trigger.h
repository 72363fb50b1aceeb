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
// keeps priority and behaves exactly as without us, and we say so once on stderr. The same holds
// when it takes the signal later (see below).
#pragma once

namespace leaktrack {

// Installs the signal handler, interval thread, at-exit dump and fork handler as configured.
// Call once from the constructor, with the thread's guard held.
void InstallDumpTriggers();

// Who owns the dump signal after start-up. The program may replace our handler at any time; it
// then keeps the signal (dumps on signal are off) and we say so once on stderr. Two ways notice:
//  - NoteSignalDispositionChanged, called by the sigaction/signal wrappers (signal_hooks.h)
//    right after the program changed a disposition: exact and immediate at any sampling rate;
//  - CheckDumpSignalOwnership, from the sampling slow path, for what the wrappers cannot see
//    (the raw rt_sigaction system call, Go without cgo, a function we do not wrap).
// If the program later puts our handler back (it saved it with sigaction and restores it, as
// test suites and libraries that borrow a signal do), the signal is ours again: the kernel runs
// our handler, so dumps on signal work, and a second takeover is noticed like the first. Only the
// first takeover and the first hand-back are logged, so a program that swaps handlers in a loop
// does not flood stderr. Only the wrappers notice a hand-back; the periodic check never
// reclaims the signal.

// Notices a takeover (or the hand-back of our handler) after the program changed sig's
// disposition. Async-signal-safe and thread-safe; no-op for other signals, or before our handler
// was installed (a handler set before our constructor is respected by InstallDumpTriggers).
void NoteSignalDispositionChanged(int sig);

// Notices, once, that the program has replaced our dump-signal handler behind the wrappers'
// back. Cheap enough to call from the sampling slow path: checks the first 1024 calls, then
// every 64th.
void CheckDumpSignalOwnership();

// Whether our handler is, as far as we know, the dump signal's disposition. For tests.
bool DumpSignalIsOursForTesting();

// Writes one dump now (or folds into a dump in progress). Async-signal-safe. Returns true when a
// file was written (or a running dump will cover this request).
bool DumpNow();

}  // namespace leaktrack
