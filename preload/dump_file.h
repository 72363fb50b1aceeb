// Writing one dump to disk so that nobody ever sees half a file or loses one.
//
// The bytes go to a file without a name (open(dir, O_TMPFILE), mode 0600), which is then
// hard-linked to the final name leaktrack.<pid>.<seq>.pb.gz through /proc/self/fd. A process
// that dies mid-dump (exit() while the interval thread writes, SIGKILL) leaves nothing behind.
// Where O_TMPFILE or /proc is missing, the bytes go to a fresh temporary name instead
// (.leaktrack.<pid>.<seq>.tmp, O_CREAT|O_EXCL|O_NOFOLLOW: no symlink is followed, nothing
// existing is touched), linked the same way and removed; only there can a death mid-dump leave
// the temporary. A link never replaces an existing file, so a clash (pid reuse, a file left by
// an earlier run) moves on to the next sequence number. The pid is read at dump time, so a
// forked child never writes over its parent's files.
//
// Before writing, the size is checked against RLIMIT_FSIZE: exceeding it would raise SIGXFSZ,
// whose default action kills the process (TORTURE.md I5). A failure leaves no file behind and
// returns the errno for a one-line report. Async-signal-safe.
#pragma once

#include <stddef.h>

namespace leaktrack {

struct DumpFileResult {
  bool ok = false;
  int error = 0;             // errno of the failing step
  const char* step = "";     // "open", "write", "link", "size limit"
  char path[640] = "";       // final path on success, the attempted one on failure
  unsigned long seq = 0;     // the sequence number in path
};

// dir == "" means the working directory. A failure gives its sequence number back when no
// other dump took one since, so the next dump (to another directory, say) is not numbered as
// if one had been written.
DumpFileResult WriteDumpFile(const char* dir, const char* data, size_t size);

// The name a dump of process pid with sequence number seq has in dir: leaktrack.<pid>.<seq>.pb.gz.
void FormatDumpPath(char* out, int cap, const char* dir, unsigned long pid, unsigned long seq);

}  // namespace leaktrack
