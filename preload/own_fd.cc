#include "own_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fault_injection.h"

namespace leaktrack {

int MoveFdHigh(int fd) {
  struct rlimit limit;
  if (fd < 0 || getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < 64) return fd;
  // The kernel's table grows to the highest number in use, so stay below 65536 even when the
  // limit is in the millions.
  const rlim_t top = limit.rlim_cur > 65536 ? 65536 : limit.rlim_cur;
  const int saved_errno = errno;
  // F_DUPFD takes the lowest free number >= base, so search downwards from the top.
  for (rlim_t base = top - 1; base >= top - 64 && base > 2; --base) {
    const int high = fcntl(fd, F_DUPFD_CLOEXEC, static_cast<int>(base));
    if (high < 0) {
      if (errno == EMFILE) continue;  // every number from base up is taken
      break;
    }
    if (static_cast<rlim_t>(high) < top) {
      close(fd);
      errno = saved_errno;
      return high;
    }
    close(high);
  }
  errno = saved_errno;
  return fd;
}

int OpenOwnFd(const char* path, int flags, mode_t mode) {
  const int fd = MoveFdHigh(open(path, flags | O_CLOEXEC, mode));
  if (fd >= 0) FaultMaybeStallOwnFd();
  return fd;
}

}  // namespace leaktrack
