// Tests of LEAKTRACK_FOLLOW_EXEC=0 (follow_exec.h): the list surgery on its own, then the edit of
// this process's environment, with the test executable standing in for the shim (dladdr of
// StopFollowingExec names it).
#include "follow_exec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

bool IsS(const char* entry, void*) { return strcmp(entry, "S") == 0; }

std::string Strip(const char* list, int* removed) {
  char out[256];
  *removed = StripPreloadList(list, &IsS, nullptr, out, sizeof out);
  return *removed < 0 ? "<too small>" : out;
}

TEST(FollowExecTest, RemovesOnlyOurEntriesAndKeepsTheSeparators) {
  int removed;
  EXPECT_EQ(Strip("S", &removed), "");
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(Strip("/a/libmark.so S", &removed), "/a/libmark.so");
  EXPECT_EQ(Strip("S:/a/libmark.so", &removed), "/a/libmark.so");
  EXPECT_EQ(Strip("a:S b", &removed), "a b");
  EXPECT_EQ(Strip("a::S::b", &removed), "a::b");
  EXPECT_EQ(Strip("S:a:S:b:S", &removed), "a:b");
  EXPECT_EQ(removed, 3);
  EXPECT_EQ(Strip("a b", &removed), "a b");
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(Strip(":a SS b: ", &removed), ":a SS b: ");  // only whole entries match
  EXPECT_EQ(removed, 0);
  EXPECT_EQ(Strip("", &removed), "");
}

TEST(FollowExecTest, ReportsATooSmallBuffer) {
  char out[4];
  EXPECT_EQ(StripPreloadList("abcdef:S", &IsS, nullptr, out, sizeof out), -1);
  EXPECT_EQ(StripPreloadList("S:abc", &IsS, nullptr, out, sizeof out), 1);
  EXPECT_STREQ(out, "abc");
}

TEST(FollowExecTest, TokenEntriesMatchByPrefixAndFileName) {
  const char* path = "/usr/lib/x86_64-linux-gnu/libleaktrack.so";
  EXPECT_TRUE(TokenEntryMatchesPath("/usr/$LIB/libleaktrack.so", path));
  EXPECT_TRUE(TokenEntryMatchesPath("/usr/${LIB}/libleaktrack.so", path));
  EXPECT_TRUE(TokenEntryMatchesPath("$ORIGIN/../lib/x86_64-linux-gnu/libleaktrack.so", path));
  EXPECT_FALSE(TokenEntryMatchesPath("/opt/$LIB/libleaktrack.so", path));   // other prefix
  EXPECT_FALSE(TokenEntryMatchesPath("/usr/$LIB/libmark.so", path));        // other file
  EXPECT_FALSE(TokenEntryMatchesPath("/usr/$LIB/libleaktrack.so.1", path));
  EXPECT_FALSE(TokenEntryMatchesPath("/usr/lib/$PLATFORM", path));           // token as name
  EXPECT_FALSE(TokenEntryMatchesPath("/usr/lib/x86_64-linux-gnu/libleaktrack.so", path));
  EXPECT_FALSE(TokenEntryMatchesPath("$LIB", path));                        // no file name
}

std::string SelfPath() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST(FollowExecTest, EditsTheEnvironmentInPlaceOfTheOldString) {
  const std::string self = SelfPath();
  ASSERT_FALSE(self.empty());
  const std::string base = self.substr(self.rfind('/') + 1);
  // Ours by path, by another path to the same file ("dir/./name") and by bare name.
  const std::string dir = self.substr(0, self.rfind('/'));
  const std::string list = "/nonexistent/libmark.so:" + self + " " + dir + "/./" + base +
                           " libother.so " + base;
  ASSERT_EQ(setenv("LD_PRELOAD", list.c_str(), 1), 0);
  const char* before = getenv("LD_PRELOAD");
  const std::string before_copy = before;
  StopFollowingExec();
  ASSERT_NE(getenv("LD_PRELOAD"), nullptr);
  EXPECT_STREQ(getenv("LD_PRELOAD"), "/nonexistent/libmark.so libother.so");
  EXPECT_EQ(before_copy, before);  // the program's own string is never written to
  StopFollowingExec();  // nothing of ours left: unchanged
  EXPECT_STREQ(getenv("LD_PRELOAD"), "/nonexistent/libmark.so libother.so");

  ASSERT_EQ(setenv("LD_PRELOAD", (self + ":").c_str(), 1), 0);
  StopFollowingExec();
  EXPECT_EQ(getenv("LD_PRELOAD"), nullptr);  // only we were there: unset, as without us
  unsetenv("LD_PRELOAD");
}

}  // namespace
}  // namespace leaktrack
