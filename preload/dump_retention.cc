// See dump_retention.h.
#include "dump_retention.h"

#include <errno.h>
#include <unistd.h>

#include "dump_file.h"
#include "raw_log.h"

namespace leaktrack {
namespace {

struct Written {
  const char* dir;
  unsigned long pid;
  unsigned long seq;
};

bool g_have_first = false;  // the first dump is never removed
Written g_ring[kMaxKeptDumps];  // the newest, oldest at g_head
uint32_t g_head = 0;
uint32_t g_count = 0;
bool g_logged_failure = false;

void Remove(const Written& w) {
  char path[640];
  FormatDumpPath(path, sizeof(path), w.dir, w.pid, w.seq);
  if (unlink(path) == 0 || errno == ENOENT) return;  // ENOENT: moved or removed by someone else
  if (g_logged_failure) return;
  g_logged_failure = true;
  RawLog("cannot remove the old dump %s (%s); LEAKTRACK_KEEP is not kept", path, ErrnoName(errno));
}

}  // namespace

void NoteDumpWritten(const char* dir, unsigned long seq, uint32_t keep) {
  if (keep == 0) return;
  if (!g_have_first) {
    g_have_first = true;
    return;
  }
  const uint32_t window = keep - 1 < kMaxKeptDumps ? keep - 1 : kMaxKeptDumps;
  g_ring[(g_head + g_count) % kMaxKeptDumps] =
      Written{dir, static_cast<unsigned long>(getpid()), seq};
  ++g_count;
  while (g_count > window) {
    Remove(g_ring[g_head]);
    g_head = (g_head + 1) % kMaxKeptDumps;
    --g_count;
  }
}

void ResetDumpRetentionAfterFork() {
  g_have_first = false;
  g_head = g_count = 0;
}

}  // namespace leaktrack
