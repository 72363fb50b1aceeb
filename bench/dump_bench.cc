// dump_bench: how long leaktrack takes to write a dump of a large profile, and how long other
// threads are held up meanwhile. Runs under LD_PRELOAD=libleaktrack.so with LEAKTRACK_RATE=1
// (bench/lib/dump.sh sets that up), so every allocation here is sampled.
//
// It builds `--stacks` distinct call stacks holding `--blocks` live blocks between them: the
// stack for index i is a chain of calls through Step<d0>..Step<d3>, the hex digits of i, so each
// index has its own return addresses within 4 frames (well inside the default depth of 64).
// Then `--threads` threads run malloc/free in a loop and record their worst latency, first for a
// quiet baseline window, then from the moment the process sends itself the dump signal until
// the dump file is in place. A slow malloc is split into the time its thread sat runnable
// waiting for a CPU (the run-queue delay in /proc/thread-self/schedstat: preemption, which on a
// 2-core machine with the dump busy on one core is expected) and the rest, "held": blocked or
// running, which is what a lock or a stall caused by the shim would show as. Finally it reads the file back (gzip, then the top-level protobuf
// fields) to check the dump holds at least one sample per stack.
//
// Prints "key value" lines for the harness; exit 1 when the dump never appears or is short.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace leaktrack {
namespace {

constexpr int kLevels = 4;  // hex digits per index: up to 65536 distinct stacks

struct Options {
  int stacks = 10000;
  int blocks = 100000;
  int threads = 1;
  const char* dir = nullptr;
  double timeout_s = 30;
};

Options g_opt;
void** g_blocks = nullptr;
int g_blocks_made = 0;
volatile uint64_t g_sink = 0;

uint64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// The leaf: this stack's share of the blocks, all one size so the stack is one bucket.
__attribute__((noinline)) void AllocateBlocks(int index) {
  const int per = g_opt.blocks / g_opt.stacks + (index < g_opt.blocks % g_opt.stacks ? 1 : 0);
  const size_t size = 32 + 8 * (index % 16);
  for (int k = 0; k < per; ++k) {
    void* p = malloc(size);
    if (p == nullptr) abort();
    memset(p, 0, size);
    g_blocks[g_blocks_made++] = p;
  }
}

using StepFn = void (*)(int index, int level);
extern StepFn g_steps[16];

// One level of the chain. Each K writes its own constant so no two bodies are identical (the
// compiler may not fold them into one address), and the store after the call keeps it from
// being a tail call, so Step<K>'s return address stays on the stack.
template <int K>
__attribute__((noinline)) void Step(int index, int level) {
  if (level == kLevels) {
    AllocateBlocks(index);
  } else {
    g_steps[(index >> (4 * level)) & 15](index, level + 1);
  }
  g_sink = g_sink + K;
}

StepFn g_steps[16] = {Step<0>, Step<1>, Step<2>,  Step<3>,  Step<4>,  Step<5>,  Step<6>,  Step<7>,
                      Step<8>, Step<9>, Step<10>, Step<11>, Step<12>, Step<13>, Step<14>, Step<15>};

// Phases the latency threads observe: 0 warm-up, 1 baseline window, 2 dump window, 3 stop.
std::atomic<int> g_phase{0};

struct Latency {
  uint64_t max_ns[3] = {0, 0, 0};
  uint64_t ops[3] = {0, 0, 0};
  uint64_t over_1ms[3] = {0, 0, 0};  // a preempted thread shows here too: compare with baseline
  uint64_t max_held_ns[3] = {0, 0, 0};    // minus the time spent waiting for a CPU
  uint64_t held_over_1ms[3] = {0, 0, 0};
  bool have_schedstat = false;
};

// This thread's total run-queue delay in ns (second field of schedstat), or 0 if unreadable.
uint64_t RunQueueDelayNs(int fd) {
  char buf[128];
  const ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long run = 0, wait = 0;
  return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? wait : 0;
}

constexpr uint64_t kSlowNs = 100000;  // only ops slower than this read the delay a second time

void LatencyLoop(Latency* out) {
  const int schedstat = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
  out->have_schedstat = schedstat >= 0;
  for (;;) {
    const int phase = g_phase.load(std::memory_order_relaxed);
    if (phase == 3) break;
    const uint64_t delay0 = RunQueueDelayNs(schedstat);
    const uint64_t t0 = NowNs();
    void* p = malloc(64 + (out->ops[phase] & 63));
    g_sink = g_sink + reinterpret_cast<uintptr_t>(p);
    free(p);
    const uint64_t dt = NowNs() - t0;
    uint64_t held = dt;
    if (dt > kSlowNs && schedstat >= 0) {
      const uint64_t waited = RunQueueDelayNs(schedstat) - delay0;
      held = waited < dt ? dt - waited : 0;
    }
    if (dt > out->max_ns[phase]) out->max_ns[phase] = dt;
    if (held > out->max_held_ns[phase]) out->max_held_ns[phase] = held;
    if (dt > 1000000) out->over_1ms[phase]++;
    if (held > 1000000) out->held_over_1ms[phase]++;
    out->ops[phase]++;
  }
  if (schedstat >= 0) close(schedstat);
}

// Reads the gzipped profile and counts its top-level samples (field 2) and locations (field 4).
bool CountProfile(const std::string& path, long* samples, long* locations, long* raw_bytes) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  std::vector<unsigned char> data;
  unsigned char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) data.insert(data.end(), buf, buf + n);
  gzclose(f);
  if (n < 0) return false;
  *raw_bytes = static_cast<long>(data.size());
  *samples = *locations = 0;
  size_t i = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && i < data.size(); shift += 7) {
      const unsigned char b = data[i++];
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (i < data.size()) {
    uint64_t key, len;
    if (!varint(&key)) return false;
    switch (key & 7) {
      case 0:
        if (!varint(&len)) return false;
        break;
      case 2:
        if (!varint(&len) || len > data.size() - i) return false;
        i += len;
        if ((key >> 3) == 2) ++*samples;
        if ((key >> 3) == 4) ++*locations;
        break;
      case 1: i += 8; break;
      case 5: i += 4; break;
      default: return false;
    }
  }
  return i == data.size();
}

// The dump file for this process, if one has appeared (leaktrack.<pid>.<seq>.pb.gz).
std::string FindDump(const char* dir) {
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "leaktrack.%d.", static_cast<int>(getpid()));
  std::string found;
  if (DIR* d = opendir(dir)) {
    while (dirent* e = readdir(d)) {
      const size_t len = strlen(e->d_name);
      if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && len > 6 &&
          strcmp(e->d_name + len - 6, ".pb.gz") == 0) {
        found = std::string(dir) + "/" + e->d_name;
        break;
      }
    }
    closedir(d);
  }
  return found;
}

bool ParseInt(const char* s, long lo, long hi, int* out) {
  char* end = nullptr;
  const long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

int Main(int argc, char** argv) {
  for (int i = 1; i < argc; i += 2) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool ok = v != nullptr;
    if (ok && strcmp(a, "--stacks") == 0) ok = ParseInt(v, 1, 1 << 16, &g_opt.stacks);
    else if (ok && strcmp(a, "--blocks") == 0) ok = ParseInt(v, 1, 1 << 24, &g_opt.blocks);
    else if (ok && strcmp(a, "--threads") == 0) ok = ParseInt(v, 0, 64, &g_opt.threads);
    else if (ok && strcmp(a, "--dir") == 0) g_opt.dir = v;
    else ok = false;
    if (!ok) {
      fprintf(stderr, "dump_bench: bad argument '%s' (usage: --dir DIR [--stacks N] [--blocks N] [--threads N])\n", a);
      return 2;
    }
  }
  if (g_opt.dir == nullptr || g_opt.blocks < g_opt.stacks) {
    fprintf(stderr, "dump_bench: --dir is required and --blocks must be >= --stacks\n");
    return 2;
  }
  if (!FindDump(g_opt.dir).empty()) {
    fprintf(stderr, "dump_bench: %s already holds a dump of this pid\n", g_opt.dir);
    return 2;
  }
  g_blocks = static_cast<void**>(malloc(sizeof(void*) * g_opt.blocks));
  const uint64_t build_start = NowNs();
  for (int i = 0; i < g_opt.stacks; ++i) g_steps[i & 15](i, 1);
  const uint64_t build_ns = NowNs() - build_start;

  std::vector<Latency> lat(g_opt.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < g_opt.threads; ++t) threads.emplace_back(LatencyLoop, &lat[t]);
  usleep(100 * 1000);
  g_phase = 1;  // baseline: same load, no dump
  usleep(300 * 1000);
  g_phase = 2;
  const uint64_t kill_ns = NowNs();
  kill(getpid(), SIGUSR2);
  std::string path;
  while ((path = FindDump(g_opt.dir)).empty() && NowNs() - kill_ns < g_opt.timeout_s * 1e9)
    usleep(100);
  const uint64_t dump_ns = NowNs() - kill_ns;
  g_phase = 3;
  for (auto& t : threads) t.join();
  if (path.empty()) {
    fprintf(stderr, "dump_bench: no dump in %s within %.0f s of the signal\n", g_opt.dir,
            g_opt.timeout_s);
    return 1;
  }
  long samples = 0, locations = 0, raw = 0;
  struct stat st{};
  stat(path.c_str(), &st);
  const bool parsed = CountProfile(path, &samples, &locations, &raw);
  uint64_t max_base = 0, max_dump = 0, ops_dump = 0, slow_base = 0, slow_dump = 0;
  uint64_t held_base = 0, held_dump = 0, held_slow_base = 0, held_slow_dump = 0;
  bool have_schedstat = true;
  for (const Latency& l : lat) {
    held_base = l.max_held_ns[1] > held_base ? l.max_held_ns[1] : held_base;
    held_dump = l.max_held_ns[2] > held_dump ? l.max_held_ns[2] : held_dump;
    held_slow_base += l.held_over_1ms[1];
    held_slow_dump += l.held_over_1ms[2];
    have_schedstat = have_schedstat && l.have_schedstat;
    max_base = l.max_ns[1] > max_base ? l.max_ns[1] : max_base;
    max_dump = l.max_ns[2] > max_dump ? l.max_ns[2] : max_dump;
    ops_dump += l.ops[2];
    slow_base += l.over_1ms[1];
    slow_dump += l.over_1ms[2];
  }
  printf("stacks %d\nblocks %d\nbuild_ms %.1f\n", g_opt.stacks, g_blocks_made, build_ns / 1e6);
  printf("dump_ms %.2f\nfile_bytes %lld\nproto_bytes %ld\nsamples %ld\nlocations %ld\n",
         dump_ns / 1e6, static_cast<long long>(st.st_size), raw, samples, locations);
  printf("latency_threads %d\nmax_malloc_us_baseline %.1f\nmax_malloc_us_during_dump %.1f\n",
         g_opt.threads, max_base / 1e3, max_dump / 1e3);
  printf("mallocs_during_dump %llu\n", static_cast<unsigned long long>(ops_dump));
  printf("mallocs_over_1ms_baseline %llu\nmallocs_over_1ms_during_dump %llu\n",
         static_cast<unsigned long long>(slow_base), static_cast<unsigned long long>(slow_dump));
  // Without schedstat (CONFIG_SCHED_INFO off) "held" is the whole latency.
  printf("schedstat %d\n", have_schedstat ? 1 : 0);
  printf("max_held_us_baseline %.1f\nmax_held_us_during_dump %.1f\n", held_base / 1e3,
         held_dump / 1e3);
  printf("held_over_1ms_baseline %llu\nheld_over_1ms_during_dump %llu\n",
         static_cast<unsigned long long>(held_slow_base),
         static_cast<unsigned long long>(held_slow_dump));
  for (int i = 0; i < g_blocks_made; ++i) free(g_blocks[i]);
  free(g_blocks);
  if (!parsed) {
    fprintf(stderr, "dump_bench: %s is not a gzipped profile\n", path.c_str());
    return 1;
  }
  if (samples < g_opt.stacks) {
    fprintf(stderr, "dump_bench: dump has %ld samples, expected at least %d (one per stack)\n",
            samples, g_opt.stacks);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace leaktrack

int main(int argc, char** argv) { return leaktrack::Main(argc, argv); }
