// End-to-end tests of `leaktrack top`, `diff` and `growth` on profiles built in memory (so the
// expected numbers are known exactly), run through the real binary.
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "symbolizer/gzip_io.h"
#include "symbolizer/profile.h"

namespace leaktrack {
namespace {

struct CliRun {
  int status;
  std::string out;
};

CliRun Leaktrack(const std::string& args) {
  std::string cmd = std::string(LT_LEAKTRACK) + " " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  CliRun r{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A symbolized heap profile whose stacks are given as leaf-first function-name lists, each with
// an inuse_space value (alloc_space = inuse + churn).
struct Stack {
  std::vector<std::string> frames;
  int64_t inuse;
  int64_t alloc;
};

std::string WriteProfile(const std::string& dir, const std::string& name,
                         const std::vector<Stack>& stacks) {
  Profile p;
  for (const char* t : {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"})
    p.sample_type.push_back(
        {p.Intern(t), p.Intern(std::string(t).find("space") != std::string::npos ? "bytes" : "count")});
  p.period_type = {p.Intern("space"), p.Intern("bytes")};
  p.period = 1;
  Mapping m;
  m.id = 1;
  m.memory_start = 0x1000;
  m.memory_limit = 0x100000;
  m.filename = p.Intern("/bin/service");
  m.has_functions = true;
  p.mapping.push_back(m);
  std::map<std::string, uint64_t> locs;
  for (const Stack& s : stacks) {
    Sample sample;
    for (const std::string& f : s.frames) {
      auto [it, fresh] = locs.emplace(f, locs.size() + 1);
      if (fresh) {
        Function fn{it->second, p.Intern(f), p.Intern(f), 0, 0};
        p.function.push_back(fn);
        Location l;
        l.id = it->second;
        l.mapping_id = 1;
        l.address = 0x1000 + it->second * 16;
        l.line.push_back({it->second, 1, 0});
        p.location.push_back(l);
      }
      sample.location_id.push_back(it->second);
    }
    sample.value = {s.alloc / 16, s.alloc, s.inuse / 16, s.inuse};
    p.sample.push_back(sample);
  }
  std::string path = dir + "/" + name;
  EXPECT_TRUE(SaveProfileFile(path, p).ok());
  return path;
}

class CliReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lt_cli_reports.XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { system(("rm -rf " + dir_).c_str()); }
  std::string dir_;
};

TEST_F(CliReportsTest, TopShowsFlatAndCum) {
  std::string f = WriteProfile(dir_, "a.pb.gz",
                               {{{"leak", "handler", "main"}, 3072, 3072},
                                {{"_ZN3svc5Cache6InsertEm", "handler", "main"}, 1024, 1024}});
  CliRun r = Leaktrack("top " + f);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Type: inuse_space"), std::string::npos);
  EXPECT_NE(r.out.find("of 4kB total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3kB  75.00%  75.00%        3kB  75.00%  leak"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("svc::Cache::Insert"), std::string::npos) << "demangled name";
  EXPECT_NE(r.out.find("0B   0.00% 100.00%        4kB 100.00%  main"), std::string::npos) << r.out;
  CliRun objects = Leaktrack("top " + f + " --sample inuse_objects -n 1");
  ASSERT_EQ(objects.status, 0);
  EXPECT_NE(objects.out.find("192  75.00%"), std::string::npos) << objects.out;
  EXPECT_NE(objects.out.find("Dropped"), std::string::npos);
}

// A raw dump (addresses only) whose comments say the process dropped samples, as the shim
// writes them (preload/heap_profile.cc); plus the "[evicted stacks]" frame, already named.
std::string WriteRawDumpWithDrops(const std::string& dir) {
  Profile p;
  for (const char* t : {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"})
    p.sample_type.push_back(
        {p.Intern(t), p.Intern(std::string(t).find("space") != std::string::npos ? "bytes" : "count")});
  Mapping m;
  m.id = 1;
  m.memory_start = 0x1000;
  m.memory_limit = 0x100000;
  m.filename = p.Intern("/nonexistent/service");
  p.mapping.push_back(m);
  Location raw;
  raw.id = 1;
  raw.mapping_id = 1;
  raw.address = 0x1234;
  p.location.push_back(raw);
  p.function.push_back(Function{1, p.Intern("[evicted stacks]"), p.Intern("[evicted stacks]"), 0, 0});
  Location evicted;
  evicted.id = 2;
  evicted.line.push_back({1, 0, 0});
  p.location.push_back(evicted);
  Sample leak;
  leak.location_id = {1};
  leak.value = {1, 4096, 1, 4096};
  p.sample.push_back(leak);
  Sample gone;
  gone.location_id = {2};
  gone.value = {3, 300, 0, 0};
  p.sample.push_back(gone);
  for (const char* c : {"samples=110", "dropped_samples=7",
                        "dropped(live/stack table full)=3/4 truncated_stacks=0"})
    p.comment.push_back(p.Intern(c));
  std::string path = dir + "/raw.pb.gz";
  EXPECT_TRUE(SaveProfileFile(path, p).ok());
  return path;
}

TEST_F(CliReportsTest, RawDumpThatDroppedSamplesIsNamedWithAWarning) {
  CliRun r = Leaktrack("top --sample alloc_space " + WriteRawDumpWithDrops(dir_));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("leaktrack top: warning: the process dropped 7 of 110 samples, 3 as the "
                       "live table was full (raise LEAKTRACK_MAX_LIVE), 4 as the stack table was "
                       "full (raise LEAKTRACK_MAX_STACKS); the values undercount"),
            std::string::npos)
      << r.out;
  // Still taken for a raw dump despite its one named frame: the mapping's address is shown as
  // its file, since the binary is not there to name it.
  EXPECT_NE(r.out.find("[service]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[evicted stacks]"), std::string::npos) << r.out;
}

TEST_F(CliReportsTest, DiffIsTopWithBase) {
  std::string a = WriteProfile(dir_, "a.pb.gz", {{{"leak", "main"}, 1024, 1024}});
  std::string b = WriteProfile(dir_, "b.pb.gz", {{{"leak", "main"}, 4096, 4096}});
  CliRun diff = Leaktrack("diff " + a + " " + b);
  CliRun top = Leaktrack("top --base " + a + " " + b);
  ASSERT_EQ(diff.status, 0) << diff.out;
  EXPECT_EQ(diff.out, top.out);
  EXPECT_NE(diff.out.find("of 3kB total"), std::string::npos) << diff.out;
}

TEST_F(CliReportsTest, GrowthRanksMonotonicFirstChurnLast) {
  std::vector<std::string> files;
  for (int i = 0; i < 4; ++i) {
    files.push_back(WriteProfile(
        dir_, "d" + std::to_string(i) + ".pb.gz",
        {{{"leaky_cache_put", "serve", "main"}, 1000 + 1000 * i, 1000 + 1000 * i},      // leak
         {{"bursty_buffer", "serve", "main"}, i == 2 ? 100 : 500 + 3000 * (i == 3), 9000},
         {{"request_scratch", "serve", "main"}, 64, 64 + 100000 * i},                   // churn
         {{"startup_config", "main"}, 4096, 4096}}));                                   // steady
  }
  CliRun r = Leaktrack("growth " + files[0] + " " + files[1] + " " + files[2] + " " + files[3]);
  ASSERT_EQ(r.status, 0) << r.out;
  size_t leak = r.out.find("#1 LEAK SUSPECT");
  size_t bursty = r.out.find("#2 growing (with dips)");
  size_t churn = r.out.find("#3 steady churn");
  ASSERT_NE(leak, std::string::npos) << r.out;
  ASSERT_NE(bursty, std::string::npos) << r.out;
  ASSERT_NE(churn, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("leaky_cache_put", leak), std::string::npos);
  EXPECT_LT(r.out.find("leaky_cache_put"), bursty);
  EXPECT_NE(r.out.find("per dump: +1000B +1000B +1000B"), std::string::npos) << r.out;
  EXPECT_GT(r.out.find("request_scratch"), churn);
  EXPECT_EQ(r.out.find("startup_config"), std::string::npos) << "a flat stack is not listed";
}

TEST_F(CliReportsTest, BadInputIsOneLineAndNonZero) {
  std::string text = dir_ + "/text.pb.gz";
  ASSERT_TRUE(WriteFileAtomic(text, "hello, not a profile\n").ok());
  std::string trunc = dir_ + "/trunc.pb.gz";
  std::string good = WriteProfile(dir_, "good.pb.gz", {{{"f"}, 1, 1}});
  ASSERT_TRUE(WriteFileAtomic(trunc, ReadWholeFile(good).value().substr(0, 30)).ok());
  std::string garbage = dir_ + "/garbage.pb.gz";
  ASSERT_TRUE(WriteFileAtomic(garbage, Gzip(std::string("\x0a\xff\xff\xff\x0f", 5))).ok());
  for (const std::string& args :
       {"top " + text, "top " + trunc, "top " + garbage, "top " + dir_ + "/missing.pb.gz",
        "growth " + good + " " + trunc, "diff " + good + " " + garbage,
        "symbolize " + garbage, "symbolize " + good + " -o /nonexistent-dir/out.pb.gz"}) {
    CliRun r = Leaktrack(args);
    EXPECT_EQ(r.status, 1) << args << "\n" << r.out;
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "exactly one line: " << r.out;
    EXPECT_EQ(r.out.rfind("leaktrack ", 0), 0u) << r.out;
  }
  EXPECT_NE(Leaktrack("top " + trunc).out.find("truncated gzip"), std::string::npos);
}

TEST_F(CliReportsTest, UsageErrorsExitTwoAndHelpExitsZero) {
  for (const char* args : {"", "nosuch", "top", "top a b", "diff a", "growth a", "symbolize",
                           "top x --sample bogus", "dump", "dump notapid", "run", "run --rate x -- true"}) {
    EXPECT_EQ(Leaktrack(args).status, 2) << args;
  }
  for (const char* cmd : {"run", "dump", "symbolize", "top", "diff", "growth"}) {
    CliRun r = Leaktrack(std::string(cmd) + " --help");
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("usage: leaktrack " + std::string(cmd)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << cmd;
  }
}

TEST_F(CliReportsTest, UnwritableOutputLeavesNothing) {
  std::string good = WriteProfile(dir_, "good.pb.gz", {{{"f"}, 1, 1}});
  std::string ro = dir_ + "/ro";
  mkdir(ro.c_str(), 0500);
  CliRun r = Leaktrack("symbolize " + good + " -o " + ro + "/out.pb.gz");
  if (geteuid() != 0) {  // root ignores directory permissions
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(access((ro + "/out.pb.gz").c_str(), F_OK), 0);
  }
  CliRun dir_as_file = Leaktrack("symbolize " + good + " -o " + dir_);
  EXPECT_EQ(dir_as_file.status, 1) << dir_as_file.out;
}

}  // namespace
}  // namespace leaktrack
