// Tests of stack interning (stack_table.h).
#include "stack_table.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "internal_alloc.h"

namespace leaktrack {
namespace {

TEST(StackTableTest, InternsEqualStacksOnceAndReadsThemBack) {
  constexpr uint64_t kCap = 256;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  const uint64_t a[] = {0x1000, 0x2000, 0x3000};
  const uint64_t b[] = {0x1000, 0x2000, 0x3001};
  const int64_t ia = t.Intern(a, 3);
  const int64_t ib = t.Intern(b, 3);
  ASSERT_GE(ia, 0);
  ASSERT_GE(ib, 0);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t.Intern(a, 3), ia);
  EXPECT_NE(t.Intern(a, 2), ia);  // a prefix is a different stack
  const uint64_t* frames;
  int depth;
  ASSERT_TRUE(t.Get(static_cast<uint64_t>(ib), &frames, &depth));
  ASSERT_EQ(depth, 3);
  EXPECT_EQ(frames[2], 0x3001u);
  EXPECT_GE(t.Intern(a, 0), 0);  // an empty stack is a valid key
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

TEST(StackTableTest, FullTableReturnsMinusOne) {
  constexpr uint64_t kCap = 256;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  int failures = 0;
  for (uint64_t i = 0; i < 2 * kCap; ++i) {
    const uint64_t frame[] = {i * 8 + 1};
    failures += t.Intern(frame, 1) < 0;
  }
  EXPECT_GE(failures, static_cast<int>(kCap));
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

TEST(StackTableTest, ConcurrentInternIsConsistent) {
  constexpr uint64_t kCap = 1 << 12;
  void* mem = MapMemory(StackTable::MemoryNeeded(kCap));
  StackTable t;
  t.Init(mem, kCap);
  // Threads intern overlapping stacks; every id must read back as the stack that was interned.
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&t] {
      for (uint64_t i = 0; i < 1000; ++i) {
        const uint64_t frames[] = {i, i + 1, i * 3, 77};
        const int64_t id = t.Intern(frames, 4);
        ASSERT_GE(id, 0);
        const uint64_t* got;
        int depth;
        ASSERT_TRUE(t.Get(static_cast<uint64_t>(id), &got, &depth));
        ASSERT_EQ(depth, 4);
        ASSERT_EQ(got[2], i * 3);
      }
    });
  }
  for (auto& th : threads) th.join();
  UnmapMemory(mem, StackTable::MemoryNeeded(kCap));
}

}  // namespace
}  // namespace leaktrack
