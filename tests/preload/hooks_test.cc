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

}  // namespace
}  // namespace leaktrack
