// B3: threads created and destroyed in bulk (30 waves of 64). Each thread does mixed
// malloc/free, owns a thread_local object whose destructor allocates, and has a pthread key
// destructor that allocates (both run during thread teardown, after the shim's per-thread state
// may be gone). Every 10th thread only frees blocks that main allocated (free-only thread).
// Each wave leaks exactly one 7777-byte block, so the final dump's live set is checkable; the
// process RSS growth between wave 3 and the end must stay under a fixed bound (no per-thread
// leak in the shim).
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "torture_util.h"

namespace {

constexpr int kWaves = 30;
constexpr int kPerWave = 64;
constexpr long kRssBoundKiB = 8 * 1024;
pthread_key_t g_key;
void* g_from_main[kWaves * kPerWave];

struct TlsObject {
  char* buf = nullptr;
  TlsObject() { buf = static_cast<char*>(malloc(48)); }
  ~TlsObject() {
    void* p = malloc(333);  // allocation during thread_local destruction
    TEscape(p);
    free(p);
    free(buf);
  }
};
thread_local TlsObject t_obj;

void KeyDestructor(void* v) {
  void* p = calloc(1, 222);  // allocation inside a pthread key destructor
  TEscape(p);
  free(p);
  free(v);
}

void* Worker(void* arg) {
  long id = reinterpret_cast<long>(arg);
  if (id % 10 == 0) {  // free-only thread: never allocates itself
    free(g_from_main[id]);
    return nullptr;
  }
  free(g_from_main[id]);
  t_obj.buf[0] = 1;
  pthread_setspecific(g_key, malloc(111));
  void* live[8] = {};
  for (int i = 0; i < 200; i++) {
    int slot = i % 8;
    if (live[slot]) free(live[slot]);
    live[slot] = (i % 3) ? malloc(16 + (i * 13) % 900) : realloc(nullptr, 64);
  }
  for (void* p : live) free(p);
  return nullptr;
}

long RssKiB() {
  FILE* f = fopen("/proc/self/statm", "r");
  long size = 0, rss = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = 0;
    fclose(f);
  }
  return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main() {
  pthread_key_create(&g_key, KeyDestructor);
  for (int i = 0; i < kWaves * kPerWave; i++) g_from_main[i] = malloc(40 + i % 100);
  long rss_early = 0;
  for (int w = 0; w < kWaves; w++) {
    pthread_t t[kPerWave];
    for (int i = 0; i < kPerWave; i++) {
      long id = w * kPerWave + i;
      T_CHECK(pthread_create(&t[i], nullptr, Worker, reinterpret_cast<void*>(id)) == 0,
              "pthread_create");
    }
    for (int i = 0; i < kPerWave; i++) pthread_join(t[i], nullptr);
    TEscape(malloc(7777));  // the intentional leak of this wave
    if (w == 2) rss_early = RssKiB();
    if (w == kWaves / 2) TTriggerDump();
  }
  long growth = RssKiB() - rss_early;
  if (growth >= kRssBoundKiB) fprintf(stderr, "rss growth %ld KiB\n", growth);
  printf("%d threads done; rss growth under %ld KiB: %d\n", kWaves * kPerWave, kRssBoundKiB,
         growth < kRssBoundKiB);
  return 0;
}
