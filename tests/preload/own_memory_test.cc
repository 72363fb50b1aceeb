// Tests of own_memory.h: the dump reports how much of our reserved memory the program pays
// for, so only pages written by this process may count.
#include "own_memory.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "internal_alloc.h"

namespace leaktrack {
namespace {

class PagemapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
      GTEST_SKIP() << "no /proc/self/pagemap here (the dump then reports no resident figure)";
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
  }
  size_t Resident(const void* start, size_t size) {
    size_t bytes = 0;
    EXPECT_TRUE(AddPrivateResidentBytes(fd_, start, size, &bytes));
    return bytes;
  }
  int fd_ = -1;
  const size_t page_ = static_cast<size_t>(getpagesize());
};

TEST_F(PagemapTest, CountsWrittenPagesButNotTheZeroPageThatReadsMap) {
  // More pages than one pread asks about (128), so the chunking is covered.
  const size_t pages = 600;
  char* m = static_cast<char*>(MapMemory(pages * page_));
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(Resident(m, pages * page_), 0u);  // reserved, untouched
  for (size_t i : {0, 1, 127, 128, 599}) m[i * page_ + 7] = 1;
  // Reads of untouched pages map the shared zero page: present, but not ours (mincore would
  // count these).
  for (size_t i = 200; i < 300; ++i) static_cast<void>(*static_cast<volatile char*>(m + i * page_));
  EXPECT_EQ(Resident(m, pages * page_), 5 * page_);
  // A range that starts inside a page counts that whole page, and stops where asked.
  EXPECT_EQ(Resident(m + page_ + 100, 126 * page_), 2 * page_);  // pages 1..127: 1 and 127
  UnmapMemory(m, pages * page_);
}

TEST_F(PagemapTest, PagesStillSharedWithAForkCountForNeither) {
  char* m = static_cast<char*>(MapMemory(4 * page_));
  ASSERT_NE(m, nullptr);
  m[0] = 1;
  m[page_] = 1;
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    size_t shared = 0, after_write = 0;
    bool ok = AddPrivateResidentBytes(fd_, m, 4 * page_, &shared);
    m[page_] = 2;  // copy-on-write: this page is now the child's own
    ok = ok && AddPrivateResidentBytes(fd_, m, 4 * page_, &after_write);
    _exit(ok && shared == 0 && after_write == page_ ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the child saw shared pages as its own, or missed the one it wrote";
  EXPECT_EQ(Resident(m, 4 * page_), 2 * page_);  // the child is gone: both pages are ours again
  UnmapMemory(m, 4 * page_);
}

TEST_F(PagemapTest, NothingAndUnreadableRangesAreTold) {
  size_t bytes = 0;
  EXPECT_TRUE(AddPrivateResidentBytes(fd_, nullptr, 4096, &bytes));
  EXPECT_EQ(bytes, 0u);
  EXPECT_FALSE(AddPrivateResidentBytes(-1, &bytes, sizeof(bytes), &bytes));
}

}  // namespace
}  // namespace leaktrack
