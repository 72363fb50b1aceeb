// Per-operation costs of the shim's internals, measured on leaktrack_core (the preload code as a
// static library: no LD_PRELOAD, no interposition, the real allocator is glibc via RTLD_NEXT).
//
// What each group answers:
//  - Real*/Hook*MallocFree: the price of an unsampled malloc+free pair through the hooks, next to
//    the same pair on the real allocator.
//  - *FreeBatch: the free of a pointer that was never sampled (the live-table filter check).
//  - SampledMallocFree/depth and CaptureStack/depth: one sampled allocation, unwind included,
//    by how deep the caller's stack is (the default LEAKTRACK_DEPTH is 64, so 128 is cut).
//    Linked statically, the shim takes this whole executable for its own text and drops its
//    frames after walking them, so the walk is timed in full but fewer frames are interned than
//    under LD_PRELOAD.
//  - LiveTable*/StackTable*: table insert/erase and interning on their own.
// Run by bench/run.sh (hooks section); numbers are ns per operation on this machine.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <new>
#include <vector>

#include "config.h"
#include "hooks.h"
#include "live_table.h"
#include "profiler.h"
#include "real_alloc.h"
#include "stack_table.h"
#include "thread_state.h"
#include "unwind.h"

namespace leaktrack {
namespace {

constexpr int kBatch = 1024;

// Zeroed memory for a table, outside any heap we measure.
void* MapZeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) abort();
  return p;
}

// Forces the next allocation on this thread to be sampled (the countdown has run out).
inline void ForceSampleNext() {
  if (tls_state.rng == 0) tls_state.rng = 0x9E3779B97F4A7C15ULL;
  tls_state.bytes_until_sample = 0;
}

// Keeps the countdown from ever reaching the sample point: a purely unsampled path.
inline void NeverSample() { tls_state.bytes_until_sample = INT64_MAX / 2; }

void BM_RealMallocFree(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* p = g_real.malloc(size);
    benchmark::DoNotOptimize(p);
    g_real.free(p);
  }
}
BENCHMARK(BM_RealMallocFree)->Arg(16)->Arg(256)->Arg(4096);

void BM_HookMallocFreeUnsampled(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  NeverSample();
  for (auto _ : state) {
    void* p = HookMalloc(size);
    benchmark::DoNotOptimize(p);
    HookFree(p);
  }
}
BENCHMARK(BM_HookMallocFreeUnsampled)->Arg(16)->Arg(256)->Arg(4096);

// Same pair at the default rate: the occasional sample's unwind, amortized, is included.
void BM_HookMallocFreeDefaultRate(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  tls_state.bytes_until_sample = 0;
  for (auto _ : state) {
    void* p = HookMalloc(size);
    benchmark::DoNotOptimize(p);
    HookFree(p);
  }
}
BENCHMARK(BM_HookMallocFreeDefaultRate)->Arg(16)->Arg(256)->Arg(4096);

// Frees of never-sampled pointers; the allocations happen with the timer paused.
template <bool kHook>
void FreeBatch(benchmark::State& state) {
  void* ptrs[kBatch];
  for (auto _ : state) {
    state.PauseTiming();
    for (void*& p : ptrs) p = g_real.malloc(64);
    state.ResumeTiming();
    for (void* p : ptrs) {
      if (kHook) HookFree(p);
      else g_real.free(p);
    }
  }
  // No custom counters anywhere: the CSV reporter bench/run.sh reads needs the same columns in
  // every row. Time per free = time per iteration / kBatch.
  state.SetItemsProcessed(state.iterations() * kBatch);
}
void BM_RealFreeBatch(benchmark::State& state) { FreeBatch<false>(state); }
void BM_HookFreeUnsampledBatch(benchmark::State& state) { FreeBatch<true>(state); }
BENCHMARK(BM_RealFreeBatch);
BENCHMARK(BM_HookFreeUnsampledBatch);

// Recurses to `depth` frames, then runs body() in a loop. noinline and the work after the call
// keep every level a real frame.
template <typename Body>
__attribute__((noinline)) int AtDepth(int depth, Body& body) {
  if (depth <= 1) return body();
  int r = AtDepth(depth - 1, body);
  benchmark::DoNotOptimize(r);
  return r + 1;
}

void BM_SampledMallocFree(benchmark::State& state) {
  auto body = [&state]() {
    for (auto _ : state) {
      ForceSampleNext();
      void* p = HookMalloc(64);
      benchmark::DoNotOptimize(p);
      HookFree(p);
    }
    return 0;
  };
  AtDepth(static_cast<int>(state.range(0)), body);
}
BENCHMARK(BM_SampledMallocFree)->Arg(1)->Arg(16)->Arg(32)->Arg(64)->Arg(128);

void BM_CaptureStack(benchmark::State& state) {
  auto body = [&state]() {
    uint64_t frames[kMaxDepth];
    int got = 0;
    for (auto _ : state) {
      ScopedGuard guard;
      bool truncated = false, through_unloaded = false;
      got = CaptureStack(frames, 64, &truncated, &through_unloaded);
      benchmark::DoNotOptimize(frames);
    }
    return got;
  };
  AtDepth(static_cast<int>(state.range(0)), body);
}
BENCHMARK(BM_CaptureStack)->Arg(1)->Arg(16)->Arg(32)->Arg(64)->Arg(128);

// Insert+erase of a fresh pointer into a live table already holding `prefill` entries.
void BM_LiveTableInsertErase(benchmark::State& state) {
  constexpr uint64_t kCapacity = 1u << 17;  // the default LEAKTRACK_MAX_LIVE
  static void* memory = MapZeroed(LiveTable::MemoryNeeded(kCapacity));
  memset(memory, 0, LiveTable::MemoryNeeded(kCapacity));
  LiveTable table;
  table.Init(memory, kCapacity);
  const uintptr_t base = 0x7f0000000000;
  const long prefill = state.range(0);
  for (long i = 0; i < prefill; ++i)
    if (!table.Insert(reinterpret_cast<void*>(base + 16 * i), 1, 64)) abort();
  uintptr_t next = base + 16 * (prefill + 1);
  uint32_t stack = 0;
  uint64_t size = 0;
  for (auto _ : state) {
    void* p = reinterpret_cast<void*>(next);
    next += 16 * 7919;
    benchmark::DoNotOptimize(table.Insert(p, 3, 64));
    benchmark::DoNotOptimize(table.Erase(p, &stack, &size));
  }
}
BENCHMARK(BM_LiveTableInsertErase)->Arg(0)->Arg(100000);

// The question every free() asks, for a pointer that is not in the table.
void BM_LiveTableMaybeContainsMiss(benchmark::State& state) {
  constexpr uint64_t kCapacity = 1u << 17;
  static void* memory = MapZeroed(LiveTable::MemoryNeeded(kCapacity));
  LiveTable table;
  table.Init(memory, kCapacity);
  uintptr_t p = 0x7f1000000000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(table.MaybeContains(reinterpret_cast<void*>(p)));
    p += 48;
  }
}
BENCHMARK(BM_LiveTableMaybeContainsMiss);

// Interning a stack that is already in the table (the steady state of a sampled call site).
void BM_StackTableInternHit(benchmark::State& state) {
  constexpr uint64_t kCapacity = 1u << 14;  // the default LEAKTRACK_MAX_STACKS
  static void* memory = MapZeroed(StackTable::MemoryNeeded(kCapacity));
  memset(memory, 0, StackTable::MemoryNeeded(kCapacity));
  StackTable table;
  table.Init(memory, kCapacity);
  const int depth = static_cast<int>(state.range(0));
  std::vector<uint64_t> frames(depth);
  for (int i = 0; i < depth; ++i) frames[i] = 0x400000 + 0x40 * i;
  if (table.Intern(frames.data(), depth) < 0) abort();
  for (auto _ : state) benchmark::DoNotOptimize(table.Intern(frames.data(), depth));
}
BENCHMARK(BM_StackTableInternHit)->Arg(16)->Arg(64);

// Interning new stacks; the table is refilled from empty (timer paused) before it gets full.
void BM_StackTableInternNew(benchmark::State& state) {
  constexpr uint64_t kCapacity = 1u << 14;
  constexpr uint64_t kFill = kCapacity / 2;
  static void* memory = MapZeroed(StackTable::MemoryNeeded(kCapacity));
  const int depth = static_cast<int>(state.range(0));
  std::vector<uint64_t> frames(depth);
  for (int i = 0; i < depth; ++i) frames[i] = 0x400000 + 0x40 * i;
  StackTable* table = nullptr;
  alignas(StackTable) static unsigned char storage[sizeof(StackTable)];
  uint64_t n = kFill;
  for (auto _ : state) {
    if (n == kFill) {
      state.PauseTiming();
      memset(memory, 0, StackTable::MemoryNeeded(kCapacity));
      table = new (storage) StackTable();
      table->Init(memory, kCapacity);
      n = 0;
      state.ResumeTiming();
    }
    frames[0] = 0x500000 + 16 * n++;  // a new leaf: a new stack
    benchmark::DoNotOptimize(table->Intern(frames.data(), depth));
  }
}
BENCHMARK(BM_StackTableInternNew)->Arg(16)->Arg(64);

}  // namespace
}  // namespace leaktrack

int main(int argc, char** argv) {
  leaktrack::Config config;  // defaults: rate 512 KiB, depth 64
  config.signal = 0;         // no dump handler in a benchmark
  if (!leaktrack::EnsureRealResolved() || !leaktrack::InitProfilerForTesting(config)) {
    fprintf(stderr, "hooks_benchmark: cannot initialise leaktrack_core\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
