// Dumps asked for by a file, for a `leaktrack dump` that may not write the process's memory.
//
// dump asks a process's interval thread for a dump through its memory (leaktrack_dump_requested,
// dump_trigger.cc), which takes the rights to ptrace it. A user often has less. Where Yama's
// ptrace_scope is 1 (Ubuntu's default, and so in containers on such hosts) only a parent or a
// holder of CAP_SYS_PTRACE may write there, yet the process's owner may still read its maps and
// environment and write its dump directory. dump then creates leaktrack.<pid>.request in that
// directory, and the interval thread looks for it after each nap: one or two stat calls per
// 100 ms. Without this, dump would fall back to a signal, with the EINTR it brings, and a Go
// program would wait for its next periodic dump.
//
// Only a regular file owned by the process's effective uid or by root counts, looked at without
// following a symlink: in a shared directory such as /tmp anyone may create one, and a user who
// may not signal the process must not make it dump either. Each file is served once, told apart
// by device, inode and change time. The thread removes it where it may (a service user may not
// remove root's file from a sticky /tmp); dump removes it once its dump is there.
#pragma once

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

namespace leaktrack {

// A request file is named leaktrack.<pid><kRequestFileSuffix>, <pid> as getpid() says, by the
// shim and by dump (tools/shim_settings.cc) alike.
constexpr char kRequestFileSuffix[] = ".request";

// Whether a request file with these attributes (lstat's) asks for a dump, for a process whose
// effective uid is `euid`. Pure, for tests.
bool RequestFileAccepted(const struct stat& st, uid_t euid);

// The request files of this process's dump directories, and the one served last. The interval
// thread's own; not thread-safe.
class DumpRequestWatch {
 public:
  // True once for each accepted request file in `dir` ("" = the working directory) or, when dir
  // is "", in `fallback_dir` (where dumps go when the working directory refuses them), and
  // removes it where it may. No allocation.
  bool Asked(const char* dir, const char* fallback_dir);

 private:
  bool AskedIn(const char* dir);

  dev_t served_dev_ = 0;
  ino_t served_ino_ = 0;
  int64_t served_ctime_ns_ = 0;
};

}  // namespace leaktrack
