// malloc_bench: a fixed amount of multithreaded malloc/free work, timed, for comparing
// allocators and allocation profilers side by side (bench/run.sh runs it bare and preloaded).
//
// The mix is meant to look like a service rather than a micro-benchmark: sizes follow a long
// tail (most blocks are tiny, a few are hundreds of KiB), most blocks die at once, a working set
// of retained blocks is replaced at random, and a share of the retained blocks is freed by a
// different thread than the one that allocated it (the case that hurts thread caches and any
// profiler that keys its tables by thread). The work is fixed (same seed, same sequence of
// sizes), so runs differ only in the allocator underneath; the program prints ops/s.
//
// It must stay deterministic in what it allocates and must not depend on the allocator it runs
// on, so the harness here uses no containers that allocate after the start.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace leaktrack {
namespace {

constexpr int kMaxThreads = 64;
constexpr int kRetainedSlots = 4096;  // per thread
constexpr int kBatch = 64;            // pointers handed to another thread at once
constexpr int kInboxBatches = 256;    // capacity of one thread's inbox, in batches

struct Options {
  int threads = 2;
  long ops_per_thread = 5000000;
  uint64_t seed = 42;
};

// xorshift64*: fast, deterministic, good enough to pick sizes and slots.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>((Next() >> 32) % n); }

 private:
  uint64_t state_;
};

// The long tail: 70% 8-64 B, 20% 64-512 B, 8% 512 B-4 KiB, 1.9% 4-64 KiB, 0.1% 64 KiB-1 MiB.
// Mean is about 1.4 KiB per allocation, so at a 512 KiB sampling interval roughly one
// allocation in 370 is sampled.
size_t PickSize(Rng& rng) {
  uint32_t r = rng.Below(1000);
  if (r < 700) return 8 + rng.Below(57);
  if (r < 900) return 64 + rng.Below(449);
  if (r < 980) return 512 + rng.Below(3585);
  if (r < 999) return 4096 + rng.Below(61441);
  return 65536 + rng.Below(983041);
}

// Touch the block the way a program would: the header and one byte per page.
inline void Touch(void* p, size_t size) {
  char* c = static_cast<char*>(p);
  memset(c, 0x5a, size < 64 ? size : 64);
  for (size_t off = 4096; off < size; off += 4096) c[off] = 1;
}

// A thread's inbox of pointers that other threads hand it to free. Full batches only, so the
// lock is taken once per kBatch frees.
struct Inbox {
  std::mutex mu;
  int count = 0;
  void* batches[kInboxBatches][kBatch];
  void* scratch[kInboxBatches][kBatch];  // owner thread only: frees happen outside the lock
};

struct Shared {
  Options opt;
  Inbox inbox[kMaxThreads];
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> ops{0};
};

// Frees everything waiting in this thread's inbox. Called by the owner thread only.
void DrainInbox(Inbox& in) {
  int n;
  {
    std::lock_guard<std::mutex> lock(in.mu);
    n = in.count;
    memcpy(in.scratch, in.batches, sizeof(in.batches[0]) * n);
    in.count = 0;
  }
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < kBatch; ++i) free(in.scratch[b][i]);
}

// Hands a full batch to another thread; frees it here if that inbox is full.
void SendBatch(Inbox& to, void* const* batch) {
  {
    std::lock_guard<std::mutex> lock(to.mu);
    if (to.count < kInboxBatches) {
      memcpy(to.batches[to.count++], batch, sizeof(void*) * kBatch);
      return;
    }
  }
  for (int i = 0; i < kBatch; ++i) free(batch[i]);
}

void Worker(Shared* s, int id) {
  Rng rng(s->opt.seed + static_cast<uint64_t>(id) * 7919);
  void* retained[kRetainedSlots] = {};
  void* outgoing[kBatch];
  int outgoing_n = 0;
  Inbox& mine = s->inbox[id];
  Inbox& next = s->inbox[(id + 1) % s->opt.threads];
  uint64_t bytes = 0;
  for (long op = 0; op < s->opt.ops_per_thread; ++op) {
    size_t size = PickSize(rng);
    bytes += size;
    void* p = malloc(size);
    if (p == nullptr) abort();
    Touch(p, size);
    uint32_t r = rng.Below(100);
    if (r < 60) {  // short-lived
      free(p);
    } else {  // retained: replace a random slot; a quarter of the evicted die elsewhere
      uint32_t slot = rng.Below(kRetainedSlots);
      void* old = retained[slot];
      retained[slot] = p;
      if (old != nullptr) {
        if (s->opt.threads > 1 && r >= 90) {
          outgoing[outgoing_n++] = old;
          if (outgoing_n == kBatch) {
            SendBatch(next, outgoing);
            outgoing_n = 0;
          }
        } else {
          free(old);
        }
      }
    }
    if ((op & 255) == 0) DrainInbox(mine);
  }
  for (int i = 0; i < outgoing_n; ++i) free(outgoing[i]);
  for (void* p : retained) free(p);
  s->bytes += bytes;
  s->ops += static_cast<uint64_t>(s->opt.ops_per_thread);
}

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// User + system CPU seconds of this process so far (all threads).
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// VmHWM of this process in KiB (peak RSS), or -1.
long PeakRssKib() {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof(line), f) != nullptr)
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

bool ParseLong(const char* s, long lo, long hi, long* out) {
  char* end = nullptr;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    long v = 0;
    const char* a = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : "";
    if (strcmp(a, "--threads") == 0 && ParseLong(val, 1, kMaxThreads, &v)) {
      opt.threads = static_cast<int>(v);
    } else if (strcmp(a, "--ops") == 0 && ParseLong(val, 1, 1L << 40, &v)) {
      opt.ops_per_thread = v;
    } else if (strcmp(a, "--seed") == 0 && ParseLong(val, 0, 1L << 62, &v)) {
      opt.seed = static_cast<uint64_t>(v);
    } else {
      fprintf(stderr, "malloc_bench: bad argument '%s' (usage: --threads 1..%d --ops N --seed N)\n",
              a, kMaxThreads);
      return 2;
    }
    ++i;
  }
  static Shared shared;  // large (the inboxes); not on the stack
  shared.opt = opt;
  double start = Now();
  double cpu_start = CpuSeconds();
  std::vector<std::thread> threads;
  threads.reserve(opt.threads);
  for (int t = 0; t < opt.threads; ++t) threads.emplace_back(Worker, &shared, t);
  for (auto& t : threads) t.join();
  for (int t = 0; t < opt.threads; ++t) DrainInbox(shared.inbox[t]);
  double secs = Now() - start;
  double cpu = CpuSeconds() - cpu_start;
  double ops = static_cast<double>(shared.ops.load());
  printf("malloc_bench: threads=%d ops=%.0f bytes_per_op=%.0f seconds=%.3f\n", opt.threads, ops,
         shared.bytes.load() / ops, secs);
  // Machine-readable lines read by bench/run.sh.
  printf("ops_per_sec %.0f\n", ops / secs);
  printf("peak_rss_kib %ld\n", PeakRssKib());
  printf("cpu_seconds %.4f\n", cpu);
  return 0;
}

}  // namespace
}  // namespace leaktrack

int main(int argc, char** argv) { return leaktrack::Main(argc, argv); }
