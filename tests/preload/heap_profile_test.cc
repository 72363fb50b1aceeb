// Tests of the pprof encoder (heap_profile.h): the output is decoded back with
// `protoc --decode` against tests/data/profile.proto and checked field by field.
#include "heap_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "profiler.h"
#include "own_memory.h"
#include "sampler.h"

namespace leaktrack {
namespace {

// Decodes a raw profile to protoc's text format.
std::string Decode(const EncodedProfile& p) {
  char path[] = "/tmp/leaktrack_heap_profile_test.XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, p.data, p.size), static_cast<ssize_t>(p.size));
  close(fd);
  const std::string cmd = std::string("protoc --proto_path=") + LEAKTRACK_TEST_DATA_DIR +
                          " --decode=perftools.profiles.Profile profile.proto < " + path;
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (f != nullptr && (n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  EXPECT_EQ(f != nullptr ? pclose(f) : -1, 0) << "protoc failed";
  unlink(path);
  return out;
}

struct DecodedSample {
  std::vector<uint64_t> locations;
  std::vector<int64_t> values;
  int64_t label_num = -1;
};

// A small reader for protoc's text output: enough to check the invariants of PPROF.md §1.
struct Decoded {
  std::vector<std::string> strings;
  std::vector<DecodedSample> samples;
  std::set<uint64_t> location_ids;
  std::set<uint64_t> mapping_ids;
  int64_t period = 0;
};

Decoded Parse(const std::string& text) {
  Decoded d;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> stack;
  while (std::getline(in, line)) {
    const size_t b = line.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (line.size() > 2 && line.substr(line.size() - 2) == " {") {
      stack.push_back(line.substr(0, line.size() - 2));
      if (stack.size() == 1 && stack[0] == "sample") d.samples.emplace_back();
      continue;
    }
    if (line == "}") {
      stack.pop_back();
      continue;
    }
    const size_t colon = line.find(": ");
    const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
    const std::string where = stack.empty() ? "" : stack.back();
    if (stack.empty() && key == "string_table") {
      d.strings.push_back(value.substr(1, value.size() - 2));
    } else if (stack.empty() && key == "period") {
      d.period = std::stoll(value);
    } else if (where == "sample" && key == "location_id") {
      d.samples.back().locations.push_back(std::stoull(value));
    } else if (where == "sample" && key == "value") {
      d.samples.back().values.push_back(std::stoll(value));
    } else if (where == "label" && key == "num") {
      d.samples.back().label_num = std::stoll(value);
    } else if (where == "location" && key == "id") {
      EXPECT_TRUE(d.location_ids.insert(std::stoull(value)).second) << "duplicate location id";
    } else if (where == "mapping" && key == "id") {
      EXPECT_TRUE(d.mapping_ids.insert(std::stoull(value)).second) << "duplicate mapping id";
    }
  }
  return d;
}

// Builds a raw profile of the profiler's tables, as a dump does, and decodes it; *plan_used gets
// the dump's plan.
Decoded DumpAndDecode(DumpPlan* plan_used = nullptr) {
  const DumpPlan plan = PlanDump(g_profiler);
  if (plan_used != nullptr) *plan_used = plan;
  Arena arena;
  EncodedProfile raw;
  const bool built =
      arena.Init(plan.arena_bytes) && BuildRawHeapProfile(g_profiler, plan, &arena, &raw);
  EXPECT_TRUE(built) << "the dump could not be built";
  Decoded d = built ? Parse(Decode(raw)) : Decoded{};
  arena.Release();
  return d;
}

__attribute__((noinline)) void* AllocateHundred() {
  void* p = malloc(100);
  RecordAlloc(p, 100);
  return p;
}

TEST(HeapProfileTest, ScaleMatchesGoWorkedExample) {
  int64_t count, bytes;
  // PPROF.md §5: 26 sampled 64 KiB blocks at R = 524288 -> 221 objects, 14501200 bytes.
  ScaleHeapSample(26, 65536, 524288, &count, &bytes);
  EXPECT_EQ(count, 221);
  EXPECT_EQ(bytes, 14501200);
  ScaleHeapSample(200, 65536, 1, &count, &bytes);
  EXPECT_EQ(count, 200);
  EXPECT_EQ(bytes, 13107200);
}

TEST(HeapProfileTest, EncodesExactValuesAndValidReferences) {
  Config config;
  config.rate = 1;
  config.max_live = 1 << 12;
  config.max_stacks = 1 << 10;
  ASSERT_TRUE(InitProfilerForTesting(config));
  void* kept1 = AllocateHundred();
  void* kept2 = AllocateHundred();
  void* freed = AllocateHundred();
  SampledBlock block;
  ASSERT_TRUE(ForgetSampled(freed, &block));
  EXPECT_EQ(block.size, 100u);
  free(freed);

  const DumpPlan plan = PlanDump(g_profiler);
  EXPECT_EQ(plan.samples, 1u);
  Arena arena;
  ASSERT_TRUE(arena.Init(plan.arena_bytes));
  EncodedProfile raw;
  ASSERT_TRUE(BuildRawHeapProfile(g_profiler, plan, &arena, &raw));
  const Decoded d = Parse(Decode(raw));

  ASSERT_FALSE(d.strings.empty());
  EXPECT_EQ(d.strings[0], "");  // PPROF.md §1
  const std::vector<std::string> types = {"alloc_objects", "alloc_space", "inuse_objects",
                                          "inuse_space"};
  for (const auto& t : types) {
    EXPECT_NE(std::find(d.strings.begin(), d.strings.end(), t), d.strings.end()) << t;
  }
  EXPECT_EQ(d.period, 1);
  ASSERT_EQ(d.samples.size(), 1u);  // three allocations from one stack and size: one record
  const DecodedSample& s = d.samples[0];
  EXPECT_EQ(s.values, (std::vector<int64_t>{3, 300, 2, 200}));
  EXPECT_EQ(s.label_num, 100);
  ASSERT_FALSE(s.locations.empty());
  for (uint64_t id : s.locations) EXPECT_TRUE(d.location_ids.count(id)) << id;
  EXPECT_FALSE(d.mapping_ids.empty());
  EXPECT_EQ(d.location_ids.count(0), 0u);

  // The gzipped form starts with the gzip magic and is smaller than the raw bytes here.
  EncodedProfile gz;
  ASSERT_TRUE(BuildHeapProfile(g_profiler, plan, &arena, &gz));
  ASSERT_GT(gz.size, 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz.data[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz.data[1]), 0x8b);
  arena.Release();
  free(kept1);
  free(kept2);
}

__attribute__((noinline)) void AllocateSized(size_t size, std::vector<void*>* keep) {
  void* p = malloc(size);
  RecordAlloc(p, size);
  keep->push_back(p);
}

TEST(HeapProfileTest, EverySizeOfASharedStackIsCounted) {
  // Regression: many sizes from one stack share all their addresses; the dump once skipped
  // records whose frames were already indexed, dropping most samples of a hot site. Now the
  // first sizes get samples of their own and the rest one sample labelled with their mean size;
  // at rate 1 the values are exact either way.
  Config config;
  config.rate = 1;
  config.max_live = 1 << 12;
  config.max_stacks = 1 << 10;
  ASSERT_TRUE(InitProfilerForTesting(config));
  std::vector<void*> keep;
  keep.reserve(100);
  for (size_t size = 5000; size < 5050; ++size) AllocateSized(size, &keep);
  DumpPlan plan;
  const Decoded d = DumpAndDecode(&plan);
  ASSERT_EQ(d.samples.size(), static_cast<size_t>(SiteCounters::kTallies));
  EXPECT_EQ(d.samples.size(), plan.samples);
  std::set<int64_t> labels;
  int64_t objects = 0, bytes = 0;
  for (const DecodedSample& s : d.samples) {
    labels.insert(s.label_num);
    objects += s.values[2];
    bytes += s.values[3];
    EXPECT_EQ(s.values[0], s.values[2]);  // nothing freed yet
  }
  // 5000..5003 exactly, then the mean of 5004..5049.
  EXPECT_EQ(labels, (std::set<int64_t>{5000, 5001, 5002, 5003, (5004 + 5049) / 2}));
  EXPECT_EQ(objects, 50);
  EXPECT_EQ(bytes, (5000 + 5049) * 50 / 2);
  for (void* p : keep) free(p);
}

// Sums a profile's four values over all samples.
std::vector<int64_t> Totals(const Decoded& d) {
  std::vector<int64_t> t(4, 0);
  for (const DecodedSample& s : d.samples)
    for (size_t i = 0; i < 4 && i < s.values.size(); ++i) t[i] += s.values[i];
  return t;
}

__attribute__((noinline)) void RecordAt(uintptr_t fake_address, size_t size) {
  RecordAlloc(reinterpret_cast<void*>(fake_address), size);
}

TEST(HeapProfileTest, HeaderSaysHowMuchOfOurOwnMemoryIsResident) {
  Config config;
  config.rate = 1;
  config.max_live = 1 << 16;  // 1 MiB of live slots
  config.max_stacks = 1 << 10;
  ASSERT_TRUE(InitProfilerForTesting(config));
  // 4,096 blocks at spread (fake) addresses hash all over the live slots: each of their 256
  // pages is missed by all of them with odds (255/256)^4096 = 1.1e-7, so all are touched.
  for (uintptr_t i = 1; i <= 4096; ++i) RecordAt(i << 20, 64);
  const Decoded d = DumpAndDecode();

  const std::string prefix = "leaktrack 0.1.0, rate=1, own memory: ";
  std::string header;
  for (const std::string& s : d.strings)
    if (s.rfind(prefix, 0) == 0) header = s;
  ASSERT_FALSE(header.empty()) << "no header comment";
  const OwnMemory own = MeasureOwnMemory(g_profiler);
  const auto tenths = [](size_t bytes) { return (bytes * 10 + (1u << 19)) >> 20; };
  if (!own.resident_known) {
    // No pagemap in this sandbox: the header says what is reserved, and nothing else.
    const size_t t = tenths(own.reserved);
    EXPECT_EQ(header.substr(prefix.size()),
              std::to_string(t / 10) + "." + std::to_string(t % 10) + " MiB reserved");
    return;
  }
  unsigned long res_mib, res_tenth, rsv_mib, rsv_tenth;
  ASSERT_EQ(sscanf(header.c_str() + prefix.size(),
                   "%lu.%lu MiB resident of %lu.%lu MiB reserved", &res_mib, &res_tenth, &rsv_mib,
                   &rsv_tenth),
            4)
      << header;
  EXPECT_EQ(rsv_mib * 10 + rsv_tenth, tenths(own.reserved)) << header;
  EXPECT_GE(own.reserved, g_profiler.tables_bytes);
  EXPECT_GE(res_mib * 10 + res_tenth, 10u) << header;  // the live slots alone: 1 MiB
  EXPECT_LE(res_mib * 10 + res_tenth, rsv_mib * 10 + rsv_tenth) << header;
}

TEST(HeapProfileTest, OneSiteOfEverySizeIsUnbiasedAtTheDefaultRate) {
  // A site that allocates every size from 1 KiB to 64 KiB, as a string or buffer pool does, 16 GiB in
  // all (fake addresses: RecordAlloc only remembers them), and frees every other block. Nothing
  // may be dropped, and the estimates must match the truth. Tolerance: ~32,800 samples; the
  // standard error of the object count (the loosest, its weights reach R/size) is 0.8% for the
  // allocated total and 1.15% for the half that stays; bytes 0.55% and 0.8%. We allow 6%: over
  // 5 sigma everywhere, false-failure odds below 1e-6 per run.
  Config config;
  config.rate = 524288;
  config.max_live = 1 << 16;
  config.max_stacks = 1 << 10;
  ASSERT_TRUE(InitProfilerForTesting(config));
  ThreadState ts{};
  uint64_t state = 0x9E3779B97F4A7C15ull;
  double alloc_objects = 0, alloc_bytes = 0, inuse_objects = 0, inuse_bytes = 0;
  std::vector<std::pair<uintptr_t, bool>> sampled;  // address, freed
  for (uint64_t i = 0; alloc_bytes < 16.0 * (1ull << 30); ++i) {
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    const size_t size = 1024 + (state * 0x2545F4914F6CDD1Dull >> 40) % (63 * 1024);
    const bool freed = i % 2 == 1;
    alloc_objects += 1, alloc_bytes += size;
    if (!freed) inuse_objects += 1, inuse_bytes += size;
    if (!ShouldSample(&ts, size, config.rate)) continue;
    const uintptr_t address = 0x100000000ull + 16 * i;
    RecordAt(address, size);
    sampled.emplace_back(address, freed);
  }
  SampledBlock block;
  for (const auto& [address, freed] : sampled) {
    if (!freed) continue;
    ASSERT_TRUE(ForgetSampled(reinterpret_cast<void*>(address), &block));
  }

  const Decoded d = DumpAndDecode();
  EXPECT_EQ(g_profiler.stats.dropped_live_full.load() + g_profiler.stats.dropped_stack_full.load(),
            0u);
  const std::vector<int64_t> t = Totals(d);
  EXPECT_NEAR(t[0] / alloc_objects, 1.0, 0.06) << sampled.size() << " samples";
  EXPECT_NEAR(t[1] / alloc_bytes, 1.0, 0.06);
  EXPECT_NEAR(t[2] / inuse_objects, 1.0, 0.06);
  EXPECT_NEAR(t[3] / inuse_bytes, 1.0, 0.06);
}

}  // namespace
}  // namespace leaktrack
