// What `leaktrack attach` must know about a process before it stops one of its threads: where
// the loader's functions are, and which threads wait where stopping them is safe.
//
// Reads /proc/PID/{maps,task/*/syscall} and ELF files only; changes nothing in the process.
#ifndef LEAKTRACK_TOOLS_ATTACH_PLAN_H_
#define LEAKTRACK_TOOLS_ATTACH_PLAN_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "symbolizer/result.h"
#include "tools/process_maps.h"
#include "tools/target_process.h"

namespace leaktrack {

// Addresses in the process of the functions attach calls there.
struct LoaderFunctions {
  uint64_t dlopen = 0;
  uint64_t dlsym = 0;
  uint64_t dlerror = 0;
  uint64_t errno_location = 0;  // __errno_location: to give the thread its errno back
};

// Finds them in the process's libc.so.6 (glibc 2.34 and later hold dlopen there) or, before
// that, its libc and libdl.so.2, from the files' dynamic symbols and the load addresses in
// `maps` (the text of its /proc/PID/maps). An error names what is missing (no glibc, or an old
// one without libdl loaded, or a file we cannot reach as the process mapped it).
Result<LoaderFunctions> FindLoaderFunctions(const TargetProcess& target, const std::string& maps);

// Looks up dynamic symbols (functions or variables) of the file the process mapped at `mapped`
// (its lowest mapping will do), as addresses in the process; entries not found stay 0. Only the
// very file mapped is read (same device and inode), through /proc/PID/map_files, the process's
// root or ours; an error says when none of them is that file.
Status FindSymbols(const TargetProcess& target, const MapsLine& mapped,
                   const std::vector<std::pair<const char*, uint64_t*>>& names);

// A thread waiting in a system call entered outside the allocator's and the loader's locks.
struct StoppableThread {
  pid_t tid = 0;
  long syscall = -1;
  std::string call;         // its name, for messages
  bool sees_eintr = false;  // the call returns EINTR after a ptrace stop instead of restarting
};

// The threads of `pid` that can be stopped now, best first: those whose call the kernel
// restarts after a stop (read, accept, poll, nanosleep, wait4, a condition-variable wait...),
// then those in epoll_wait or sigtimedwait, which return EINTR once, as after `strace -p`.
// Never a plain futex wait (a mutex, maybe malloc's own) or mmap/brk (malloc itself), nor a
// running thread (it could be anywhere), nor one with less than 64 KiB of stack below its
// stack pointer (the calls run there). *seen summarises what the others were doing, for the
// message when none will do ("3 running, 8 in a mutex wait").
std::vector<StoppableThread> StoppableThreads(pid_t pid, std::string* seen);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_ATTACH_PLAN_H_
