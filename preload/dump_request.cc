// See dump_request.h.
#include "dump_request.h"

#include <unistd.h>

#include "raw_log.h"

namespace leaktrack {

bool RequestFileAccepted(const struct stat& st, uid_t euid) {
  return S_ISREG(st.st_mode) && (st.st_uid == euid || st.st_uid == 0);
}

bool DumpRequestWatch::Asked(const char* dir, const char* fallback_dir) {
  // Both looked at, so that a file in the second is not served a nap late, a second time.
  const bool in_dir = AskedIn(dir);
  const bool in_fallback = dir[0] == '\0' && AskedIn(fallback_dir);
  return in_dir || in_fallback;
}

bool DumpRequestWatch::AskedIn(const char* dir) {
  char path[640];
  // Relative when dir is "": the working directory, as the dumps' own names are.
  RawFormat(path, sizeof path, "%s%sleaktrack.%d%s", dir, dir[0] != '\0' ? "/" : "",
            static_cast<int>(getpid()), kRequestFileSuffix);
  struct stat st;
  if (lstat(path, &st) != 0) return false;  // glibc_compat.h: not 2.33's symbol
  if (!RequestFileAccepted(st, geteuid())) return false;
  const int64_t ctime_ns =
      static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  if (st.st_dev == served_dev_ && st.st_ino == served_ino_ && ctime_ns == served_ctime_ns_)
    return false;
  served_dev_ = st.st_dev;
  served_ino_ = st.st_ino;
  served_ctime_ns_ = ctime_ns;
  unlink(path);  // where it may; a removal changes nothing the check above relies on
  return true;
}

}  // namespace leaktrack
