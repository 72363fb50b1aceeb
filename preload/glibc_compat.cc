// stat, lstat and fstat for glibc before 2.33 (see glibc_compat.h): hidden definitions inside the
// shim, which our code and the libunwind linked into it bind to instead of glibc's
// GLIBC_2.33 symbols. Plain system calls: async-signal-safe, no allocation, errno as glibc's.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern "C" {

__attribute__((visibility("hidden"))) int stat(const char* path, struct stat* st) noexcept {
  return static_cast<int>(syscall(SYS_newfstatat, AT_FDCWD, path, st, 0));
}

__attribute__((visibility("hidden"))) int lstat(const char* path, struct stat* st) noexcept {
  return static_cast<int>(syscall(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW));
}

__attribute__((visibility("hidden"))) int fstat(int fd, struct stat* st) noexcept {
  return static_cast<int>(syscall(SYS_fstat, fd, st));
}

}  // extern "C"
