// See last_thread.h.
#include "last_thread.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "own_fd.h"
#include "thread_state.h"

namespace leaktrack {

bool ParseProcStat(const char* line, char* state, long* threads) {
  // "pid (comm) S ppid ...": the command name may hold spaces and parentheses, so the fields
  // start after the last ')'. num_threads is the 20th field, the 17th after the state.
  const char* p = strrchr(line, ')');
  if (p == nullptr || p[1] != ' ' || p[2] == '\0') return false;
  *state = p[2];
  p += 3;
  for (int field = 0; field < 17; ++field) {
    p = strchr(p, ' ');
    if (p == nullptr) return false;
    ++p;
  }
  char* end;
  *threads = strtol(p, &end, 10);
  return end != p;
}

bool OnlyCallerThreadLeft() {
  const int fd = OpenOwnFd("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char line[1024];
  const ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  if (n <= 0) return false;
  line[n] = '\0';
  char state;
  long threads;
  // The zombie main thread still counts in num_threads: two means it and the caller.
  return ParseProcStat(line, &state, &threads) && state == 'Z' && threads == 2;
}

const unsigned int* GlibcThreadCount() {
  static bool looked_up = false;
  static const unsigned int* count = nullptr;
  if (!looked_up) {
    ScopedGuard guard;  // dlvsym may allocate (its error message): passed straight through
    count = static_cast<const unsigned int*>(
        dlvsym(RTLD_DEFAULT, "__nptl_nthreads", "GLIBC_PRIVATE"));
    looked_up = true;
  }
  return count;
}

bool LastThreadCheck::OnlyCallerLeft() {
  if (glibc_thread_count_ != nullptr && ++calls_since_proc_ < kProcEveryCalls &&
      __atomic_load_n(glibc_thread_count_, __ATOMIC_RELAXED) > 1) {
    return false;
  }
  calls_since_proc_ = 0;
  return OnlyCallerThreadLeft();
}

}  // namespace leaktrack
