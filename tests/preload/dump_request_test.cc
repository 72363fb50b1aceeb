// Tests of dump_request.h: which request files ask a process for a dump, and that each asks once.
#include "dump_request.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

struct stat StatOf(mode_t type, uid_t uid) {
  struct stat st = {};
  st.st_mode = type | 0600;
  st.st_uid = uid;
  return st;
}

TEST(RequestFileAcceptedTest, OnlyARegularFileOfTheProcesssUserOrRoot) {
  const uid_t service = 1000;
  EXPECT_TRUE(RequestFileAccepted(StatOf(S_IFREG, service), service));
  EXPECT_TRUE(RequestFileAccepted(StatOf(S_IFREG, 0), service));  // root may ask any process
  // Another user, who could create it in a shared /tmp but may not signal the process.
  EXPECT_FALSE(RequestFileAccepted(StatOf(S_IFREG, 1001), service));
  EXPECT_FALSE(RequestFileAccepted(StatOf(S_IFLNK, service), service));
  EXPECT_FALSE(RequestFileAccepted(StatOf(S_IFDIR, service), service));
  EXPECT_FALSE(RequestFileAccepted(StatOf(S_IFIFO, service), service));
}

class DumpRequestWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (std::string* dir : {&dir_, &fallback_}) {
      char tmpl[] = "/tmp/leaktrack_dump_request_test.XXXXXX";
      ASSERT_NE(mkdtemp(tmpl), nullptr);
      *dir = tmpl;
    }
  }
  void TearDown() override {
    (void)!system(("rm -rf '" + dir_ + "' '" + fallback_ + "'").c_str());
  }
  // The request file of process `pid` in `dir`, as `leaktrack dump` names it.
  static std::string RequestIn(const std::string& dir, pid_t pid = getpid()) {
    return dir + "/leaktrack." + std::to_string(pid) + ".request";
  }
  static bool Create(const std::string& path) {
    const int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0600);
    if (fd >= 0) close(fd);
    return fd >= 0;
  }
  static bool Exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }
  std::string dir_, fallback_;
};

TEST_F(DumpRequestWatchTest, AFileAsksOnceAndIsRemoved) {
  DumpRequestWatch watch;
  EXPECT_FALSE(watch.Asked(dir_.c_str(), fallback_.c_str()));
  ASSERT_TRUE(Create(RequestIn(dir_)));
  EXPECT_TRUE(watch.Asked(dir_.c_str(), fallback_.c_str()));
  EXPECT_FALSE(Exists(RequestIn(dir_)));
  EXPECT_FALSE(watch.Asked(dir_.c_str(), fallback_.c_str()));
  // The next dump's request is a new file, which asks again.
  ASSERT_TRUE(Create(RequestIn(dir_)));
  EXPECT_TRUE(watch.Asked(dir_.c_str(), fallback_.c_str()));
}

TEST_F(DumpRequestWatchTest, OnlyThisProcesssNameCounts) {
  DumpRequestWatch watch;
  ASSERT_TRUE(Create(RequestIn(dir_, getpid() + 1)));
  ASSERT_EQ(symlink(RequestIn(fallback_).c_str(), RequestIn(dir_).c_str()), 0);
  ASSERT_TRUE(Create(RequestIn(fallback_)));  // the symlink's target: a file that would count
  EXPECT_FALSE(watch.Asked(dir_.c_str(), ""));
  EXPECT_TRUE(Exists(RequestIn(dir_, getpid() + 1)));
}

// The working directory ("") and then the fallback, where dumps go when it refuses them; a
// configured directory has no fallback.
TEST_F(DumpRequestWatchTest, TheWorkingDirectoryAndItsFallback) {
  char cwd[4096];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir(dir_.c_str()), 0);
  DumpRequestWatch watch;
  ASSERT_TRUE(Create(RequestIn(dir_)));
  const bool in_working_directory = watch.Asked("", fallback_.c_str());
  ASSERT_TRUE(Create(RequestIn(fallback_)));
  const bool in_fallback = watch.Asked("", fallback_.c_str());
  ASSERT_EQ(chdir(cwd), 0);
  EXPECT_TRUE(in_working_directory);
  EXPECT_TRUE(in_fallback);
  ASSERT_TRUE(Create(RequestIn(fallback_)));
  EXPECT_FALSE(watch.Asked(dir_.c_str(), fallback_.c_str()));
}

// A service user may not remove root's request file from a sticky directory such as /tmp: the
// file then stays, and must ask once, not at every nap; touched again, it asks again.
TEST_F(DumpRequestWatchTest, AFileThatCannotBeRemovedAsksOnce) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root, to leave a file that a process of another user cannot remove";
  ASSERT_EQ(chmod(dir_.c_str(), 01777), 0);
  int go[2], done[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(done), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit codes say which step failed.
    close(go[1]);
    close(done[0]);
    char byte;
    if (setresuid(65534, 65534, 65534) != 0) _exit(10);
    DumpRequestWatch watch;
    if (read(go[0], &byte, 1) != 1) _exit(11);
    if (!watch.Asked(dir_.c_str(), "")) _exit(12);                  // root's file asks
    if (!Exists(RequestIn(dir_, getpid()))) _exit(13);             // and could not be removed
    if (watch.Asked(dir_.c_str(), "")) _exit(14);                   // once
    if (write(done[1], "s", 1) != 1 || read(go[0], &byte, 1) != 1) _exit(15);
    _exit(watch.Asked(dir_.c_str(), "") ? 0 : 16);                  // touched: again
  }
  close(go[0]);  // so that a read of ours ends when the child has exited early
  close(done[1]);
  // No ASSERT until the child is reaped: it would return with the child blocked in its read.
  const std::string request = RequestIn(dir_, child);
  const bool created = Create(request);
  EXPECT_TRUE(created);
  char byte;
  if (created && write(go[1], "g", 1) == 1 && read(done[0], &byte, 1) == 1) {
    // A change of the file's status (its change time, at the kernel clock's tick) marks it
    // new.
    usleep(30 * 1000);
    EXPECT_EQ(chmod(request.c_str(), 0640), 0);
    EXPECT_EQ(write(go[1], "g", 1), 1);
  }
  close(go[1]);
  close(done[0]);
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's step that failed, see above";
}

}  // namespace
}  // namespace leaktrack
