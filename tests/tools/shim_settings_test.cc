// tools/shim_settings: the attach's settings, encoded for the shim and read back from a process.
#include "tools/shim_settings.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "preload/attach.h"
#include "symbolizer/gzip_io.h"

namespace leaktrack {
namespace {

TEST(ShimSettingsTest, EncodeDecodeRoundTrip) {
  const ShimSettings settings = {{"LEAKTRACK_DIR", "/srv/dumps"}, {"LEAKTRACK_RATE", "64K"}};
  const std::string block = EncodeSettings(settings);
  const char kExpected[] = "LEAKTRACK_DIR=/srv/dumps\0LEAKTRACK_RATE=64K\0";  // + its own NUL
  EXPECT_EQ(block, std::string(kExpected, sizeof(kExpected)));
  EXPECT_EQ(DecodeSettings(block), settings);
  EXPECT_EQ(EncodeSettings({}), std::string(1, '\0'));
}

// The options run and attach share, as the settings the shim reads; rates as LEAKTRACK_RATE
// takes them (K/M/G, at most 2^40).
TEST(ShimSettingsTest, ReadsTheSharedOptions) {
  const char* argv[] = {"leaktrack", "--rate", "64K", "--interval=0.5", "--at-exit",
                        "--keep", "10", "--signal", "RTMIN+3", "--dir", "/x"};
  const int argc = sizeof(argv) / sizeof(argv[0]);
  ArgReader args(argc, const_cast<char**>(argv), 1);
  ShimSettings settings;
  std::string error;
  while (ReadSettingOption(&args, &settings, &error)) ASSERT_EQ(error, "");
  EXPECT_STREQ(args.Peek(), "--dir");  // not one of them: left to the command
  const ShimSettings expected = {{"LEAKTRACK_RATE", "64K"}, {"LEAKTRACK_INTERVAL", "0.5"},
                                 {"LEAKTRACK_AT_EXIT", "1"}, {"LEAKTRACK_KEEP", "10"},
                                 {"LEAKTRACK_SIGNAL", "RTMIN+3"}};
  EXPECT_EQ(settings, expected);
  for (const char* bad : {"1x", "K", "-1", "1025G", "1099511627777"}) {
    const char* bad_argv[] = {"leaktrack", "--rate", bad};
    ArgReader bad_args(3, const_cast<char**>(bad_argv), 1);
    std::string why;
    EXPECT_TRUE(ReadSettingOption(&bad_args, &settings, &why));
    EXPECT_NE(why, "") << bad;
  }
  for (const char* bad : {"1", "4097", "-2", "ten"}) {  // the shim's range: 0, or 2..4096
    const char* bad_argv[] = {"leaktrack", "--keep", bad};
    ArgReader bad_args(3, const_cast<char**>(bad_argv), 1);
    std::string why;
    EXPECT_TRUE(ReadSettingOption(&bad_args, &settings, &why));
    EXPECT_NE(why, "") << bad;
  }
  const char* max_argv[] = {"leaktrack", "--rate", "1024G"};
  ArgReader max_args(3, const_cast<char**>(max_argv), 1);
  EXPECT_TRUE(ReadSettingOption(&max_args, &settings, &error));
  EXPECT_EQ(error, "");
}

TEST(ShimSettingsTest, DecodeKeepsOursAndTmpdirOnly) {
  const char kEnviron[] =
      "PATH=/bin\0LEAKTRACK_SIGNAL=USR1\0\0TMPDIR=/var/tmp\0TMPDIRX=1\0LEAKTRACK_BROKEN\0";
  const std::string environ(kEnviron, sizeof(kEnviron) - 1);
  const ShimSettings expected = {{"LEAKTRACK_SIGNAL", "USR1"}, {"TMPDIR", "/var/tmp"}};
  EXPECT_EQ(DecodeSettings(environ), expected);
}

// This very process, with the shim dlopened (inert: it loads that way for attach) and settings
// written where leaktrack_attach() keeps them: read back through /proc/self/maps, the shim's
// symbol table and /proc/self/mem, over the environment's.
TEST(ShimSettingsTest, ReadsTheAttachSettingsFromTheProcess) {
  const char* preload = getenv("LD_PRELOAD");
  ASSERT_TRUE(preload == nullptr || strstr(preload, "libleaktrack") == nullptr)
      << "run without the shim preloaded: the environment would then be all";
  void* shim = dlopen(LT_SHIM, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(shim, nullptr) << dlerror();
  char* block = static_cast<char*>(dlsym(shim, "leaktrack_settings"));
  ASSERT_NE(block, nullptr);
  const std::string encoded = EncodeSettings({{"LEAKTRACK_DIR", "/srv/dumps"}});
  ASSERT_LT(encoded.size(), static_cast<size_t>(kAttachSettingsSize));
  memcpy(block, encoded.data(), encoded.size());
  setenv("LEAKTRACK_DIR", "/from/env", 1);
  setenv("LEAKTRACK_SIGNAL", "USR1", 1);  // not in /proc/self/environ: that is the exec's

  const TargetProcess self = InspectTarget(getpid());
  Result<std::string> maps = ReadWholeFile("/proc/self/maps");
  ASSERT_TRUE(maps.ok());
  std::string warning;
  Result<ShimSettings> read = ReadShimSettings(self, maps.value(), &warning);
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(warning, "");
  EXPECT_EQ(read.value().at("LEAKTRACK_DIR"), "/srv/dumps");
  EXPECT_EQ(read.value().count("LEAKTRACK_SIGNAL"), 0u);
  memset(block, 0, encoded.size());
  unsetenv("LEAKTRACK_DIR");
  unsetenv("LEAKTRACK_SIGNAL");
}

}  // namespace
}  // namespace leaktrack
