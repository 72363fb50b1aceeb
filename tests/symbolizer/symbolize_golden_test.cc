// Golden symbolization tests over fixture binaries built by this directory's CMakeLists.txt:
// PIE, non-PIE, and split debug info (build-ID file in a --debug-dir), each with an -O2 main in
// .text.startup, an always-inlined helper, a -g shared library and a stripped one. The fixture
// records raw stacks like the shim; the test builds the raw profile, symbolizes it and compares
// the rendered stacks with golden/fixture_stacks.txt (LT_UPDATE_GOLDEN=1 rewrites it).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "symbolizer/demangle.h"
#include "symbolizer/gzip_io.h"
#include "symbolizer/profile_rewriter.h"
#include "symbolizer/rust_v0.h"
#include "tests/symbolizer/fixture_support.h"

namespace leaktrack {
namespace {

const std::string kFixtureDir = LT_FIXTURE_DIR;
const std::string kDebugDir = kFixtureDir + "/debug";

Profile RunFixture(const std::string& variant) {
  char tmpl[] = "/tmp/lt_golden.XXXXXX";
  int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  close(fd);
  std::string cmd = kFixtureDir + "/fixture_" + variant + " " + tmpl;
  EXPECT_EQ(system(cmd.c_str()), 0) << cmd;
  Result<FixtureOutput> out = ParseFixtureOutput(tmpl);
  unlink(tmpl);
  EXPECT_TRUE(out.ok()) << out.error();
  if (!out.ok()) return Profile();
  return BuildRawProfile(out.value());
}

const Mapping& MappingOf(const Profile& p, const std::string& basename) {
  for (const Mapping& m : p.mapping) {
    const std::string& f = p.Str(m.filename);
    if (f.find("/" + basename) != std::string::npos) return m;
  }
  ADD_FAILURE() << "no mapping " << basename;
  static Mapping none;
  return none;
}

size_t SymbolizedLocations(const Profile& p, uint64_t mapping_id) {
  size_t n = 0;
  for (const Location& l : p.location) n += l.mapping_id == mapping_id && !l.line.empty();
  return n;
}

std::string ReadGolden() {
  std::ifstream in(std::string(LT_GOLDEN_DIR) + "/fixture_stacks.txt");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, StacksMatchGolden) {
  Profile p = RunFixture(GetParam());
  SymbolCache cache({kDebugDir});
  SymbolizeReport report = SymbolizeProfile(&p, &cache);
  EXPECT_TRUE(report.warnings.empty()) << report.warnings[0];
  ASSERT_TRUE(ValidateProfile(p).ok());
  std::string rendered = RenderStacks(p, kFixtureDir, /*below_main=*/false);
  if (getenv("LT_UPDATE_GOLDEN") && GetParam() == "pie") {
    std::ofstream(std::string(LT_GOLDEN_DIR) + "/fixture_stacks.txt") << rendered;
  }
  EXPECT_EQ(rendered, ReadGolden());
}

TEST_P(GoldenTest, FlagsTellTheTruth) {
  Profile p = RunFixture(GetParam());
  SymbolCache cache({kDebugDir});
  (void)SymbolizeProfile(&p, &cache);
  const Mapping& exe = p.mapping[0];
  EXPECT_NE(p.Str(exe.filename).find("fixture_" + GetParam()), std::string::npos)
      << "mapping[0] must stay the main executable";
  EXPECT_TRUE(exe.has_functions && exe.has_filenames && exe.has_line_numbers &&
              exe.has_inline_frames);
  const Mapping& lib = MappingOf(p, "libfixture_lib.so");
  EXPECT_TRUE(lib.has_functions && lib.has_filenames && lib.has_line_numbers &&
              lib.has_inline_frames);
  const Mapping& stripped = MappingOf(p, "libfixture_stripped.so");
  EXPECT_TRUE(stripped.has_functions);
  EXPECT_FALSE(stripped.has_filenames || stripped.has_line_numbers || stripped.has_inline_frames);
  // Debian's stripped system libraries still give names (libstdc++ from .dynsym, libc from
  // .dynsym or libc6-dbg).
  EXPECT_TRUE(MappingOf(p, "libstdc++.so.6").has_functions);
  EXPECT_GT(SymbolizedLocations(p, MappingOf(p, "libc.so.6").id), 0u);
  // Mappings without sampled addresses are not claimed to be symbolized.
  for (const Mapping& m : p.mapping) {
    if (SymbolizedLocations(p, m.id) == 0) {
      EXPECT_FALSE(m.has_functions) << p.Str(m.filename);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Variants, GoldenTest, ::testing::Values("pie", "nopie", "splitdebug"));

TEST(SymbolizeTest, SplitDebugNeedsTheDebugDir) {
  Profile p = RunFixture("splitdebug");
  SymbolCache cache({});  // no --debug-dir: the stripped binary has no names at all
  (void)SymbolizeProfile(&p, &cache);
  const Mapping& exe = p.mapping[0];
  EXPECT_FALSE(exe.has_functions || exe.has_filenames || exe.has_line_numbers ||
               exe.has_inline_frames);
  EXPECT_EQ(SymbolizedLocations(p, exe.id), 0u);
  EXPECT_TRUE(MappingOf(p, "libfixture_lib.so").has_line_numbers);
}

TEST(SymbolizeTest, BuildIdMismatchLeavesOnlyThatMappingRaw) {
  Profile p = RunFixture("pie");
  Mapping& lib = const_cast<Mapping&>(MappingOf(p, "libfixture_lib.so"));
  lib.build_id = p.Intern("00112233445566778899aabbccddeeff00112233");
  SymbolCache cache({kDebugDir});
  SymbolizeReport report = SymbolizeProfile(&p, &cache);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("build ID mismatch"), std::string::npos) << report.warnings[0];
  EXPECT_NE(report.warnings[0].find("libfixture_lib.so"), std::string::npos);
  EXPECT_FALSE(lib.has_functions || lib.has_filenames || lib.has_line_numbers);
  EXPECT_EQ(SymbolizedLocations(p, lib.id), 0u);
  EXPECT_TRUE(p.mapping[0].has_functions);
  EXPECT_GT(SymbolizedLocations(p, p.mapping[0].id), 0u);
}

TEST(SymbolizeTest, MissingBinaryLeavesOnlyThatMappingRaw) {
  Profile p = RunFixture("pie");
  Mapping& lib = const_cast<Mapping&>(MappingOf(p, "libfixture_stripped.so"));
  lib.filename = p.Intern("/nonexistent/libfixture_stripped.so");
  SymbolCache cache({kDebugDir});
  SymbolizeReport report = SymbolizeProfile(&p, &cache);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].find("/nonexistent/libfixture_stripped.so"), std::string::npos);
  EXPECT_EQ(report.warnings[0].find('\n'), std::string::npos);
  EXPECT_FALSE(lib.has_functions);
  EXPECT_TRUE(MappingOf(p, "libfixture_lib.so").has_functions);
}

TEST(SymbolizeTest, SecondPassChangesNothing) {
  Profile p = RunFixture("nopie");
  SymbolCache cache({kDebugDir});
  (void)SymbolizeProfile(&p, &cache);
  std::string once = EncodeProfile(p);
  Result<Profile> again = DecodeProfile(once);
  ASSERT_TRUE(again.ok()) << again.error();
  (void)SymbolizeProfile(&again.value(), &cache);
  EXPECT_EQ(EncodeProfile(again.value()), once);
}

TEST(SymbolizeTest, KeepsMangledSystemNamesAndAddresses) {
  Profile raw = RunFixture("pie");
  Profile p = raw;
  SymbolCache cache({kDebugDir});
  (void)SymbolizeProfile(&p, &cache);
  bool found = false, found_static = false;
  for (const Function& f : p.function) {
    if (p.Str(f.system_name) == "_ZN3svc5Cache6InsertEm") {
      found = true;
      EXPECT_EQ(p.Str(f.name), "svc::Cache::Insert");
    }
    // A lambda's operator() is named by the function it is written in.
    if (p.Str(f.system_name) == "operator()") {
      EXPECT_EQ(p.Str(f.name).find("::{lambda}::operator()"), p.Str(f.name).size() - 22)
          << p.Str(f.name);
      EXPECT_NE(p.Str(f.name).rfind("{lambda}", 0), 0u) << p.Str(f.name);  // not at the start
    }
    // A static function has no linkage name in DWARF: named by its namespace.
    if (p.Str(f.system_name) == "InlinedHelper") {
      found_static = true;
      EXPECT_EQ(p.Str(f.name), "svc::InlinedHelper");
    }
    // name is the short form of system_name, qualified by its scopes when system_name is a
    // bare DWARF name ("operator()" -> "{lambda}::operator()").
    const std::string name = p.Str(f.name), bare = ShortDisplayName(p.Str(f.system_name));
    EXPECT_TRUE(name == bare || (name.size() > bare.size() + 2 &&
                                 name.compare(name.size() - bare.size() - 2, std::string::npos,
                                              "::" + bare) == 0))
        << name << " for " << p.Str(f.system_name);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(found_static);
  ASSERT_EQ(p.location.size(), raw.location.size());
  for (size_t i = 0; i < p.location.size(); ++i) {
    EXPECT_EQ(p.location[i].address, raw.location[i].address);
    EXPECT_EQ(p.location[i].mapping_id, raw.location[i].mapping_id);
  }
  EXPECT_EQ(p.sample.size(), raw.sample.size());
}

// A scratch directory standing in for a container's root: `links` are its paths (as the
// profiled process saw them) -> files here.
class FakeRoot {
 public:
  explicit FakeRoot(const std::vector<std::pair<std::string, std::string>>& links) {
    char tmpl[] = "/tmp/lt_sysroot.XXXXXX";
    dir_ = mkdtemp(tmpl);
    for (const auto& [inside, target] : links) {
      const std::string at = dir_ + inside;
      EXPECT_EQ(system(("mkdir -p \"$(dirname '" + at + "')\"").c_str()), 0);
      EXPECT_EQ(symlink(target.c_str(), at.c_str()), 0) << at;
    }
  }
  ~FakeRoot() { (void)!system(("rm -rf '" + dir_ + "'").c_str()); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

TEST(SymbolizeTest, SysrootHoldsTheBinariesOfAContainer) {
  Profile p = RunFixture("splitdebug");
  // The process saw its binary as /app/... and its debug files in its own /usr/lib/debug.
  Mapping& exe = p.mapping[0];
  exe.filename = p.Intern("/app/fixture_splitdebug");
  FakeRoot root({{"/app/fixture_splitdebug", kFixtureDir + "/fixture_splitdebug"},
                 {"/usr/lib/debug", kDebugDir}});
  Profile here = p;
  SymbolCache this_machine({});
  ASSERT_FALSE(SymbolizeProfile(&here, &this_machine).warnings.empty());
  EXPECT_FALSE(here.mapping[0].has_functions);

  BinarySource source;
  source.sysroot = root.dir();
  SymbolCache cache({}, source);
  SymbolizeReport report = SymbolizeProfile(&p, &cache);
  EXPECT_TRUE(report.warnings.empty()) << report.warnings[0];
  EXPECT_TRUE(exe.has_functions && exe.has_line_numbers && exe.has_inline_frames);
  // libc is not in this root: this machine's copy is used, as its build ID matches.
  EXPECT_GT(SymbolizedLocations(p, MappingOf(p, "libc.so.6").id), 0u);
}

TEST(SymbolizeTest, MappedFileComesBeforeThePathAndIsCheckedByBuildId) {
  Profile p = RunFixture("pie");
  p.mapping[0].filename = p.Intern("/gone/fixture_pie");  // replaced or deleted since
  Profile wrong = p;
  BinarySource source;
  source.mapped_files["/gone/fixture_pie"] = kFixtureDir + "/fixture_pie";
  SymbolCache cache({kDebugDir}, source);
  SymbolizeReport report = SymbolizeProfile(&p, &cache);
  EXPECT_TRUE(report.warnings.empty()) << report.warnings[0];
  EXPECT_TRUE(p.mapping[0].has_line_numbers);

  // A mapped file with another build ID is not used; the warning names the profile's path.
  // (No --debug-dir: a debug file of the right build ID would name it all the same.)
  source.mapped_files["/gone/fixture_pie"] = kFixtureDir + "/libfixture_lib.so";
  SymbolCache mismatched({}, source);
  report = SymbolizeProfile(&wrong, &mismatched);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0].rfind("/gone/fixture_pie: ", 0), 0u) << report.warnings[0];
  EXPECT_FALSE(wrong.mapping[0].has_functions);
}

// Each location's frames as "function:line", innermost first.
std::vector<std::string> FramesOf(const Profile& p, uint64_t mapping_id) {
  std::vector<std::string> out;
  for (const Location& l : p.location) {
    if (l.mapping_id != mapping_id) continue;
    std::string frames;
    for (const Line& line : l.line) {
      const Function* f = nullptr;
      for (const Function& g : p.function) f = g.id == line.function_id ? &g : f;
      frames += (f ? p.Str(f->name) : "?") + ":" + std::to_string(line.line) + " ";
    }
    out.push_back(frames);
  }
  return out;
}

TEST(SymbolizeTest, DebugFileAloneNamesAGoneBinary) {
  Profile with_binary = RunFixture("splitdebug");
  Profile gone = with_binary;
  gone.mapping[0].filename = gone.Intern("/gone/fixture_splitdebug");  // binary deleted since
  SymbolCache cache({kDebugDir});
  ASSERT_TRUE(SymbolizeProfile(&with_binary, &cache).warnings.empty());
  SymbolCache store({kDebugDir});  // a symbol store: debug files by build ID
  SymbolizeReport report = SymbolizeProfile(&gone, &store);
  EXPECT_TRUE(report.warnings.empty()) << report.warnings[0];
  EXPECT_TRUE(gone.mapping[0].has_functions && gone.mapping[0].has_line_numbers);
  const std::vector<std::string> expected = FramesOf(with_binary, with_binary.mapping[0].id);
  EXPECT_EQ(FramesOf(gone, gone.mapping[0].id), expected);
  EXPECT_NE(expected[0].find(":"), std::string::npos);

  Profile no_store = RunFixture("splitdebug");
  no_store.mapping[0].filename = no_store.Intern("/gone/fixture_splitdebug");
  SymbolCache nothing({});
  report = SymbolizeProfile(&no_store, &nothing);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0].rfind("/gone/fixture_splitdebug: ", 0), 0u) << report.warnings[0];
}

TEST(DemangleTest, ShortNames) {
  EXPECT_EQ(ShortDisplayName("_ZN3svc5Cache6InsertEm"), "svc::Cache::Insert");
  EXPECT_EQ(ShortDisplayName("_ZNSo3putEc"), "std::ostream::put");
  EXPECT_EQ(ShortDisplayName("_ZNKSt6vectorIiSaIiEE4sizeEv"), "std::vector::size");
  EXPECT_EQ(ShortDisplayName("_ZlsRSoRKi"), "operator<<");
  EXPECT_EQ(ShortDisplayName("main"), "main");
  EXPECT_EQ(ShortDisplayName("call_once<main(int, char**)::<lambda()> >"), "call_once");
  EXPECT_EQ(ShortDisplayName("operator<"), "operator<");
  EXPECT_EQ(ShortDisplayName("_Znot_mangled"), "_Znot_mangled");
}

TEST(DemangleTest, FunctionTemplatesLoseTheirReturnType) {
  // std::__detail::_MakeUniq<Conn>::__single_object std::make_unique<Conn>()
  EXPECT_EQ(ShortDisplayName("_ZSt11make_uniqueI4ConnJEENSt8__detail9_MakeUniqIT_E15__single_objectEDpOT0_"),
            "std::make_unique");
  EXPECT_EQ(ShortDisplayName("_Z3barIiEvT_"), "bar");                   // void bar<int>(int)
  EXPECT_EQ(ShortDisplayName("_ZltI3FooEbRKT_S3_"), "operator<");       // bool operator< <Foo>
  EXPECT_EQ(ShortDisplayName("_ZNK3FoocviEv"), "Foo::operator int");   // a space of its own
  EXPECT_EQ(ShortDisplayName("_Znwm"), "operator new");
  EXPECT_EQ(ShortDisplayName("_ZN12_GLOBAL__N_13fooEv"), "(anonymous namespace)::foo");
}

// Symbols as rustc 1.95 wrote them (legacy for the program and some of std, v0 for the rest).
TEST(DemangleTest, RustLegacySymbolsLoseEscapesAndHash) {
  EXPECT_EQ(ShortDisplayName("_ZN4leak12open_session17h797cb2b64cb13a0fE"), "leak::open_session");
  EXPECT_EQ(ShortDisplayName("_ZN5alloc7raw_vec20RawVecInner$LT$A$GT$15try_allocate_in17heb5df3bad6b80af4E"),
            "alloc::raw_vec::RawVecInner::try_allocate_in");
  EXPECT_EQ(ShortDisplayName("_ZN63_$LT$u8$u20$as$u20$alloc..vec..spec_from_elem..SpecFromElem$GT$9from_elem17h26831fed84a0894cE"),
            "<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem");
  EXPECT_EQ(ShortDisplayName("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h71acb6ed29efb28bE"),
            "std::rt::lang_start::{{closure}}");
  // An impl block is a path segment of its own (rustc 1.63's std).
  EXPECT_EQ(ShortDisplayName("_ZN3std2io5impls74_$LT$impl$u20$std..io..Write$u20$for$u20$alloc..vec..Vec$LT$u8$C$A$GT$$GT$14write_vectored17hf3783f93862d9359E"),
            "std::io::impls::<impl std::io::Write for alloc::vec::Vec>::write_vectored");
  EXPECT_EQ(ShortDisplayName("std::operator<< <char>"), "std::operator<<");
  EXPECT_TRUE(IsRustSymbol("_ZN4leak12open_session17h797cb2b64cb13a0fE"));
  EXPECT_FALSE(IsRustSymbol("_ZN3svc5Cache6InsertEm"));
}

TEST(DemangleTest, RustV0PlainPathsAreSpelledOut) {
  EXPECT_EQ(ShortDisplayName("_RNvNtCslNYArtu3iFV_5alloc5alloc5alloc"), "alloc::alloc::alloc");
  EXPECT_EQ(ShortDisplayName("_RINvNtCsjrHSEGnQ3l9_3std5panic12catch_unwindNCNvNtB4_2rt19lang_start_internal0iEB4_"),
            "std::panic::catch_unwind");  // generic arguments dropped, like template arguments
  EXPECT_EQ(ShortDisplayName("_RNCNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal0B5_"),
            "std::rt::lang_start_internal::{closure}");
  // Impls, with types, back references and generic arguments (dropped).
  const std::string impl = "_RNvMNtCslNYArtu3iFV_5alloc5allocNtB2_6Global10alloc_impl";
  EXPECT_EQ(ShortDisplayName(impl), "<alloc::alloc::Global>::alloc_impl");
  EXPECT_EQ(ShortDisplayName("_RNvXs_NtCslNYArtu3iFV_5alloc5allocNtB4_6GlobalNtNtCsgEmfK2I1SDS_4core5alloc9Allocator8allocate"),
            "<alloc::alloc::Global as core::alloc::Allocator>::allocate");
  EXPECT_EQ(ShortDisplayName("_RNvXs0_NtNtNtCsgEmfK2I1SDS_4core3ops8function5implsRDINtB7_2FnuEp6OutputlNtNtBb_6marker4SyncNtNtNtBb_5panic11unwind_safe13RefUnwindSafeEL_INtB7_6FnOnceuE9call_onceCsjrHSEGnQ3l9_3std"),
            "<&dyn core::ops::function::Fn + core::marker::Sync + "
            "core::panic::unwind_safe::RefUnwindSafe as core::ops::function::FnOnce>::call_once");
  // Unreadable: kept as it is (pprof demangles a name equal to its system_name itself).
  EXPECT_EQ(ShortDisplayName("_RNvB9999_3foo"), "_RNvB9999_3foo");  // back reference forward
  EXPECT_EQ(ShortDisplayName("_RNvNtCs"), "_RNvNtCs");               // cut short
  EXPECT_EQ(RustV0Crate(impl), "alloc");
  EXPECT_EQ(RustV0Crate("_RNvXs_NtCslNYArtu3iFV_5alloc5allocNtB4_6GlobalNtNtCsgEmfK2I1SDS_4core5alloc9Allocator8allocate"),
            "alloc");
  EXPECT_EQ(RustV0Crate("_RNvNtCs1234_4leak4main"), "leak");
  EXPECT_EQ(RustV0Crate("_ZN3foo3barE"), "");
}

}  // namespace
}  // namespace leaktrack
