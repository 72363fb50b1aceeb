// Tests for tools/process_maps.h on /proc/PID/maps texts as the kernel prints them.
#include "tools/process_maps.h"

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

const char kMaps[] =
    "55d0a1000000-55d0a1002000 r--p 00000000 fe:01 1234                       /usr/bin/cat\n"
    "7f10c0000000-7f10c0021000 rw-p 00000000 00:00 0 \n"
    "7f10c1000000-7f10c1028000 r--p 00000000 08:02 99 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "7f10c1028000-7f10c11bd000 r-xp 00028000 08:02 99 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
    "garbage line\n"
    "7ffc10000000-7ffc10021000 rw-p 00000000 00:00 0                        [stack]";

TEST(ProcessMapsTest, ParsesEveryWellFormedLine) {
  const std::vector<MapsLine> maps = ParseProcMaps(kMaps);
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(maps[0].path, "/usr/bin/cat");
  EXPECT_EQ(maps[0].dev_major, 0xfeu);
  EXPECT_EQ(maps[0].dev_minor, 1u);
  EXPECT_EQ(maps[0].inode, 1234u);
  EXPECT_EQ(maps[1].path, "");
  EXPECT_EQ(maps[1].inode, 0u);
  EXPECT_EQ(maps[3].start, 0x7f10c1028000u);
  EXPECT_EQ(maps[3].end, 0x7f10c11bd000u);
  EXPECT_EQ(maps[3].offset, 0x28000u);
  EXPECT_EQ(maps[4].path, "[stack]");  // the last line has no newline
}

TEST(ProcessMapsTest, MappingAtFindsTheLineHoldingAnAddress) {
  const std::vector<MapsLine> maps = ParseProcMaps(kMaps);
  ASSERT_NE(MappingAt(maps, 0x7f10c1028000), nullptr);
  EXPECT_EQ(MappingAt(maps, 0x7f10c1028000)->offset, 0x28000u);  // a start belongs to its line
  EXPECT_EQ(MappingAt(maps, 0x7f10c1027fff)->offset, 0u);         // an end does not
  EXPECT_EQ(MappingAt(maps, 0x7f10c0021000), nullptr);            // between lines
  EXPECT_EQ(MappingAt(maps, 0x1000), nullptr);                    // below all
  EXPECT_EQ(MappingAt(maps, 0xffffffffffff), nullptr);            // above all
}

}  // namespace
}  // namespace leaktrack
