// See raw_log.h. A tiny vsnprintf subset: libc's printf family may allocate and takes locks.
#include "raw_log.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leaktrack {
namespace {

dev_t g_stderr_dev = 0;
ino_t g_stderr_ino = 0;
bool g_stderr_known = false;

struct Out {
  char* p;
  char* end;
  void Put(char c) {
    if (p < end) *p++ = c;
  }
  void PutStr(const char* s) {
    if (s == nullptr) s = "(null)";
    while (*s) Put(*s++);
  }
  void PutUnsigned(unsigned long long v, unsigned base) {
    char tmp[24];
    int n = 0;
    do {
      tmp[n++] = "0123456789abcdef"[v % base];
      v /= base;
    } while (v != 0);
    while (n > 0) Put(tmp[--n]);
  }
  void PutSigned(long long v) {
    if (v < 0) {
      Put('-');
      PutUnsigned(0ULL - static_cast<unsigned long long>(v), 10);
    } else {
      PutUnsigned(static_cast<unsigned long long>(v), 10);
    }
  }
};

int FormatV(char* buf, int size, const char* fmt, va_list ap) {
  if (size <= 0) return 0;
  Out out{buf, buf + size - 1};
  for (const char* f = fmt; *f; ++f) {
    if (*f != '%') {
      out.Put(*f);
      continue;
    }
    ++f;
    int longs = 0;
    bool size_t_arg = false;
    while (*f == 'l') {
      ++longs;
      ++f;
    }
    if (*f == 'z') {
      size_t_arg = true;
      ++f;
    }
    switch (*f) {
      case 's': out.PutStr(va_arg(ap, const char*)); break;
      case 'd':
        out.PutSigned(longs ? va_arg(ap, long) : va_arg(ap, int));
        break;
      case 'u':
        if (size_t_arg) out.PutUnsigned(va_arg(ap, size_t), 10);
        else if (longs) out.PutUnsigned(va_arg(ap, unsigned long), 10);
        else out.PutUnsigned(va_arg(ap, unsigned), 10);
        break;
      case 'x':
        out.PutUnsigned(longs ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16);
        break;
      case 'p':
        out.PutStr("0x");
        out.PutUnsigned(reinterpret_cast<uintptr_t>(va_arg(ap, void*)), 16);
        break;
      case '%': out.Put('%'); break;
      case '\0': --f; break;
      default: out.Put('?'); break;
    }
  }
  *out.p = '\0';
  return static_cast<int>(out.p - buf);
}

}  // namespace

void RememberStderr() {
  struct stat st;
  if (fstat(2, &st) == 0) {
    g_stderr_dev = st.st_dev;
    g_stderr_ino = st.st_ino;
    g_stderr_known = true;
  }
}

int RawFormat(char* buf, int size, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = FormatV(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

void RawLog(const char* fmt, ...) {
  int saved_errno = errno;
  struct stat st;
  if (g_stderr_known &&
      (fstat(2, &st) != 0 || st.st_dev != g_stderr_dev || st.st_ino != g_stderr_ino)) {
    errno = saved_errno;
    return;  // fd 2 is no longer the stderr we started with: never write into it.
  }
  char line[512] = "leaktrack: ";
  const int prefix = 11;
  va_list ap;
  va_start(ap, fmt);
  int n = prefix + FormatV(line + prefix, sizeof(line) - prefix - 1, fmt, ap);
  va_end(ap);
  line[n++] = '\n';
  // stderr may be a file at its RLIMIT_FSIZE: the write would raise SIGXFSZ, whose default
  // action kills the process (TORTURE.md I5). Block it for the write and discard the one our
  // write caused, so our log line can never be what kills the program.
  sigset_t xfsz, old_mask, pending;
  sigemptyset(&xfsz);
  sigaddset(&xfsz, SIGXFSZ);
  pthread_sigmask(SIG_BLOCK, &xfsz, &old_mask);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGXFSZ) == 1;
  const char* p = line;
  bool too_big = false;
  while (n > 0) {
    ssize_t w = syscall(SYS_write, 2, p, n);
    if (w < 0 && errno == EFBIG) too_big = true;
    if (w <= 0) break;
    p += w;
    n -= static_cast<int>(w);
  }
  if (too_big && !was_pending) {
    const struct timespec zero = {0, 0};
    sigtimedwait(&xfsz, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved_errno;
}

const char* ErrnoName(int err) {
  switch (err) {
    case ENOENT: return "ENOENT (no such file or directory)";
    case EACCES: return "EACCES (permission denied)";
    case EPERM: return "EPERM (operation not permitted)";
    case ENOSPC: return "ENOSPC (no space left on device)";
    case EFBIG: return "EFBIG (file too large)";
    case EDQUOT: return "EDQUOT (disk quota exceeded)";
    case EMFILE: return "EMFILE (too many open files)";
    case ENFILE: return "ENFILE (too many open files in system)";
    case ENOTDIR: return "ENOTDIR (not a directory)";
    case EROFS: return "EROFS (read-only file system)";
    case EEXIST: return "EEXIST (file exists)";
    case EIO: return "EIO (input/output error)";
    case ENOMEM: return "ENOMEM (out of memory)";
    case ELOOP: return "ELOOP (symbolic link)";
    case EINTR: return "EINTR (interrupted)";
    case EBADF: return "EBADF (bad file descriptor)";
    case EINVAL: return "EINVAL (invalid argument)";
    case ENAMETOOLONG: return "ENAMETOOLONG (file name too long)";
    case EAGAIN: return "EAGAIN (resource temporarily unavailable)";
    case ENXIO: return "ENXIO (no such device or address)";
    case EFAULT: return "EFAULT (bad address)";
    default: return "an unlisted errno";
  }
}

}  // namespace leaktrack
