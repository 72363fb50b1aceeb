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

}  // namespace

DumpFileResult WriteDumpFile(const char* dir, const char* data, size_t size) {
  DumpFileResult r;
  const unsigned long pid = static_cast<unsigned long>(getpid());
  unsigned long seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
  FormatPath(r.path, sizeof(r.path), dir, "", pid, seq, ".pb.gz");

  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      size > limit.rlim_cur) {
    return Fail(r, "size limit (ulimit -f)", EFBIG);
  }

  char tmp[640];
  FormatPath(tmp, sizeof(tmp), dir, ".", pid, seq, ".tmp");
  int fd = -1;
  if (FaultFailOpen()) {
    errno = EIO;
  } else {
    fd = OpenOwnFd(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY, 0600);
  }
  if (fd < 0) return Fail(r, "open", errno);

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
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      close(fd);
      unlink(tmp);
      return Fail(r, "write", err);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0 && errno != EINTR) {
    const int err = errno;
    unlink(tmp);
    return Fail(r, "close", err);
  }
  // Publish under the first free sequence number; never replace an existing file.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (link(tmp, r.path) == 0) {
      unlink(tmp);
      r.ok = true;
      return r;
    }
    if (errno == EPERM || errno == EOPNOTSUPP || errno == ENOSYS) {
      // No hard links on this file system: an exclusive rename gives the same guarantee.
      if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, r.path, 1 /* RENAME_NOREPLACE */) == 0) {
        r.ok = true;
        return r;
      }
    }
    if (errno != EEXIST) break;
    seq = g_next_seq.fetch_add(1, std::memory_order_relaxed);
    FormatPath(r.path, sizeof(r.path), dir, "", pid, seq, ".pb.gz");
  }
  const int err = errno;
  unlink(tmp);
  return Fail(r, "link", err);
}

}  // namespace leaktrack
