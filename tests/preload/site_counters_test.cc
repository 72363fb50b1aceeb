// Tests of the per-site allocation tallies (site_counters.h).
#include "site_counters.h"

#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "internal_alloc.h"
#include "sampler.h"

namespace leaktrack {
namespace {

class SiteCountersTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kStacks = 64;
  static constexpr uint64_t kRate = 524288;
  void SetUp() override {
    memory_ = MapMemory(SiteCounters::MemoryNeeded(kStacks));
    ASSERT_NE(memory_, nullptr);
    counters_.Init(memory_, kStacks, kRate);
  }
  void TearDown() override { UnmapMemory(memory_, SiteCounters::MemoryNeeded(kStacks)); }

  SiteCounters::Tally Read(uint32_t stack, int index) {
    SiteCounters::Tally t{};
    EXPECT_TRUE(counters_.Get(stack, index, &t)) << "tally " << index;
    return t;
  }

  void* memory_ = nullptr;
  SiteCounters counters_;
};

TEST_F(SiteCountersTest, FirstSizesGetExactTalliesTheRestShareTheMixedOne) {
  const uint64_t sizes[] = {64, 0, 4096, 64, 24, 100, 200, 24};
  for (uint64_t s : sizes) counters_.AddAlloc(3, s);
  const SiteCounters::Tally a = Read(3, 0), b = Read(3, 1), c = Read(3, 2), d = Read(3, 3);
  EXPECT_EQ(a.size, 64u);
  EXPECT_EQ(a.allocs, 2u);
  EXPECT_EQ(b.size, 0u);  // a sampled malloc(0) is a size like any other
  EXPECT_EQ(c.size, 4096u);
  EXPECT_EQ(d.size, 24u);
  EXPECT_EQ(d.allocs, 2u);
  EXPECT_FALSE(a.mixed || b.mixed || c.mixed || d.mixed);
  const SiteCounters::Tally m = Read(3, SiteCounters::kExactSizes);
  EXPECT_TRUE(m.mixed);
  // 100 and 200 bytes, each weighted by 1/p(size) in 1/256ths of an object.
  const double w100 = SampleScale(100, kRate), w200 = SampleScale(200, kRate);
  EXPECT_NEAR(static_cast<double>(m.allocs) / SiteCounters::kWeightOne, w100 + w200, 0.01);
  EXPECT_NEAR(static_cast<double>(m.alloc_bytes), 100 * w100 + 200 * w200, 1.0);
  EXPECT_EQ(m.frees, 0u);
  // Another stack is untouched.
  SiteCounters::Tally other;
  EXPECT_FALSE(counters_.Get(4, 0, &other));
  EXPECT_FALSE(counters_.Get(4, SiteCounters::kExactSizes, &other));
}

TEST_F(SiteCountersTest, FreesFindTheAllocationsTallyAndUndoReversesThem) {
  for (uint64_t s = 1000; s < 1010; ++s) counters_.AddAlloc(7, s);
  for (uint64_t s = 1000; s < 1010; ++s) counters_.AddFree(7, s);
  for (int k = 0; k < SiteCounters::kExactSizes; ++k) {
    const SiteCounters::Tally t = Read(7, k);
    EXPECT_EQ(t.allocs, 1u);
    EXPECT_EQ(t.frees, 1u);
  }
  SiteCounters::Tally m = Read(7, SiteCounters::kExactSizes);
  // Fixed point, rounded once per size: the frees cancel the allocations exactly.
  EXPECT_EQ(m.frees, m.allocs);
  EXPECT_EQ(m.free_bytes, m.alloc_bytes);
  counters_.UndoFree(7, 1009);  // a failed realloc: the block is live again
  counters_.UndoFree(7, 1000);
  m = Read(7, SiteCounters::kExactSizes);
  EXPECT_NEAR(static_cast<double>(m.allocs - m.frees) / SiteCounters::kWeightOne,
              SampleScale(1009, kRate), 0.01);
  EXPECT_EQ(Read(7, 0).frees, 0u);
}

TEST_F(SiteCountersTest, AtRateOneTheMixedTallyCountsExactly) {
  counters_.Init(memory_, kStacks, 1);
  memset(memory_, 0, SiteCounters::MemoryNeeded(kStacks));
  uint64_t bytes = 0;
  for (uint64_t s = 1; s <= 100; ++s) {
    counters_.AddAlloc(1, s);
    if (s > 4) bytes += s;
  }
  const SiteCounters::Tally m = Read(1, SiteCounters::kExactSizes);
  EXPECT_EQ(m.allocs, 96 * SiteCounters::kWeightOne);
  EXPECT_EQ(m.alloc_bytes, bytes);
}

TEST_F(SiteCountersTest, EvictionFoldsAllocationsAndResetsTheRecord) {
  // Five sizes: four exact tallies and one mixed. All freed, as for a stack that is evicted.
  const uint64_t sizes[] = {100, 200, 300, 400, 5000, 100};
  uint64_t want_objects = 0;
  double want_bytes = 0;
  for (uint64_t s : sizes) {
    counters_.AddAlloc(7, s);
    want_objects += static_cast<uint64_t>(SampleScale(s, kRate) * SiteCounters::kWeightOne + 0.5);
    want_bytes += SampleScale(s, kRate) * static_cast<double>(s);
  }
  for (uint64_t s : sizes) counters_.AddFree(7, s);
  counters_.AddAlloc(8, 100);  // another stack: untouched by the eviction
  counters_.Evict(7);
  const SiteCounters::Evicted e = counters_.evicted();
  EXPECT_EQ(e.stacks, 1u);
  EXPECT_EQ(e.objects, want_objects);  // each object rounded once, as MixedWeight does
  EXPECT_NEAR(static_cast<double>(e.bytes), want_bytes, static_cast<double>(std::size(sizes)));
  SiteCounters::Tally t;
  for (int k = 0; k < SiteCounters::kTallies; ++k) EXPECT_FALSE(counters_.Get(7, k, &t));
  EXPECT_EQ(Read(8, 0).allocs, 1u);
  // The record starts over for the stack that gets the id next.
  counters_.AddAlloc(7, 64);
  EXPECT_EQ(Read(7, 0).size, 64u);
  EXPECT_EQ(Read(7, 0).allocs, 1u);
}

TEST_F(SiteCountersTest, ConcurrentSitesClaimEachSizeOnceAndBalance) {
  // Four threads allocate and free the same 40 sizes on one stack in different orders. Each size
  // must own at most one exact slot, and at the end every tally must be balanced.
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int round = 0; round < 500; ++round) {
        for (uint64_t i = 0; i < 40; ++i) counters_.AddAlloc(9, 8 + (i * (t + 1) + round) % 40);
        for (uint64_t i = 0; i < 40; ++i) counters_.AddFree(9, 8 + (i * (t + 1) + round) % 40);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> claimed;
  uint64_t exact_allocs = 0;
  for (int k = 0; k < SiteCounters::kExactSizes; ++k) {
    const SiteCounters::Tally t = Read(9, k);
    EXPECT_TRUE(claimed.insert(t.size).second) << "size " << t.size << " claimed twice";
    EXPECT_EQ(t.allocs, t.frees);
    exact_allocs += t.allocs;
  }
  EXPECT_EQ(exact_allocs, kThreads * 500u * SiteCounters::kExactSizes);
  const SiteCounters::Tally m = Read(9, SiteCounters::kExactSizes);
  EXPECT_EQ(m.allocs, m.frees);
  EXPECT_EQ(m.alloc_bytes, m.free_bytes);
}

}  // namespace
}  // namespace leaktrack
