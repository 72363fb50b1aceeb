// Tests of the departed-code bookkeeping (departed_mappings.h, departed_resolver.h,
// recycled_code.h): which unloaded library a frame of a stack captured at some generation ran
// in, string sharing, and the bounds.
#include <string.h>

#include <vector>

#include <gtest/gtest.h>

#include "departed_mappings.h"
#include "departed_resolver.h"
#include "internal_alloc.h"
#include "recycled_code.h"

namespace leaktrack {
namespace {

class DepartedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ = MapMemory(DepartedMappings::MemoryNeeded());
    ASSERT_NE(memory_, nullptr);
    table_.Init(memory_);
    ASSERT_TRUE(arena_.Init(8 << 20));
  }
  void TearDown() override {
    arena_.Release();
    UnmapMemory(memory_, DepartedMappings::MemoryNeeded());
  }
  // One dlclose that unloads one single-segment library.
  void Unload(uint64_t start, uint64_t limit, const char* path, const char* build_id) {
    uint32_t g;
    ASSERT_TRUE(table_.Advance(&g));
    table_.Record(g, start, limit, 0x1000, path, build_id);
  }

  void* memory_ = nullptr;
  DepartedMappings table_;
  Arena arena_;
};

TEST_F(DepartedTest, FrameBelongsToTheFirstLibraryThatLeftAfterTheCapture) {
  // liba and libb alternate at the same address, as in torture G4; libc stays.
  const uint64_t kStart = 0x7f0000001000, kLimit = 0x7f0000002000;
  EXPECT_EQ(table_.generation(), 0u);
  Unload(kStart, kLimit, "/lib/liba.so", "aaaa");  // generation 0 -> 1
  Unload(kStart, kLimit, "/lib/libb.so", "bbbb");  // 1 -> 2
  Unload(kStart, kLimit, "/lib/liba.so", "aaaa");  // 2 -> 3
  EXPECT_EQ(table_.generation(), 3u);
  DepartedResolver r;
  ASSERT_TRUE(r.Init(table_, &arena_, /*first_id=*/10));
  const uint64_t pc = kStart + 0x18c;
  const uint32_t a = r.MappingId(pc, 0);
  const uint32_t b = r.MappingId(pc, 1);
  EXPECT_EQ(a, 10u);
  EXPECT_EQ(b, 11u);
  EXPECT_EQ(r.MappingId(pc, 2), a);  // liba again: the same profile Mapping
  EXPECT_EQ(r.MappingId(pc, 3), 0u);  // captured after the last unload: live mappings decide
  EXPECT_EQ(r.MappingId(kLimit, 0), 0u);  // outside the range
  EXPECT_EQ(r.MappingId(kStart - 1, 0), 0u);
  ASSERT_EQ(r.used(), 2u);
  EXPECT_STREQ(r.used_mapping(0).path, "/lib/liba.so");
  EXPECT_STREQ(r.used_mapping(0).build_id, "aaaa");
  EXPECT_STREQ(r.used_mapping(1).path, "/lib/libb.so");
  EXPECT_EQ(r.used_mapping(1).start, kStart);
  EXPECT_EQ(r.used_mapping(1).limit, kLimit);
  EXPECT_EQ(r.used_mapping(1).offset, 0x1000u);
}

TEST_F(DepartedTest, OverlappingRangesOfDifferentSizes) {
  // A big library leaves, a small one is loaded inside its old range and leaves too.
  Unload(0x10000, 0x20000, "/big.so", "");      // generation 0
  Unload(0x14000, 0x15000, "/small.so", "cc");  // generation 1
  DepartedResolver r;
  ASSERT_TRUE(r.Init(table_, &arena_, 1));
  EXPECT_STREQ(r.used_mapping(r.MappingId(0x14800, 0) - 1).path, "/big.so");
  EXPECT_STREQ(r.used_mapping(r.MappingId(0x14800, 1) - 1).path, "/small.so");
  EXPECT_EQ(r.MappingId(0x18000, 1), 0u);  // big.so had left before generation 1
  EXPECT_STREQ(r.used_mapping(r.MappingId(0x18000, 0) - 1).build_id, "");
}

TEST_F(DepartedTest, StringsAreSharedAndTheTableIsBounded) {
  for (uint32_t i = 0; i < DepartedMappings::kCapacity; ++i)
    Unload(0x1000 * (i + 1), 0x1000 * (i + 2), "/lib/plugin.so", "0123456789abcdef");
  EXPECT_EQ(table_.count(), DepartedMappings::kCapacity);
  EXPECT_EQ(table_.dropped(), 0u);
  DepartedMapping first, last;
  ASSERT_TRUE(table_.Get(0, &first));
  ASSERT_TRUE(table_.Get(DepartedMappings::kCapacity - 1, &last));
  EXPECT_EQ(first.path, last.path);  // one copy in the pool
  // Full: the next unload is counted and the generation stops moving.
  const uint32_t g = table_.generation();
  uint32_t unused;
  EXPECT_FALSE(table_.Advance(&unused));
  EXPECT_EQ(table_.generation(), g);
  EXPECT_EQ(table_.dropped(), 1u);
}

TEST(RecycledCodeTest, RangesOnlyGrow) {
  static RecycledCode recycled;  // not the global: other tests must not see these ranges
  const uint64_t inside = 0x5000, outside = 0x9000;
  EXPECT_FALSE(recycled.AnyIn(&inside, 1));
  recycled.Add(0x4000, 0x6000);
  EXPECT_TRUE(recycled.AnyIn(&inside, 1));
  EXPECT_FALSE(recycled.AnyIn(&outside, 1));
  // Past the slot limit the last slot widens: still covers everything added, never less.
  std::vector<uint64_t> starts;
  for (int i = 0; i < RecycledCode::kMaxRanges + 8; ++i) {
    const uint64_t s = 0x100000 + static_cast<uint64_t>(i) * 0x10000;
    recycled.Add(s, s + 0x1000);
    starts.push_back(s);
  }
  for (uint64_t s : starts) {
    const uint64_t pc = s + 0x10;
    EXPECT_TRUE(recycled.AnyIn(&pc, 1)) << std::hex << s;
  }
  EXPECT_TRUE(recycled.AnyIn(&inside, 1));
  const uint64_t frames[] = {outside, 0x1, inside};
  EXPECT_TRUE(recycled.AnyIn(frames, 3));
  EXPECT_FALSE(recycled.AnyIn(frames, 2));
}

}  // namespace
}  // namespace leaktrack
