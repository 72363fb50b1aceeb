// Tests of the walk from C into Go (go_stack.h) on frame-pointer chains built by hand: what it
// follows, where it stops, and that a chain through unmapped memory ends the walk, not the
// process.
#include "go_stack.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

// Return addresses stand in for Go code in [kCodeBegin, kCodeEnd); nothing is ever run there.
constexpr uintptr_t kCodeBegin = 0x400000;
constexpr uintptr_t kCodeEnd = 0x500000;

// A goroutine stack of frame records, each {caller's rbp, return address}; frame i's caller is
// frame i + 1 (higher addresses, as on a real stack). Frame `last` holds rbp 0, the chain's end.
struct FakeStack {
  uintptr_t words[64] = {};
  uintptr_t Frame(int i) const { return reinterpret_cast<uintptr_t>(&words[2 * i]); }
  void Link(int i, uintptr_t caller_bp, uintptr_t ret) {
    words[2 * i] = caller_bp;
    words[2 * i + 1] = ret;
  }
};

class GoStackTest : public ::testing::Test {
 protected:
  void SetUp() override { SetGoCodeRangeForTesting(kCodeBegin, kCodeEnd); }
  void TearDown() override { SetGoCodeRangeForTesting(0, 0); }
};

TEST_F(GoStackTest, FollowsTheChainToItsEnd) {
  FakeStack s;
  s.Link(0, s.Frame(1), kCodeBegin + 0x10);
  s.Link(1, s.Frame(2), kCodeBegin + 0x20);
  s.Link(2, 0, kCodeBegin + 0x30);  // the goroutine's first frame
  uint64_t frames[8] = {111};
  bool truncated = false;
  ASSERT_EQ(AppendGoFrames(s.Frame(0), frames, 1, 8, &truncated), 4);
  EXPECT_EQ(frames[0], 111u);  // what was there stays
  EXPECT_EQ(frames[1], kCodeBegin + 0x10 - 1);  // return address - 1, like every frame
  EXPECT_EQ(frames[2], kCodeBegin + 0x20 - 1);
  EXPECT_EQ(frames[3], kCodeBegin + 0x30 - 1);
  EXPECT_FALSE(truncated);
}

TEST_F(GoStackTest, StopsWhereTheChainStopsMakingSense) {
  FakeStack s;
  uint64_t frames[8];
  bool truncated = false;
  // A return address outside the code: that frame is not taken.
  s.Link(0, s.Frame(1), kCodeBegin + 0x10);
  s.Link(1, s.Frame(2), kCodeEnd + 0x10);
  EXPECT_EQ(AppendGoFrames(s.Frame(0), frames, 0, 8, &truncated), 1);
  // A caller's rbp below the frame's own (callers live higher): its frame is taken, then stop.
  s.Link(1, s.Frame(0), kCodeBegin + 0x20);
  EXPECT_EQ(AppendGoFrames(s.Frame(1), frames, 0, 8, &truncated), 1);
  // A gap of over 1 MiB to the caller's frame.
  s.Link(1, s.Frame(1) + (2 << 20), kCodeBegin + 0x20);
  EXPECT_EQ(AppendGoFrames(s.Frame(0), frames, 0, 8, &truncated), 2);
  // A misaligned frame pointer, and none at all.
  EXPECT_EQ(AppendGoFrames(s.Frame(0) + 3, frames, 0, 8, &truncated), 0);
  EXPECT_EQ(AppendGoFrames(0, frames, 0, 8, &truncated), 0);
  EXPECT_FALSE(truncated);
}

TEST_F(GoStackTest, AChainIntoUnmappedMemoryEndsTheWalkNotTheProcess) {
  // Two pages: a frame record at the top of the first, which can be read, pointing to its
  // caller at the start of the second, which cannot (PROT_NONE, then unmapped): higher and
  // near, so only the failed read can stop the walk there.
  const long page = sysconf(_SC_PAGESIZE);
  char* two = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(two, MAP_FAILED);
  auto* record = reinterpret_cast<uintptr_t*>(two + page - 2 * sizeof(uintptr_t));
  const uintptr_t caller = reinterpret_cast<uintptr_t>(two + page);
  record[0] = caller;
  record[1] = kCodeBegin + 0x10;
  ASSERT_EQ(mprotect(two + page, page, PROT_NONE), 0);
  uint64_t frames[8];
  bool truncated = false;
  EXPECT_EQ(AppendGoFrames(reinterpret_cast<uintptr_t>(record), frames, 0, 8, &truncated), 1);
  EXPECT_EQ(AppendGoFrames(caller, frames, 0, 8, &truncated), 0);
  ASSERT_EQ(munmap(two + page, page), 0);
  EXPECT_EQ(AppendGoFrames(reinterpret_cast<uintptr_t>(record), frames, 0, 8, &truncated), 1);
  EXPECT_EQ(AppendGoFrames(caller, frames, 0, 8, &truncated), 0);
  EXPECT_FALSE(truncated);
  munmap(two, page);
}

TEST_F(GoStackTest, ADeepChainIsCutAtMaxDepthAndSaysSo) {
  FakeStack s;
  for (int i = 0; i < 31; ++i) s.Link(i, s.Frame(i + 1), kCodeBegin + 0x10 * (i + 1));
  s.Link(31, 0, kCodeBegin + 0x1000);
  uint64_t frames[40];
  bool truncated = false;
  EXPECT_EQ(AppendGoFrames(s.Frame(0), frames, 2, 10, &truncated), 10);
  EXPECT_TRUE(truncated);
  truncated = false;
  EXPECT_EQ(AppendGoFrames(s.Frame(0), frames, 0, 40, &truncated), 32);
  EXPECT_FALSE(truncated);
}

TEST_F(GoStackTest, AChainLongerThanOneReadIsReadPieceByPiece) {
  // 12 frames 1000 bytes apart: 11 KiB, several of the walk's 2 KiB reads.
  constexpr int kFrames = 12;
  constexpr size_t kSpacing = 1000;
  std::vector<uintptr_t> stack(kFrames * kSpacing / sizeof(uintptr_t));
  auto frame_at = [&](int i) { return &stack[i * kSpacing / sizeof(uintptr_t)]; };
  for (int i = 0; i < kFrames; ++i) {
    frame_at(i)[0] = i + 1 < kFrames ? reinterpret_cast<uintptr_t>(frame_at(i + 1)) : 0;
    frame_at(i)[1] = kCodeBegin + 0x10 * (i + 1);
  }
  uint64_t frames[kFrames];
  bool truncated = false;
  ASSERT_EQ(AppendGoFrames(reinterpret_cast<uintptr_t>(frame_at(0)), frames, 0, kFrames,
                           &truncated),
            kFrames);
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(frames[i], kCodeBegin + 0x10 * (i + 1) - 1);
  EXPECT_FALSE(truncated);
}

TEST(GoStackProgramTest, ATestBinaryIsNoGoProgram) {
  EXPECT_FALSE(MainProgramIsGo());
  InitGoStacks();  // finds nothing to look up
  EXPECT_FALSE(InAsmCgoCall(reinterpret_cast<uintptr_t>(&MainProgramIsGo)));
}

}  // namespace
}  // namespace leaktrack
