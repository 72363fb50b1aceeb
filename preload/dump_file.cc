// See dump_file.h.
#include "dump_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "fault_injection.h"
#include "own_fd.h"
#include "proc_self.h"
#include "raw_log.h"

namespace leaktrack {
namespace {

std::atomic<unsigned long> g_next_seq{0};

int FormatPath(char* out, int cap, const char* dir, const char* prefix, unsigned long pid,
               unsigned long seq, const char* suffix) {
  if (dir[0] == '\0') return RawFormat(out, cap, "%sleaktrack.%lu.%lu%s", prefix, pid, seq, suffix);
  return RawFormat(out, cap, "%s/%sleaktrack.%lu.%lu%s", dir, prefix, pid, seq, suffix);
}

DumpFileResult Fail(DumpFileResult r, const char* step, int err) {
  r.ok = false;
  r.step = step;
  r.error = err;
  return r;
}

// Moves r->path on to the next sequence number, after a name was found taken.
void NextName(const char* dir, unsigned long pid, DumpFileResult* r) {
  r->seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
  FormatPath(r->path, sizeof(r->path), dir, "", pid, r->seq, ".pb.gz");
}

// Writes all of data to fd. 0, or the errno of the failed write (ENOSPC for a write of 0).
int WriteAll(int fd, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n;
    if (FaultFailWrite()) {
      n = -1;
      errno = EIO;
    } else {
      n = write(fd, data + done, size - done);
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : ENOSPC;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int OpenDumpFile(const char* path, int flags) {
  if (FaultFailOpen()) {
    errno = EIO;
    return -1;
  }
  return OpenOwnFd(path, flags, 0600);
}

// errnos with which open(O_TMPFILE) says "not here" rather than "cannot write a file here": a
// kernel before 3.11 (EISDIR), a file system without it (EOPNOTSUPP), a flag it rejects.
bool TmpfileUnsupported(int err) { return err == EISDIR || err == EOPNOTSUPP || err == EINVAL; }

// errnos with which link() says this file system has no hard links.
bool NoHardLinks(int err) { return err == EPERM || err == EOPNOTSUPP || err == ENOSYS; }

// One attempt to give a finished file the name `to` without replacing anything; true on success.
using NameOnce = bool (*)(const char* from, const char* to);

// A nameless file, through its /proc/self/fd entry.
bool LinkFdPath(const char* from, const char* to) {
  return linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0;
}

// A named temporary: a hard link, or where there are none an exclusive rename, which gives the
// same guarantee.
bool LinkOrRename(const char* from, const char* to) {
  if (link(from, to) == 0) return true;
  if (!NoHardLinks(errno)) return false;
  return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, 1 /* RENAME_NOREPLACE */) == 0;
}

// Names `from` r->path, moving on to the next sequence number while the name is taken (pid
// reuse, a file left by an earlier run). 0, or the errno of the last attempt.
int NameUnderFreeSequence(NameOnce name_once, const char* from, const char* dir,
                          unsigned long pid, DumpFileResult* r) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (name_once(from, r->path)) return 0;
    if (errno != EEXIST) return errno;
    NextName(dir, pid, r);
  }
  return EEXIST;
}

enum class Outcome { kDone, kUnsupported };

// The first choice: the bytes go to a file with no name (O_TMPFILE) that gets one only once it
// is whole. A process that dies mid-dump (exit() while the interval thread writes, SIGKILL)
// leaves nothing in the directory; a named temporary would stay behind. kUnsupported when this
// kernel or file system cannot do it, or /proc is not there to name the file by: the caller
// then takes the named temporary. Otherwise *r holds the result.
Outcome WriteUnnamed(const char* dir, unsigned long pid, const char* data, size_t size,
                     DumpFileResult* r) {
  if (FaultNoTmpfile()) return Outcome::kUnsupported;
  const int fd = OpenDumpFile(dir[0] != '\0' ? dir : ".", O_TMPFILE | O_WRONLY | O_NOCTTY);
  if (fd < 0) {
    if (TmpfileUnsupported(errno)) return Outcome::kUnsupported;
    *r = Fail(*r, "open", errno);
    return Outcome::kDone;
  }
  if (const int err = WriteAll(fd, data, size); err != 0) {
    close(fd);  // the file had no name: closing it is all the clean-up there is
    *r = Fail(*r, "write", err);
    return Outcome::kDone;
  }
  char leaf[24], self[48];
  RawFormat(leaf, sizeof(leaf), "fd/%d", fd);
  ProcSelfPath(leaf, self, sizeof(self));
  const int err = NameUnderFreeSequence(&LinkFdPath, self, dir, pid, r);
  close(fd);
  if (err == 0) {
    r->ok = true;
    return Outcome::kDone;
  }
  // No /proc, or no hard links on this file system: the named temporary can still do it.
  if (err == ENOENT || NoHardLinks(err)) return Outcome::kUnsupported;
  *r = Fail(*r, "link", err);
  return Outcome::kDone;
}

// The fallback: a fresh temporary name (O_CREAT|O_EXCL|O_NOFOLLOW: no symlink is followed,
// nothing existing is touched), hard-linked to the final name once whole, then removed.
DumpFileResult WriteNamed(const char* dir, unsigned long pid, unsigned long seq, const char* data,
                          size_t size, DumpFileResult r) {
  char tmp[640];
  FormatPath(tmp, sizeof(tmp), dir, ".", pid, seq, ".tmp");
  const int fd = OpenDumpFile(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) return Fail(r, "open", errno);
  if (const int err = WriteAll(fd, data, size); err != 0) {
    close(fd);
    unlink(tmp);
    return Fail(r, "write", err);
  }
  if (close(fd) != 0 && errno != EINTR) {
    const int err = errno;
    unlink(tmp);
    return Fail(r, "close", err);
  }
  const int err = NameUnderFreeSequence(&LinkOrRename, tmp, dir, pid, &r);
  unlink(tmp);  // the extra name after a link; after a rename it is already gone
  if (err != 0) return Fail(r, "link", err);
  r.ok = true;
  return r;
}

}  // namespace

void FormatDumpPath(char* out, int cap, const char* dir, unsigned long pid, unsigned long seq) {
  FormatPath(out, cap, dir, "", pid, seq, ".pb.gz");
}

DumpFileResult WriteDumpFile(const char* dir, const char* data, size_t size) {
  DumpFileResult r;
  const unsigned long pid = static_cast<unsigned long>(getpid());
  const unsigned long seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
  r.seq = seq;
  FormatPath(r.path, sizeof(r.path), dir, "", pid, seq, ".pb.gz");

  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      size > limit.rlim_cur) {
    r = Fail(r, "size limit (ulimit -f)", EFBIG);
  } else if (WriteUnnamed(dir, pid, data, size, &r) != Outcome::kDone) {
    r = WriteNamed(dir, pid, seq, data, size, r);
  }
  if (!r.ok) {
    unsigned long next = r.seq + 1;  // nothing took a number since ours: give it back
    g_next_seq.compare_exchange_strong(next, seq, std::memory_order_relaxed);
  }
  return r;
}

}  // namespace leaktrack
