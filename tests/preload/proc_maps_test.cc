// Tests of /proc/self/maps parsing and build-ID reading (proc_maps.h).
#include "proc_maps.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
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

// Where this process has mapped offset 0 of `path` (its ELF header), from /proc/self/maps.
uint64_t ImageBase(const std::string& path) {
  FILE* f = fopen("/proc/self/maps", "r");
  char line[4096];
  uint64_t base = 0;
  while (f != nullptr && base == 0 && fgets(line, sizeof(line), f) != nullptr) {
    line[strcspn(line, "\n")] = '\0';
    MapsEntry e;
    if (ParseMapsLine(line, strlen(line), &e) && e.offset == 0 &&
        std::string(e.path, e.path_len) == path)
      base = e.start;
  }
  if (f != nullptr) fclose(f);
  return base;
}

TEST(ProcMapsTest, ReadsTheBuildIdOfALoadedImageFromMemory) {
  char exe[4096];
  const ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  ASSERT_GT(len, 0);
  exe[len] = '\0';
  char from_file[65] = "", from_memory[65] = "";
  ASSERT_TRUE(ReadBuildIdFromFile(exe, from_file, sizeof(from_file)));
  const uint64_t base = ImageBase(exe);
  ASSERT_NE(base, 0u);
  ASSERT_TRUE(ReadBuildIdFromMemory(base, from_memory, sizeof(from_memory)));
  EXPECT_STREQ(from_memory, from_file);
  // An address with nothing mapped is a failed read, not a fault.
  void* hole = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  munmap(hole, 4096);
  EXPECT_FALSE(ReadBuildIdFromMemory(reinterpret_cast<uint64_t>(hole), from_memory, 65));
  EXPECT_FALSE(ReadBuildIdFromMemory(base + 4096 * 64, from_memory, 65));  // not an ELF header
}

// A library deleted (or replaced by another file) since it was loaded keeps the build ID it was
// loaded with: the symbolizer must be able to tell the file now at its path from it.
TEST(ProcMapsTest, DeletedLibraryKeepsItsBuildId) {
  char dir[] = "/tmp/lt_deleted.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string lib = std::string(dir) + "/libcopy.so";
  FILE* src = popen("ldconfig -p | sed -n 's/.*libz.so.1 (libc6,x86-64) => //p' | head -1", "r");
  ASSERT_NE(src, nullptr);
  char libz[4096] = "";
  ASSERT_NE(fgets(libz, sizeof(libz), src), nullptr);
  pclose(src);
  libz[strcspn(libz, "\n")] = '\0';
  ASSERT_EQ(system(("cp '" + std::string(libz) + "' " + lib).c_str()), 0);
  char original[65] = "";
  ASSERT_TRUE(ReadBuildIdFromFile(lib.c_str(), original, sizeof(original)));
  void* handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  // Replaced as a deployment does: a new file renamed over the old one.
  ASSERT_EQ(system(("cp /proc/self/exe " + lib + ".new && mv " + lib + ".new " + lib).c_str()), 0);

  Arena arena;
  ASSERT_TRUE(arena.Init(8 << 20));
  Mapping* maps = nullptr;
  const int n = ReadExecutableMappings(&arena, &maps);
  int found = 0;
  for (int i = 0; i < n; ++i) {
    if (lib != maps[i].path) continue;
    ++found;
    EXPECT_STREQ(maps[i].build_id, original);
  }
  EXPECT_EQ(found, 1);
  arena.Release();
  dlclose(handle);
  unlink(lib.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace leaktrack
