// Tests of /proc/self/maps parsing and build-ID reading (proc_maps.h).
#include "proc_maps.h"

#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

TEST(ProcMapsTest, ParsesExecutableLine) {
  const char line[] =
      "7f1234560000-7f1234570000 r-xp 00026000 08:01 1234                       "
      "/usr/lib/x86_64-linux-gnu/libc.so.6";
  MapsEntry e;
  ASSERT_TRUE(ParseMapsLine(line, strlen(line), &e));
  EXPECT_EQ(e.start, 0x7f1234560000u);
  EXPECT_EQ(e.limit, 0x7f1234570000u);
  EXPECT_EQ(e.offset, 0x26000u);
  EXPECT_TRUE(e.executable);
  EXPECT_EQ(std::string(e.path, e.path_len), "/usr/lib/x86_64-linux-gnu/libc.so.6");
  EXPECT_FALSE(e.deleted);
}

TEST(ProcMapsTest, ParsesAnonymousDeletedAndSpecialLines) {
  MapsEntry e;
  const char anon[] = "7ffd0000-7ffd1000 rw-p 00000000 00:00 0 ";
  ASSERT_TRUE(ParseMapsLine(anon, strlen(anon), &e));
  EXPECT_FALSE(e.executable);
  EXPECT_EQ(e.path_len, 0u);
  const char deleted[] = "1000-2000 r-xp 00001000 08:01 99 /tmp/my binary (deleted)";
  ASSERT_TRUE(ParseMapsLine(deleted, strlen(deleted), &e));
  EXPECT_TRUE(e.deleted);
  EXPECT_EQ(std::string(e.path, e.path_len), "/tmp/my binary");
  const char vdso[] = "7fff1000-7fff3000 r-xp 00000000 00:00 0 [vdso]";
  ASSERT_TRUE(ParseMapsLine(vdso, strlen(vdso), &e));
  EXPECT_EQ(std::string(e.path, e.path_len), "[vdso]");
}

TEST(ProcMapsTest, RejectsMalformedLines) {
  MapsEntry e;
  for (const char* bad : {"", "zz", "1000-", "1000-2000", "2000-1000 r-xp 0 0:0 0 /x",
                          "1000-2000 r-x", "1000-2000 r-xp zz 08:01 1 /x"}) {
    EXPECT_FALSE(ParseMapsLine(bad, strlen(bad), &e)) << bad;
  }
}

TEST(ProcMapsTest, FindsBuildIdNote) {
  uint8_t notes[64] = {};
  ElfW(Nhdr) other = {4, 4, 1};  // an unrelated note first
  ElfW(Nhdr) nh = {4, 4, NT_GNU_BUILD_ID};
  size_t pos = 0;
  memcpy(notes + pos, &other, sizeof(other));
  pos += sizeof(other);
  memcpy(notes + pos, "GNU", 4);
  pos += 8;
  memcpy(notes + pos, &nh, sizeof(nh));
  pos += sizeof(nh);
  memcpy(notes + pos, "GNU", 4);
  pos += 4;
  const uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
  memcpy(notes + pos, id, 4);
  pos += 4;
  char hex[65];
  ASSERT_TRUE(FindBuildIdInNotes(notes, pos, hex, sizeof(hex)));
  EXPECT_STREQ(hex, "deadbeef");
  EXPECT_FALSE(FindBuildIdInNotes(notes, pos - 1, hex, sizeof(hex)));  // truncated
  EXPECT_FALSE(FindBuildIdInNotes(notes, pos, hex, 8));                // no room for hex
}

TEST(ProcMapsTest, OwnExecutableComesFirstWithItsBuildId) {
  Arena arena;
  ASSERT_TRUE(arena.Init(8 << 20));
  Mapping* maps = nullptr;
  const int n = ReadExecutableMappings(&arena, &maps);
  ASSERT_GT(n, 1);
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(len, 0);
  exe[len] = '\0';
  EXPECT_STREQ(maps[0].path, exe);
  // The same ID that `readelf -n` prints.
  std::string cmd = std::string("readelf -n '") + exe + "' | sed -n 's/.*Build ID: //p'";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  char expected[128] = "";
  ASSERT_NE(fgets(expected, sizeof(expected), f), nullptr);
  pclose(f);
  expected[strcspn(expected, "\n")] = '\0';
  EXPECT_STREQ(maps[0].build_id, expected);
  bool libc = false;
  for (int i = 0; i < n; ++i) libc |= strstr(maps[i].path, "libc.so") != nullptr;
  EXPECT_TRUE(libc);
  arena.Release();
}

}  // namespace
}  // namespace leaktrack
