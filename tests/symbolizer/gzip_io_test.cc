// Unit tests of gzip I/O and atomic writes: truncated and corrupt gzip are errors, an unwritable
// destination leaves nothing behind.
#include "symbolizer/gzip_io.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace leaktrack {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/lt_gzip_test.XXXXXX";
  return mkdtemp(tmpl);
}

TEST(GzipIoTest, RoundTrip) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>(i);
  std::string z = Gzip(data);
  EXPECT_TRUE(LooksGzipped(z));
  Result<std::string> back = Gunzip(z);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value(), data);
}

TEST(GzipIoTest, TruncatedIsAnError) {
  std::string z = Gzip(std::string(5000, 'a') + "tail");
  for (size_t cut : {z.size() - 1, z.size() - 8, z.size() / 2, size_t{10}}) {
    Result<std::string> r = Gunzip(z.substr(0, cut));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_NE(r.error().find("gzip"), std::string::npos);
  }
}

TEST(GzipIoTest, CorruptIsAnError) {
  std::string z = Gzip("hello hello hello hello");
  z[z.size() / 2] ^= 0x55;
  z[z.size() - 6] ^= 0x55;  // CRC
  EXPECT_FALSE(Gunzip(z).ok());
}

TEST(GzipIoTest, SizeLimit) {
  std::string z = Gzip(std::string(1 << 20, '\0'));
  EXPECT_FALSE(Gunzip(z, 1000).ok());
}

TEST(GzipIoTest, AtomicWriteReplacesAndLeavesNoTemp) {
  std::string dir = TempDir();
  std::string path = dir + "/out.bin";
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second", 0600).ok());
  Result<std::string> back = ReadWholeFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value(), "second");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int entries = 0;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = readdir(d)) entries += e->d_name[0] != '.';
  closedir(d);
  EXPECT_EQ(entries, 1);
  unlink(path.c_str());
  rmdir(dir.c_str());
}

TEST(GzipIoTest, UnwritableDestinationFailsCleanly) {
  Status s = WriteFileAtomic("/nonexistent-dir/x.pb.gz", "data");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("/nonexistent-dir/x.pb.gz"), std::string::npos);
  EXPECT_EQ(s.error().find('\n'), std::string::npos);
}

TEST(GzipIoTest, LoadProfileFileErrorsNameTheFile) {
  std::string dir = TempDir();
  Result<Profile> missing = LoadProfileFile(dir + "/missing.pb.gz");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("missing.pb.gz"), std::string::npos);
  std::string text = dir + "/text.pb.gz";
  ASSERT_TRUE(WriteFileAtomic(text, "heap profile: 1: 2 [3: 4] @ heap/2\n").ok());
  EXPECT_FALSE(LoadProfileFile(text).ok());
  std::string trunc = dir + "/trunc.pb.gz";
  ASSERT_TRUE(WriteFileAtomic(trunc, Gzip(std::string(3000, 'q')).substr(0, 20)).ok());
  Result<Profile> t = LoadProfileFile(trunc);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("truncated"), std::string::npos) << t.error();
  unlink(text.c_str());
  unlink(trunc.c_str());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace leaktrack
