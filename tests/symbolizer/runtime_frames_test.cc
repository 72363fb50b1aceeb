// Charging standard-library allocations to the program's function (symbolizer/runtime_frames.h).
#include "symbolizer/runtime_frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace leaktrack {
namespace {

TEST(RuntimeFramesTest, FunctionsByName) {
  // C++ standard library, wherever instantiated, and the program's own operator new.
  EXPECT_TRUE(IsRuntimeFunction("std::__new_allocator::allocate", "_ZNSt15__new_allocatorIcE8allocateEmPKv"));
  EXPECT_TRUE(IsRuntimeFunction("std::vector::_M_default_append", ""));
  EXPECT_TRUE(IsRuntimeFunction("__gnu_cxx::new_allocator::allocate", ""));
  EXPECT_TRUE(IsRuntimeFunction("operator new", "_Znwm"));
  EXPECT_FALSE(IsRuntimeFunction("OpenConn", "_Z8OpenConni"));
  EXPECT_FALSE(IsRuntimeFunction("main::{lambda()#1}::operator()", ""));
  // A C++ program's own namespace called core is not Rust's core crate.
  EXPECT_FALSE(IsRuntimeFunction("core::Buffer::Grow", "_ZN4core6Buffer4GrowEv"));
  // Rust: the std crates, their impls for primitives and generics, the allocator shims.
  EXPECT_TRUE(IsRuntimeFunction("alloc::raw_vec::RawVecInner::try_allocate_in",
                                "_ZN5alloc7raw_vec20RawVecInner$LT$A$GT$15try_allocate_in17heb5df3bad6b80af4E"));
  EXPECT_TRUE(IsRuntimeFunction("<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem",
                                "_ZN63_$LT$u8$u20$as$u20$alloc..vec..spec_from_elem..SpecFromElem$GT$9from_elem17h26831fed84a0894cE"));
  EXPECT_TRUE(IsRuntimeFunction("alloc::alloc::alloc", "_RNvNtCslNYArtu3iFV_5alloc5alloc5alloc"));
  const std::string impl = "_RNvMNtCslNYArtu3iFV_5alloc5allocNtB2_6Global10alloc_impl";
  EXPECT_TRUE(IsRuntimeFunction(impl, impl));  // not spelled out: judged by its crate
  EXPECT_TRUE(IsRuntimeFunction("<[T] as alloc::slice::hack::ConvertVec>::to_vec",
                                "_ZN52_$LT$T$u20$as$u20$alloc..slice..hack..ConvertVec$GT$6to_vec17h0123456789abcdefE"));
  EXPECT_TRUE(IsRuntimeFunction("__rust_alloc", "__rust_alloc"));
  const std::string dyn_fn = "_RNvXs0_NtNtNtCsgEmfK2I1SDS_4core3ops8function5implsRDINtB7_2FnuEp6OutputlNtNtBb_6marker4SyncNtNtNtBb_5panic11unwind_safe13RefUnwindSafeEL_INtB7_6FnOnceuE9call_onceCsjrHSEGnQ3l9_3std";
  EXPECT_TRUE(IsRuntimeFunction("<&dyn core::ops::function::Fn + core::marker::Sync as core::ops::function::FnOnce>::call_once", dyn_fn));
  EXPECT_FALSE(IsRuntimeFunction("leak::open_session", "_ZN4leak12open_session17h797cb2b64cb13a0fE"));
  // The program's own impl of a std trait is the program's.
  EXPECT_FALSE(IsRuntimeFunction("<leak::Session as core::clone::Clone>::clone",
                                 "_ZN55_$LT$leak..Session$u20$as$u20$core..clone..Clone$GT$5clone17h0123456789abcdefE"));
}

TEST(RuntimeFramesTest, ObjectsByPath) {
  EXPECT_TRUE(IsRuntimeObject("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(IsRuntimeObject("/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"));
  EXPECT_TRUE(IsRuntimeObject("/lib64/ld-linux-x86-64.so.2"));
  EXPECT_TRUE(IsRuntimeObject("/lib/x86_64-linux-gnu/libc-2.31.so"));  // older glibc naming
  EXPECT_FALSE(IsRuntimeObject("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"));
  EXPECT_FALSE(IsRuntimeObject("/usr/lib/libc-client.so.2007e"));
  EXPECT_FALSE(IsRuntimeObject("/srv/bin/libcache.so"));
}

// A profile built by hand: mapping 1 is the program, 2 is libc.
class FoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.sample_type.push_back({p_.Intern("inuse_space"), p_.Intern("bytes")});
    AddMapping(1, "/srv/bin/service");
    AddMapping(2, "/usr/lib/x86_64-linux-gnu/libc.so.6");
  }
  void AddMapping(uint64_t id, const char* path) {
    Mapping m;
    m.id = id;
    m.filename = p_.Intern(path);
    p_.mapping.push_back(m);
  }
  uint64_t Fn(const std::string& name, const std::string& system = "") {
    Function f;
    f.id = p_.function.size() + 1;
    f.name = p_.Intern(name);
    f.system_name = p_.Intern(system.empty() ? name : system);
    p_.function.push_back(f);
    return f.id;
  }
  // A location whose frames are `fns`, innermost first.
  uint64_t Loc(uint64_t mapping, std::vector<uint64_t> fns) {
    Location l;
    l.id = p_.location.size() + 1;
    l.mapping_id = mapping;
    l.address = 0x1000 + l.id;
    for (uint64_t f : fns) l.line.push_back(Line{f, 1, 0});
    p_.location.push_back(l);
    return l.id;
  }
  void AddSample(std::vector<uint64_t> stack, int64_t bytes) {
    Sample s;
    s.location_id = std::move(stack);
    s.value = {bytes};
    p_.sample.push_back(s);
  }
  std::vector<std::string> Stack(size_t i) {
    std::vector<std::string> out;
    for (uint64_t id : p_.sample[i].location_id) {
      const Location* l = p_.FindLocation(id);
      if (l == nullptr) {
        out.push_back("<missing>");
        continue;
      }
      if (l->line.empty()) out.push_back("[raw]");
      for (const Line& line : l->line) out.push_back(p_.Str(p_.FindFunction(line.function_id)->name));
    }
    return out;
  }
  Profile p_;
};

TEST_F(FoldTest, TrimsTheLeafEndOnly) {
  const uint64_t allocate = Fn("std::__new_allocator::allocate");
  const uint64_t append = Fn("std::vector::_M_default_append");
  const uint64_t open = Fn("OpenConn");
  const uint64_t main_fn = Fn("main");
  const uint64_t run = Fn("std::thread::_State_impl::_M_run");
  const uint64_t lambda = Fn("Worker::{lambda()#1}::operator()");
  const uint64_t strdup_fn = Fn("__strdup");
  // 0: vector growth inlined into OpenConn: [allocate, append, OpenConn] at one address.
  const uint64_t grow = Loc(1, {allocate, append, open});
  const uint64_t in_main = Loc(1, {main_fn});
  AddSample({grow, in_main}, 100);
  // 1: the same location, but not at the leaf (as if an indirect call there went elsewhere).
  const uint64_t helper = Loc(1, {Fn("Helper")});
  AddSample({helper, grow, in_main}, 7);
  // 2: strdup in libc, unsymbolized, called from OpenConn.
  const uint64_t in_libc = Loc(2, {});
  const uint64_t call_strdup = Loc(1, {open});
  AddSample({in_libc, call_strdup, in_main}, 20);
  // 3: a program lambda run by std::thread: nothing to trim.
  AddSample({Loc(1, {lambda}), Loc(1, {run})}, 30);
  // 4: runtime only (libc allocating for itself): kept whole.
  AddSample({Loc(2, {strdup_fn}), Loc(2, {Fn("__libc_start_main_impl")})}, 40);
  p_.ReindexIds();

  EXPECT_EQ(FoldRuntimeFrames(&p_), 2u);
  EXPECT_EQ(Stack(0), (std::vector<std::string>{"OpenConn", "main"}));
  EXPECT_EQ(Stack(1), (std::vector<std::string>{"Helper", "std::__new_allocator::allocate",
                                                "std::vector::_M_default_append", "OpenConn",
                                                "main"}));
  EXPECT_EQ(Stack(2), (std::vector<std::string>{"OpenConn", "main"}));
  EXPECT_EQ(Stack(3), (std::vector<std::string>{"Worker::{lambda()#1}::operator()",
                                                "std::thread::_State_impl::_M_run"}));
  EXPECT_EQ(Stack(4), (std::vector<std::string>{"__strdup", "__libc_start_main_impl"}));
  // The trimmed copy keeps the address and mapping; the libc leaf is gone from the profile.
  const Location* copy = p_.FindLocation(p_.sample[0].location_id[0]);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->address, 0x1000 + grow);
  EXPECT_EQ(copy->mapping_id, 1u);
  EXPECT_EQ(p_.FindLocation(in_libc), nullptr);
  ASSERT_EQ(p_.comment.size(), 1u);
  EXPECT_NE(p_.Str(p_.comment[0]).find("--all-frames"), std::string::npos);
  EXPECT_TRUE(ValidateProfile(p_).ok());

  // A second pass finds nothing to do and adds no second comment.
  const std::string once = EncodeProfile(p_);
  EXPECT_EQ(FoldRuntimeFrames(&p_), 0u);
  EXPECT_EQ(EncodeProfile(p_), once);
}

TEST_F(FoldTest, NothingToTrimLeavesTheProfileAlone) {
  AddSample({Loc(1, {Fn("Leaky")}), Loc(1, {Fn("main")})}, 5);
  p_.ReindexIds();
  const std::string before = EncodeProfile(p_);
  EXPECT_EQ(FoldRuntimeFrames(&p_), 0u);
  EXPECT_EQ(EncodeProfile(p_), before);
  EXPECT_TRUE(p_.comment.empty());
}

}  // namespace
}  // namespace leaktrack
