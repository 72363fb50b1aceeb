// LEAKTRACK_FOLLOW_EXEC=0: programs this process execs do not load us (TORTURE.md C3).
//
// By default LD_PRELOAD is inherited, so every dynamically linked 64-bit program the target
// execs is profiled too (one dump file per pid). With follow-exec off, the constructor takes our
// own entries out of LD_PRELOAD in this process's environment, keeping every other tool's entry
// and the separators between them as they were, and unsets the variable when nothing is left.
// Children then start exactly as without us: in particular a 32-bit child's loader no longer
// prints "wrong ELF class: ELFCLASS64 ... ignored" for our 64-bit path.
//
// Never: writes into the program's environment strings (a putenv'd string may be a read-only
// literal), allocates, or touches the environment in secure-execution mode. The edited value
// lives in our own static buffer (we are never unloaded: -z nodelete), and environ is changed
// by one aligned pointer store, so a thread reading the environment meanwhile sees the old or
// the new string, both valid forever.
#pragma once

#include <stddef.h>

namespace leaktrack {

// Writes to out (cap bytes, NUL-terminated) the LD_PRELOAD value `list` without the entries for
// which is_self(entry, ctx) is true; entries are split as ld.so splits them (on ' ' and ':').
// Returns the number of entries removed, or -1 (out unspecified) when out is too small. Pure.
int StripPreloadList(const char* list, bool (*is_self)(const char* entry, void* ctx), void* ctx,
                     char* out, size_t cap);

// True if the LD_PRELOAD entry `entry`, which holds a dynamic string token ($LIB, ${PLATFORM},
// $ORIGIN...), can name the file at `path` (where ld.so loaded us from): the text before the first
// '$' begins path and the file names after the last '/' are equal. We cannot expand the tokens
// ourselves ($LIB's value is built into ld.so), so this is the test; an entry without '$' does not
// match. Pure.
bool TokenEntryMatchesPath(const char* entry, const char* path);

// Takes our own entries out of LD_PRELOAD in environ. Call once, from the constructor, after
// the configuration is loaded. Not signal-safe (unsetenv takes libc's environment lock).
void StopFollowingExec();

}  // namespace leaktrack
