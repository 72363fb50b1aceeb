// Tests of the hook logic (hooks.h) against the real glibc allocator, without LD_PRELOAD:
// results and errno must be exactly glibc's (TORTURE.md E1 appendix), and accounting exact at
// rate 1.
#include "hooks.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include "profiler.h"
#include "real_alloc.h"

namespace leaktrack {
namespace {

class HooksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Config config;
    config.rate = 1;
    config.max_live = 1 << 14;
    config.max_stacks = 1 << 10;
    ASSERT_TRUE(EnsureRealResolved());
    ASSERT_TRUE(InitProfilerForTesting(config));
  }
  static uint64_t Live() { return g_profiler.live.CountForTesting(); }
};

TEST_F(HooksTest, MallocAndFreeAreTrackedExactly) {
  const uint64_t before = Live();
  void* p = HookMalloc(64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Live(), before + 1);
  errno = 1234;
  HookFree(p);
  EXPECT_EQ(errno, 1234);  // free must not change errno
  EXPECT_EQ(Live(), before);
  HookFree(nullptr);
}

TEST_F(HooksTest, CallocOverflowFailsWithEnomem) {
  errno = 0;
  EXPECT_EQ(HookCalloc(SIZE_MAX / 2 + 2, 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* z = HookCalloc(0, 0);
  EXPECT_NE(z, nullptr);
  HookFree(z);
}

TEST_F(HooksTest, ReallocSemanticsAndAccounting) {
  const uint64_t before = Live();
  void* p = HookMalloc(10);
  ASSERT_NE(p, nullptr);
  errno = 0;
  EXPECT_EQ(HookRealloc(p, SIZE_MAX), nullptr);  // fails, p stays valid and tracked
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_EQ(Live(), before + 1);
  void* q = HookRealloc(p, 1000);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Live(), before + 1);
  errno = 77;
  EXPECT_EQ(HookRealloc(q, 0), nullptr);  // glibc: frees and returns NULL, errno unchanged
  EXPECT_EQ(errno, 77);
  EXPECT_EQ(Live(), before);
  void* r = HookRealloc(nullptr, 5);  // realloc(NULL) is malloc
  ASSERT_NE(r, nullptr);
  HookFree(r);
  EXPECT_EQ(Live(), before);
}

TEST_F(HooksTest, ReallocarrayChecksOverflow) {
  errno = 0;
  EXPECT_EQ(HookReallocarray(nullptr, SIZE_MAX / 2 + 2, 2), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* p = HookReallocarray(nullptr, 10, 10);
  ASSERT_NE(p, nullptr);
  HookFree(p);
}

TEST_F(HooksTest, AlignedEntryPointsKeepGlibcResults) {
  void* m = reinterpret_cast<void*>(0x1);
  EXPECT_EQ(HookPosixMemalign(&m, 3, 10), EINVAL);
  EXPECT_EQ(m, reinterpret_cast<void*>(0x1));  // untouched on failure
  EXPECT_EQ(HookPosixMemalign(&m, 64, SIZE_MAX), ENOMEM);
  ASSERT_EQ(HookPosixMemalign(&m, 64, 10), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m) % 64, 0u);
  HookFree(m);
  void* a = HookAlignedAlloc(4096, 8192);  // a multiple of the alignment: valid for every allocator
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 4096, 0u);
  HookFree(a);
  void* v = HookValloc(0);
  EXPECT_NE(v, nullptr);
  HookFree(v);
  errno = 0;
  EXPECT_EQ(HookPvalloc(SIZE_MAX), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  // A non-power-of-two alignment: glibc accepts it, ASan and jemalloc refuse. The oracle is
  // the allocator underneath, called directly (TORTURE.md E1).
  void* g = HookMemalign(24, 10);
  void* ref = g_real.memalign(24, 10);
  EXPECT_EQ(g == nullptr, ref == nullptr);
  HookFree(g);
  g_real.free(ref);
  EXPECT_EQ(HookMallocUsableSize(nullptr), 0u);
}

TEST_F(HooksTest, BootstrapPoolBlocksAreNeverPassedToTheRealFree) {
  void* p = BootstrapAlloc(100, 16);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(InBootstrapPool(p));
  EXPECT_EQ(HookMallocUsableSize(p), 100u);
  memset(p, 0xab, 100);
  void* q = HookRealloc(p, 200);  // moves out of the pool
  ASSERT_NE(q, nullptr);
  EXPECT_FALSE(InBootstrapPool(q));
  EXPECT_EQ(static_cast<unsigned char*>(q)[99], 0xab);
  HookFree(q);
  HookFree(p);  // ignored; MALLOC_CHECK_ would abort if it reached glibc
}

// The sampling countdown (hooks.h CountDown). At rate 1 the slow path samples every call it
// sees, so "sampled" below means "went to the slow path". Each test leaves the countdown at 0,
// where rate 1 keeps it.
class CountdownTest : public HooksTest {
 protected:
  void TearDown() override { tls_state.bytes_until_sample = 0; }
};

TEST_F(CountdownTest, RunsOutAtTheSizeAndForImpossibleSizes) {
  int64_t c = 1000;
  EXPECT_TRUE(CountDown(&c, 100));
  EXPECT_EQ(c, 900);
  EXPECT_TRUE(CountDown(&c, 899));
  EXPECT_EQ(c, 1);
  c = 100;
  EXPECT_FALSE(CountDown(&c, 100));  // the allocation covers the sample point
  c = 0;
  EXPECT_FALSE(CountDown(&c, 0));  // never started
  c = 0;
  EXPECT_FALSE(CountDown(&c, 1));
  for (const size_t huge : {SIZE_MAX, size_t{3} << 62, size_t{1} << 63, (size_t{1} << 63) + 1}) {
    c = 1000;
    EXPECT_FALSE(CountDown(&c, huge)) << huge;
  }
  c = int64_t{1} << 62;  // the largest gap the sampler draws is below this
  EXPECT_TRUE(CountDown(&c, 1));
}

TEST_F(CountdownTest, ANegativeCountdownRunsOut) {
  // What a signal handler that longjmps out of the slow path's first instructions leaves:
  // old - size, old below 2^62 and size one that ran it out.
  for (const int64_t left_behind : {int64_t{-5}, -(int64_t{1} << 40), -(int64_t{1} << 62)}) {
    int64_t c = left_behind;
    EXPECT_FALSE(CountDown(&c, 10)) << left_behind;
  }
}

TEST_F(CountdownTest, UnsampledMallocChargesTheCountdownExactly) {
  const uint64_t before = Live();
  tls_state.bytes_until_sample = int64_t{1} << 40;
  void* p = HookMalloc(64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(tls_state.bytes_until_sample, (int64_t{1} << 40) - 64);
  EXPECT_EQ(Live(), before);
  HookFree(p);
}

TEST_F(CountdownTest, MallocHealsANegativeCountdown) {
  const uint64_t before = Live();
  tls_state.bytes_until_sample = -5;
  void* p = HookMalloc(16);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Live(), before + 1);             // took the slow path
  EXPECT_EQ(tls_state.bytes_until_sample, 0);  // and reset the countdown
  HookFree(p);
}

TEST_F(CountdownTest, AnImpossibleSizeDoesNotStopSampling) {
  // Once, a failed memalign of 3 * 2^62 bytes turned a countdown of 1000 into 2^62 + 1000: the
  // thread would never have been sampled again.
  tls_state.bytes_until_sample = 1000;
  EXPECT_EQ(HookMemalign(64, size_t{3} << 62), nullptr);
  EXPECT_GE(tls_state.bytes_until_sample, 0);
  EXPECT_LE(tls_state.bytes_until_sample, 1000);
  tls_state.bytes_until_sample = 1000;
  errno = 0;
  EXPECT_EQ(HookMalloc(size_t{3} << 62), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_GE(tls_state.bytes_until_sample, 0);
  EXPECT_LE(tls_state.bytes_until_sample, 1000);
}

}  // namespace
}  // namespace leaktrack
