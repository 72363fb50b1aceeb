// Tests of atomic, never-overwriting dump files (dump_file.h).
#include "dump_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "fault_injection.h"

namespace leaktrack {
namespace {

class DumpFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/leaktrack_dump_file_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)!system(("rm -rf '" + dir_ + "'").c_str()); }
  int CountFiles() {
    std::string cmd = "ls -A '" + dir_ + "' | wc -l";
    FILE* f = popen(cmd.c_str(), "r");
    int n = -1;
    if (f != nullptr && fscanf(f, "%d", &n) != 1) n = -1;
    if (f != nullptr) pclose(f);
    return n;
  }
  // r wrote `size` bytes to a private file, and it is the only file in the directory (no
  // temporary left behind).
  void ExpectOnlyFile(const DumpFileResult& r, off_t size) {
    ASSERT_TRUE(r.ok) << r.step << " " << r.error;
    struct stat st;
    ASSERT_EQ(stat(r.path, &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, size);
    EXPECT_EQ(CountFiles(), 1);
  }
  void ExpectMissingDirectoryFailsAtOpen() {
    const std::string missing = dir_ + "/does/not/exist";
    const DumpFileResult r = WriteDumpFile(missing.c_str(), "x", 1);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, ENOENT);
    EXPECT_STREQ(r.step, "open");
  }
  std::string dir_;
};

TEST_F(DumpFileTest, WritesPrivateFileWithPidAndSequence) {
  const DumpFileResult r = WriteDumpFile(dir_.c_str(), "hello", 5);
  ExpectOnlyFile(r, 5);
  const std::string prefix = dir_ + "/leaktrack." + std::to_string(getpid()) + ".";
  EXPECT_EQ(std::string(r.path).rfind(prefix, 0), 0u) << r.path;
  const DumpFileResult r2 = WriteDumpFile(dir_.c_str(), "again", 5);
  ASSERT_TRUE(r2.ok);
  EXPECT_STRNE(r.path, r2.path);
}

TEST_F(DumpFileTest, AFailedDumpGivesItsNumberBack) {
  // A service whose working directory refuses the dump writes it to /tmp instead (dump_trigger):
  // that dump must be numbered as the first, not as the second.
  const DumpFileResult before = WriteDumpFile(dir_.c_str(), "x", 1);
  ASSERT_TRUE(before.ok);
  const std::string missing = dir_ + "/does/not/exist";
  const DumpFileResult failed = WriteDumpFile(missing.c_str(), "x", 1);
  ASSERT_FALSE(failed.ok);
  EXPECT_EQ(failed.seq, before.seq + 1);
  const DumpFileResult after = WriteDumpFile(dir_.c_str(), "x", 1);
  ASSERT_TRUE(after.ok);
  EXPECT_EQ(after.seq, before.seq + 1);
  char expected[640];
  FormatDumpPath(expected, sizeof(expected), dir_.c_str(), static_cast<unsigned long>(getpid()),
                 after.seq);
  EXPECT_STREQ(after.path, expected);
}

TEST_F(DumpFileTest, NeverOverwritesOrFollowsAnExistingName) {
  // Occupy the next few names with a file and a symlink: the dump must skip past them.
  const DumpFileResult probe = WriteDumpFile(dir_.c_str(), "x", 1);
  ASSERT_TRUE(probe.ok);
  std::string p(probe.path);
  const size_t dot = p.rfind(".pb.gz");
  const size_t seq_start = p.rfind('.', dot - 1) + 1;
  const long seq = strtol(p.c_str() + seq_start, nullptr, 10);
  const std::string next1 = p.substr(0, seq_start) + std::to_string(seq + 1) + ".pb.gz";
  const std::string next2 = p.substr(0, seq_start) + std::to_string(seq + 2) + ".pb.gz";
  const std::string victim = dir_ + "/victim";
  int fd = open(next1.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "keep", 4), 4);
  close(fd);
  ASSERT_EQ(symlink(victim.c_str(), next2.c_str()), 0);
  const DumpFileResult r = WriteDumpFile(dir_.c_str(), "data", 4);
  ASSERT_TRUE(r.ok);
  EXPECT_NE(std::string(r.path), next1);
  EXPECT_NE(std::string(r.path), next2);
  struct stat st;
  ASSERT_EQ(stat(next1.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4);                       // untouched
  EXPECT_NE(access(victim.c_str(), F_OK), 0);     // the symlink was not followed
}

TEST_F(DumpFileTest, MissingDirectoryFailsCleanly) { ExpectMissingDirectoryFailsAtOpen(); }

TEST_F(DumpFileTest, FileSizeLimitIsCheckedBeforeWriting) {
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 16;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  char big[64] = {};
  const DumpFileResult r = WriteDumpFile(dir_.c_str(), big, sizeof(big));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);  // restore before asserting
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, EFBIG);
  EXPECT_EQ(CountFiles(), 0);
}

#ifdef LEAKTRACK_FAULT_INJECTION
// Runs each test of the fixture below twice: with O_TMPFILE (the normal path) and with the
// named temporary that file systems without it get (LEAKTRACK_TEST_NO_TMPFILE).
class DumpFileBothPathsTest : public DumpFileTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    DumpFileTest::SetUp();
    SetNoTmpfile(GetParam());
  }
  void TearDown() override {
    SetNoTmpfile(false);
    DumpFileTest::TearDown();
  }
  static void SetNoTmpfile(bool on) {
    setenv("LEAKTRACK_TEST_NO_TMPFILE", on ? "1" : "0", 1);
    LoadFaultInjectionFromEnv();
    unsetenv("LEAKTRACK_TEST_NO_TMPFILE");
  }
};

TEST_P(DumpFileBothPathsTest, WritesWholeFileAndNothingElse) {
  ExpectOnlyFile(WriteDumpFile(dir_.c_str(), "hello", 5), 5);
}

TEST_P(DumpFileBothPathsTest, FailedWriteLeavesNoFile) {
  setenv("LEAKTRACK_TEST_FAIL_WRITE", "1", 1);
  LoadFaultInjectionFromEnv();
  const DumpFileResult r = WriteDumpFile(dir_.c_str(), "data", 4);
  unsetenv("LEAKTRACK_TEST_FAIL_WRITE");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, EIO);
  EXPECT_STREQ(r.step, "write");
  EXPECT_EQ(CountFiles(), 0);
  EXPECT_TRUE(WriteDumpFile(dir_.c_str(), "data", 4).ok);  // only the first write failed
}

TEST_P(DumpFileBothPathsTest, MissingDirectoryFailsAtOpen) { ExpectMissingDirectoryFailsAtOpen(); }

INSTANTIATE_TEST_SUITE_P(Paths, DumpFileBothPathsTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "NamedTemporary" : "Tmpfile";
                         });

// A process killed while its dump file is open leaves nothing in the directory: the file had
// no name yet. (With a named temporary, .leaktrack.<pid>.<seq>.tmp stayed behind: the A3
// torture case saw it when exit() came during an interval dump.)
TEST_F(DumpFileTest, DeathMidDumpLeavesNothing) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv("LEAKTRACK_TEST_STALL_OWN_FD", "5000", 1);  // parks the dump with its file open
    LoadFaultInjectionFromEnv();
    WriteDumpFile(dir_.c_str(), "data", 4);
    _exit(0);
  }
  // Long enough for the child to reach the open file; the stall is far longer.
  struct timespec wait = {0, 300 * 1000 * 1000};
  nanosleep(&wait, nullptr);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished its dump before it was killed";
  EXPECT_EQ(CountFiles(), 0);
}
#endif

}  // namespace
}  // namespace leaktrack
