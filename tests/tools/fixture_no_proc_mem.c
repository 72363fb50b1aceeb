/* Preloaded into `leaktrack` itself, it stands in for Yama's ptrace_scope=1, which this project's
 * test kernels lack: there, a process that is neither the target's ancestor nor a holder of
 * CAP_SYS_PTRACE may not open the target's /proc/PID/mem nor use process_vm_readv/writev on it,
 * while its maps, environment, status and working directory stay readable. Here every open of
 * a /proc/.../mem fails with EACCES, and those two calls with EPERM, as Yama's refusals do. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef int (*OpenFn)(const char*, int, ...);
typedef int (*OpenatFn)(int, const char*, int, ...);

static int refused(const char* path) {
  const size_t n = strlen(path);
  if (strncmp(path, "/proc/", 6) != 0 || n < 10 || strcmp(path + n - 4, "/mem") != 0) return 0;
  errno = EACCES;
  return 1;
}

/* The mode argument is there only with O_CREAT or O_TMPFILE. */
#define MODE_OF(flags, last)                                           \
  mode_t mode = 0;                                                     \
  if ((flags) & (O_CREAT | O_TMPFILE)) {                               \
    va_list args;                                                      \
    va_start(args, last);                                              \
    mode = va_arg(args, mode_t);                                       \
    va_end(args);                                                      \
  }

int open(const char* path, int flags, ...) {
  MODE_OF(flags, flags);
  if (refused(path)) return -1;
  return ((OpenFn)dlsym(RTLD_NEXT, "open"))(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  MODE_OF(flags, flags);
  if (refused(path)) return -1;
  return ((OpenFn)dlsym(RTLD_NEXT, "open64"))(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  MODE_OF(flags, flags);
  if (refused(path)) return -1;
  return ((OpenatFn)dlsym(RTLD_NEXT, "openat"))(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  MODE_OF(flags, flags);
  if (refused(path)) return -1;
  return ((OpenatFn)dlsym(RTLD_NEXT, "openat64"))(dirfd, path, flags, mode);
}

ssize_t process_vm_readv(pid_t pid, const struct iovec* local, unsigned long local_count,
                         const struct iovec* remote, unsigned long remote_count,
                         unsigned long flags) {
  (void)pid, (void)local, (void)local_count, (void)remote, (void)remote_count, (void)flags;
  errno = EPERM;
  return -1;
}

ssize_t process_vm_writev(pid_t pid, const struct iovec* local, unsigned long local_count,
                          const struct iovec* remote, unsigned long remote_count,
                          unsigned long flags) {
  (void)pid, (void)local, (void)local_count, (void)remote, (void)remote_count, (void)flags;
  errno = EPERM;
  return -1;
}
