// Tests of the live-allocation table (live_table.h), including concurrent use.
#include "live_table.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "internal_alloc.h"

namespace leaktrack {
namespace {

class LiveTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ = MapMemory(LiveTable::MemoryNeeded(kCapacity));
    ASSERT_NE(memory_, nullptr);
    table_.Init(memory_, kCapacity);
  }
  void TearDown() override { UnmapMemory(memory_, LiveTable::MemoryNeeded(kCapacity)); }
  static void* Fake(uintptr_t i) { return reinterpret_cast<void*>(0x10000 + i * 16); }

  static constexpr uint64_t kCapacity = 1 << 14;
  void* memory_ = nullptr;
  LiveTable table_;
};

TEST_F(LiveTableTest, InsertFindErase) {
  EXPECT_FALSE(table_.MaybeContains(Fake(1)));
  ASSERT_TRUE(table_.Insert(Fake(1), 42, 4096));
  EXPECT_TRUE(table_.MaybeContains(Fake(1)));
  uint32_t stack = 0;
  uint64_t size = 0;
  EXPECT_FALSE(table_.Erase(Fake(2), &stack, &size));
  ASSERT_TRUE(table_.Erase(Fake(1), &stack, &size));
  EXPECT_EQ(stack, 42u);
  EXPECT_EQ(size, 4096u);
  EXPECT_FALSE(table_.Erase(Fake(1), &stack, &size));  // a second free finds nothing
  EXPECT_FALSE(table_.MaybeContains(Fake(1)));
}

TEST_F(LiveTableTest, RejectsUntrackablePointersAndBuckets) {
  EXPECT_FALSE(table_.Insert(reinterpret_cast<void*>(uintptr_t{1} << 47), 1, 8));
  EXPECT_FALSE(table_.Insert(Fake(3), LiveTable::kMaxStacks, 8));
  EXPECT_TRUE(table_.Insert(Fake(3), LiveTable::kMaxStacks - 1, 8));
}

TEST_F(LiveTableTest, FillsUpWithoutBlockingAndRecoversAfterErase) {
  uint64_t inserted = 0;
  for (uintptr_t i = 0; i < 2 * kCapacity; ++i) inserted += table_.Insert(Fake(i), i & 1023, i);
  EXPECT_GT(inserted, kCapacity / 2);  // linear probing with a probe limit fills well
  EXPECT_LE(inserted, kCapacity);
  EXPECT_EQ(table_.CountForTesting(), inserted);
  uint32_t stack;
  uint64_t size;
  for (uintptr_t i = 0; i < 2 * kCapacity; ++i) (void)table_.Erase(Fake(i), &stack, &size);
  EXPECT_EQ(table_.CountForTesting(), 0u);
  // Tombstones are reused: the table accepts a full load again.
  uint64_t again = 0;
  for (uintptr_t i = 0; i < kCapacity / 2; ++i) again += table_.Insert(Fake(i + 7), 1, 16);
  EXPECT_EQ(again, kCapacity / 2);
}

// Pointers that all map to one filter counter: granule b of the filter-sized window a, with
// b = a ^ c (the filter folds the window number into the granule number).
void* Colliding(uintptr_t a, uintptr_t c) {
  constexpr int kWindowBits = LiveTable::kGranuleBits + LiveTable::kFilterBits;
  constexpr uintptr_t kMask = (uintptr_t{1} << LiveTable::kFilterBits) - 1;
  return reinterpret_cast<void*>((a << kWindowBits) | (((a ^ c) & kMask) << LiveTable::kGranuleBits));
}

TEST_F(LiveTableTest, SharedFilterCounterAnswersMaybeUntilTheLastEraseOnly) {
  constexpr uintptr_t kN = 10, kCounter = 0x1234;
  for (uintptr_t a = 1; a <= kN; ++a) ASSERT_TRUE(table_.Insert(Colliding(a, kCounter), 7, 32));
  EXPECT_TRUE(table_.MaybeContains(Colliding(kN + 1, kCounter)));  // same counter, never inserted
  uint32_t stack = 0;
  uint64_t size = 0;
  EXPECT_FALSE(table_.Erase(Colliding(kN + 1, kCounter), &stack, &size));  // the probe says no
  for (uintptr_t a = 1; a < kN; ++a) {
    ASSERT_TRUE(table_.Erase(Colliding(a, kCounter), &stack, &size));
    EXPECT_TRUE(table_.MaybeContains(Colliding(kN, kCounter)));  // still live: never a wrong "no"
  }
  ASSERT_TRUE(table_.Erase(Colliding(kN, kCounter), &stack, &size));
  EXPECT_FALSE(table_.MaybeContains(Colliding(kN, kCounter)));
  EXPECT_FALSE(table_.MaybeContains(Colliding(1, kCounter)));
}

TEST_F(LiveTableTest, SaturatedFilterCounterStaysMaybe) {
  // 300 live pointers on one 8-bit counter: it saturates, and from then on it answers "maybe"
  // for good rather than wrapping to a wrong "no" while some of them are live.
  constexpr uintptr_t kN = 300, kCounter = 0x0abc;
  for (uintptr_t a = 1; a <= kN; ++a) ASSERT_TRUE(table_.Insert(Colliding(a, kCounter), 1, 32));
  uint32_t stack = 0;
  uint64_t size = 0;
  for (uintptr_t a = 1; a <= kN; ++a) {
    EXPECT_TRUE(table_.MaybeContains(Colliding(a, kCounter)));
    ASSERT_TRUE(table_.Erase(Colliding(a, kCounter), &stack, &size));
    EXPECT_EQ(stack, 1u);
    EXPECT_EQ(size, 32u);
  }
  EXPECT_TRUE(table_.MaybeContains(Colliding(1, kCounter)));  // sticky: costs a probe, not a miss
  EXPECT_EQ(table_.CountForTesting(), 0u);
}

TEST_F(LiveTableTest, FilterFalsePositivesStaySmallOnALargeHeap) {
  // A 3 GiB heap at the default rate holds ~6,000 live samples. Frees of unsampled blocks must
  // rarely reach the table: the filter's aliasing share is about N/2^18 = 2.3% plus 512/rate
  // for neighbours of a sample (live_table.h). 65,536 counters gave 9% here. Deterministic
  // (fixed generator); the bound leaves room for the hash's unevenness, not for a smaller filter.
  constexpr uint64_t kHeap = 3ull << 30, kBase = 0x7f0000000000, kSamples = 6000;
  uint64_t state = 0x2545F4914F6CDD1Dull;
  auto next = [&state] {
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return state * 0x9E3779B97F4A7C15ull;
  };
  for (uint64_t i = 0; i < kSamples; ++i) {
    ASSERT_TRUE(table_.Insert(reinterpret_cast<void*>(kBase + (next() % kHeap & ~15ull)), 1, 64));
  }
  constexpr int kProbes = 200000;
  int maybe = 0;
  for (int i = 0; i < kProbes; ++i) {
    maybe += table_.MaybeContains(reinterpret_cast<void*>(kBase + (next() % kHeap & ~15ull)));
  }
  EXPECT_LT(static_cast<double>(maybe) / kProbes, 0.035);
  EXPECT_GT(static_cast<double>(maybe) / kProbes, 0.015);  // the test measures what it says
}

TEST_F(LiveTableTest, ConcurrentInsertEraseKeepsEveryEntry) {
  // Four threads each own a disjoint pointer range and churn through it; at the end each keeps
  // every 4th pointer. The table must hold exactly those, with the right stacks and sizes.
  constexpr int kThreads = 4;
  constexpr uintptr_t kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      uint32_t stack;
      uint64_t size;
      for (int round = 0; round < 20; ++round) {
        for (uintptr_t i = 0; i < kPerThread; ++i) {
          ASSERT_TRUE(table_.Insert(Fake(t * kPerThread + i), t, i + round));
        }
        for (uintptr_t i = 0; i < kPerThread; ++i) {
          if (round == 19 && i % 4 == 0) continue;
          ASSERT_TRUE(table_.Erase(Fake(t * kPerThread + i), &stack, &size));
          ASSERT_EQ(stack, static_cast<uint32_t>(t));
          ASSERT_EQ(size, i + round);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(table_.CountForTesting(), kThreads * kPerThread / 4);
  for (int t = 0; t < kThreads; ++t) {
    for (uintptr_t i = 0; i < kPerThread; i += 4) {
      uint32_t stack;
      uint64_t size;
      ASSERT_TRUE(table_.Erase(Fake(t * kPerThread + i), &stack, &size));
      EXPECT_EQ(stack, static_cast<uint32_t>(t));
      EXPECT_EQ(size, i + 19);
    }
  }
}

}  // namespace
}  // namespace leaktrack
