// Tests of the shim's own file descriptors (own_fd.h): they must not take the low numbers a
// program is about to reuse.
#include "own_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Closes `fd` for the test's lifetime, as a program does around running a child.
class ClosedFd {
 public:
  explicit ClosedFd(int fd) : fd_(fd), saved_(fcntl(fd, F_DUPFD_CLOEXEC, 10)) { close(fd_); }
  ~ClosedFd() {
    dup2(saved_, fd_);
    close(saved_);
  }
  ClosedFd(const ClosedFd&) = delete;
  ClosedFd& operator=(const ClosedFd&) = delete;

 private:
  int fd_;
  int saved_;
};

// Lowers the soft RLIMIT_NOFILE for the test's lifetime; ok() says whether it took.
class ScopedFdLimit {
 public:
  explicit ScopedFdLimit(rlim_t soft) {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0) return;
    struct rlimit lowered = saved_;
    lowered.rlim_cur = soft;
    ok_ = setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~ScopedFdLimit() {
    if (ok_) setrlimit(RLIMIT_NOFILE, &saved_);
  }
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;
  bool ok() const { return ok_; }

 private:
  struct rlimit saved_ {};
  bool ok_ = false;
};

TEST(OwnFdTest, OpenLeavesTheLowestFreeNumberToTheProgram) {
  ClosedFd closed(0);
  const int fd = OpenOwnFd("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_GT(fd, 2);
  EXPECT_FALSE(IsOpen(0)) << "our descriptor sat on the number the program closed";
  EXPECT_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  close(fd);
}

TEST(OwnFdTest, MovesBelowTheDescriptorLimit) {
  struct rlimit limit;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const int fd = OpenOwnFd("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 0);
  const rlim_t top = limit.rlim_cur > 65536 ? 65536 : limit.rlim_cur;
  EXPECT_LT(static_cast<rlim_t>(fd), top);
  EXPECT_GE(static_cast<rlim_t>(fd), top - 64);
  close(fd);
}

TEST(OwnFdTest, FailedOpenKeepsErrno) {
  errno = 0;
  EXPECT_EQ(OpenOwnFd("/nonexistent/leaktrack-own-fd", O_RDONLY), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST(OwnFdTest, MoveKeepsErrnoOfTheCaller) {
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  errno = EINTR;
  const int high = MoveFdHigh(fd);
  EXPECT_EQ(errno, EINTR);
  EXPECT_NE(high, fd);
  EXPECT_FALSE(IsOpen(fd));
  close(high);
}

// With a limit too low to have a "high" region the descriptor stays where open() put it: still
// usable, never lost.
TEST(OwnFdTest, LowLimitLeavesDescriptorInPlace) {
  int fd, moved;
  {
    ScopedFdLimit limit(32);
    ASSERT_TRUE(limit.ok());
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    moved = MoveFdHigh(fd);
  }
  ASSERT_GE(fd, 0);
  EXPECT_EQ(moved, fd);
  EXPECT_TRUE(IsOpen(fd));
  close(fd);
}

// When the top 64 numbers are all taken the search gives up and keeps the original.
TEST(OwnFdTest, FullTopRegionLeavesDescriptorInPlace) {
  int fd, moved;
  {
    ScopedFdLimit limit(128);
    ASSERT_TRUE(limit.ok());
    int fillers[64];
    int filled = 0;
    for (int n = 64; n < 128; ++n) {
      if (IsOpen(n)) continue;
      fillers[filled++] = dup2(2, n);
    }
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    moved = MoveFdHigh(fd);
    for (int i = 0; i < filled; ++i) close(fillers[i]);
  }
  ASSERT_GE(fd, 0);
  ASSERT_LT(fd, 64) << "the test process already holds too many descriptors";
  EXPECT_EQ(moved, fd);
  EXPECT_TRUE(IsOpen(fd));
  close(fd);
}

}  // namespace
}  // namespace leaktrack
