// dlclose, watched: which code it unmapped (TORTURE.md G4).
//
// HookDlclose runs the real dlclose and, when that really unloaded objects (glibc's dlpi_subs
// moved), works out which ones by comparing the loaded-object lists from dl_iterate_phdr
// before and after. Their executable segments (page-rounded as /proc/self/maps shows them,
// with the path and the build ID read from the file, as the dump does) go to the profiler's
// departed-mappings table, and the ranges to the unwinder's recycled-code set.
//
// Cost: only dlclose pays (two or three dl_iterate_phdr walks, one scratch mapping); malloc and
// free are untouched. Limits: objects glibc unloads internally (gconv modules via
// __libc_dlclose) bypass the exported dlclose and are not seen; code that another thread loads
// into a just-freed range in the instant between the real dlclose returning and our bookkeeping
// can be blamed on the departed object.
#pragma once

namespace leaktrack {

// Same contract as dlclose(3). Forwards only, when the profiler is not active.
int HookDlclose(void* handle);

}  // namespace leaktrack
