// Tests of the LEAKTRACK_* value parsers (config.h).
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include <string>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

TEST(ConfigTest, ParsesSizesWithSuffixes) {
  uint64_t v = 7;
  EXPECT_TRUE(ParseSize("524288", 0, 1ull << 40, &v));
  EXPECT_EQ(v, 524288u);
  EXPECT_TRUE(ParseSize("512K", 0, 1ull << 40, &v));
  EXPECT_EQ(v, 524288u);
  EXPECT_TRUE(ParseSize("2m", 0, 1ull << 40, &v));
  EXPECT_EQ(v, 2u << 20);
  EXPECT_TRUE(ParseSize("1", 0, 10, &v));
  EXPECT_EQ(v, 1u);
}

TEST(ConfigTest, RejectsBadSizesAndKeepsOutput) {
  uint64_t v = 7;
  for (const char* bad : {"", "-1", "12x", "K", "1KK", " 5", "99999999999999999999999", "1.5"}) {
    EXPECT_FALSE(ParseSize(bad, 0, 1ull << 40, &v)) << bad;
  }
  EXPECT_FALSE(ParseSize(nullptr, 0, 10, &v));
  EXPECT_FALSE(ParseSize("11", 0, 10, &v));
  EXPECT_FALSE(ParseSize("17179869184G", 0, UINT64_MAX, &v));  // 2^34 * 2^30 overflows
  EXPECT_EQ(v, 7u);
}

TEST(ConfigTest, ParsesSignalsByNameNumberAndRealtime) {
  int s = -1;
  EXPECT_TRUE(ParseSignal("USR2", &s));
  EXPECT_EQ(s, SIGUSR2);
  EXPECT_TRUE(ParseSignal("SIGUSR1", &s));
  EXPECT_EQ(s, SIGUSR1);
  EXPECT_TRUE(ParseSignal("sigusr2", &s));
  EXPECT_EQ(s, SIGUSR2);
  EXPECT_TRUE(ParseSignal("12", &s));
  EXPECT_EQ(s, 12);
  EXPECT_TRUE(ParseSignal("0", &s));
  EXPECT_EQ(s, 0);
  EXPECT_TRUE(ParseSignal("RTMIN+3", &s));
  EXPECT_EQ(s, SIGRTMIN + 3);
  EXPECT_TRUE(ParseSignal("SIGRTMAX-1", &s));
  EXPECT_EQ(s, SIGRTMAX - 1);
}

TEST(ConfigTest, RejectsUnusableSignals) {
  int s = -1;
  for (const char* bad : {"KILL", "SIGSTOP", "SEGV", "9", "19", "11", "65", "USR3", "RTMIN+99",
                          "RTMIN-1", "", "SIG", "RTMIN+"}) {
    EXPECT_FALSE(ParseSignal(bad, &s)) << bad;
  }
  EXPECT_EQ(s, -1);
}

TEST(ConfigTest, ParsesSecondsWithFractions) {
  uint64_t ms = 1;
  EXPECT_TRUE(ParseSeconds("30", &ms));
  EXPECT_EQ(ms, 30000u);
  EXPECT_TRUE(ParseSeconds("0.1", &ms));
  EXPECT_EQ(ms, 100u);
  EXPECT_TRUE(ParseSeconds("1.25", &ms));
  EXPECT_EQ(ms, 1250u);
  EXPECT_FALSE(ParseSeconds("1.", &ms));
  EXPECT_FALSE(ParseSeconds("-1", &ms));
  EXPECT_FALSE(ParseSeconds("86401", &ms));
  EXPECT_FALSE(ParseSeconds("1s", &ms));
}

TEST(ConfigTest, ParsesBooleans) {
  bool b = false;
  EXPECT_TRUE(ParseBool("1", &b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(ParseBool("off", &b));
  EXPECT_FALSE(b);
  EXPECT_FALSE(ParseBool("2", &b));
}

TEST(ConfigTest, LoadFromEnvKeepsDefaultsOnBadValues) {
  setenv("LEAKTRACK_RATE", "bogus", 1);
  setenv("LEAKTRACK_DEPTH", "32", 1);
  setenv("LEAKTRACK_MAX_LIVE", "5000", 1);
  setenv("LEAKTRACK_FOLLOW_EXEC", "maybe", 1);
  Config c;
  LoadConfig(&c);
  EXPECT_TRUE(c.follow_exec);
  EXPECT_EQ(c.rate, 524288u);
  EXPECT_EQ(c.depth, 32);
  EXPECT_EQ(c.max_live, 8192u);  // rounded up to a power of two
  unsetenv("LEAKTRACK_RATE");
  unsetenv("LEAKTRACK_DEPTH");
  unsetenv("LEAKTRACK_MAX_LIVE");
  setenv("LEAKTRACK_FOLLOW_EXEC", "0", 1);
  Config d;
  LoadConfig(&d);
  EXPECT_FALSE(d.follow_exec);
  unsetenv("LEAKTRACK_FOLLOW_EXEC");
}

TEST(ConfigTest, KeepIsZeroOrTwoAndMore) {
  const char* const values[] = {"0", "2", "4096", "1", "4097", "many"};
  const uint32_t expected[] = {0, 2, 4096, 100, 100, 100};  // 1 would remove every new dump
  for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); ++i) {
    setenv("LEAKTRACK_KEEP", values[i], 1);
    Config c;
    LoadConfig(&c);
    EXPECT_EQ(c.keep, expected[i]) << values[i];
  }
  unsetenv("LEAKTRACK_KEEP");
}

// `leaktrack attach --rate ...` settings win over the environment's; what they do not name comes
// from the environment; a name is matched whole, not as a prefix.
TEST(ConfigTest, OverridesWinOverTheEnvironment) {
  setenv("LEAKTRACK_RATE", "4096", 1);
  setenv("LEAKTRACK_DEPTH", "32", 1);
  const char overrides[] = "LEAKTRACK_RATEX=7\0LEAKTRACK_RATE=1K\0LEAKTRACK_DIR=/srv/dumps\0";
  Config c;
  LoadConfig(&c, overrides);
  EXPECT_EQ(c.rate, 1024u);
  EXPECT_EQ(c.depth, 32);
  EXPECT_STREQ(c.dir, "/srv/dumps");
  // An empty list, and a bad value in the list: the environment's, then the default.
  Config d;
  LoadConfig(&d, "");
  EXPECT_EQ(d.rate, 4096u);
  Config e;
  LoadConfig(&e, "LEAKTRACK_DEPTH=999\0");
  EXPECT_EQ(e.depth, 64);
  unsetenv("LEAKTRACK_RATE");
  unsetenv("LEAKTRACK_DEPTH");
}

// Where dumps go when the working directory refuses them: an absolute $TMPDIR, else /tmp.
TEST(ConfigTest, FallbackDirIsAnAbsoluteTmpdirElseTmp) {
  const char* saved = getenv("TMPDIR");
  const std::string keep = saved ? saved : "";
  setenv("TMPDIR", "/var/tmp/svc", 1);
  Config c;
  LoadConfig(&c);
  EXPECT_STREQ(c.fallback_dir, "/var/tmp/svc");
  setenv("TMPDIR", "relative/tmp", 1);
  Config d;
  LoadConfig(&d);
  EXPECT_STREQ(d.fallback_dir, "/tmp");
  unsetenv("TMPDIR");
  Config e;
  LoadConfig(&e);
  EXPECT_STREQ(e.fallback_dir, "/tmp");
  EXPECT_STREQ(e.dir, "");
  if (saved) setenv("TMPDIR", keep.c_str(), 1);
}

}  // namespace
}  // namespace leaktrack
