// Tests of dump_retention.h: a process keeps its first dump and its newest keep - 1.
#include "dump_retention.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "dump_file.h"

namespace leaktrack {
namespace {

class DumpRetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/leaktrack_dump_retention_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ResetDumpRetentionAfterFork();  // each test starts as a fresh process would
  }
  void TearDown() override { (void)!system(("rm -rf '" + dir_ + "'").c_str()); }
  // The name of this process's dump `seq`, as the shim gives it.
  std::string PathOf(unsigned long seq) {
    char path[640];
    FormatDumpPath(path, sizeof(path), dir_.c_str(), static_cast<unsigned long>(getpid()), seq);
    return path;
  }
  // Writes dump `seq` and tells retention about it; false when the file could not be made
  // (no gtest assertion: a fork child calls it too).
  bool Write(unsigned long seq, uint32_t keep) {
    const int fd = open(PathOf(seq).c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
    if (fd >= 0) close(fd);
    NoteDumpWritten(dir_.c_str(), seq, keep);
    return fd >= 0;
  }
  // The sequence numbers of this process's dumps in the directory.
  std::set<unsigned long> Present(unsigned long up_to) {
    std::set<unsigned long> present;
    for (unsigned long seq = 0; seq <= up_to; ++seq)
      if (access(PathOf(seq).c_str(), F_OK) == 0) present.insert(seq);
    return present;
  }
  std::string dir_;
};

TEST_F(DumpRetentionTest, KeepsTheFirstAndTheNewest) {
  for (unsigned long seq = 0; seq < 10; ++seq) ASSERT_TRUE(Write(seq, 4));
  EXPECT_EQ(Present(20), (std::set<unsigned long>{0, 7, 8, 9}));
}

TEST_F(DumpRetentionTest, ZeroKeepsEverything) {
  for (unsigned long seq = 0; seq < 10; ++seq) ASSERT_TRUE(Write(seq, 0));
  EXPECT_EQ(Present(20).size(), 10u);
}

TEST_F(DumpRetentionTest, GapsInTheNumberingAndFilesMovedAwayAreFine) {
  // Numbers skipped over (a name taken by another run) and a dump the CLI moved away.
  ASSERT_TRUE(Write(0, 3));
  ASSERT_TRUE(Write(2, 3));
  ASSERT_TRUE(Write(5, 3));
  ASSERT_EQ(unlink(PathOf(5).c_str()), 0);
  ASSERT_TRUE(Write(6, 3));  // removes 2
  ASSERT_TRUE(Write(9, 3));  // removes 5, which is gone already
  EXPECT_EQ(Present(20), (std::set<unsigned long>{0, 6, 9}));
}

TEST_F(DumpRetentionTest, AForkChildKeepsItsOwnAndLeavesTheParentsAlone) {
  for (unsigned long seq = 0; seq < 3; ++seq) ASSERT_TRUE(Write(seq, 2));  // parent: 0 and 2
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ResetDumpRetentionAfterFork();  // what dump_trigger's fork handler does
    bool ok = true;
    for (unsigned long seq = 3; seq < 6 && ok; ++seq) ok = Write(seq, 2);
    // The child's own: its first (3) and newest (5); 4 removed.
    _exit(ok && Present(10) == std::set<unsigned long>{3, 5} ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(Present(10), (std::set<unsigned long>{0, 2}));  // the parent's, untouched
}

}  // namespace
}  // namespace leaktrack
