// See proc_self.h.
#include "proc_self.h"

#include <unistd.h>

#include <atomic>

#include "raw_log.h"

namespace leaktrack {

void ProcSelfPath(const char* leaf, char* buf, size_t cap) {
  // Looked up once: 1 = thread-self exists, 0 = it does not, -1 = not known yet (a race to
  // find out only repeats the same access()).
  static std::atomic<int> thread_self{-1};
  int known = thread_self.load(std::memory_order_relaxed);
  if (known < 0) {
    known = access("/proc/thread-self", F_OK) == 0 ? 1 : 0;
    thread_self.store(known, std::memory_order_relaxed);
  }
  RawFormat(buf, static_cast<int>(cap), "%s/%s", known ? "/proc/thread-self" : "/proc/self", leaf);
}

}  // namespace leaktrack
