// Unit tests of the profile.proto decoder/encoder: round trip, and one rejected invariant at a
// time (the errors pprof itself would report, PPROF.md §1).
#include "symbolizer/profile.h"

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

Profile SmallProfile() {
  Profile p;
  p.sample_type.push_back({p.Intern("inuse_space"), p.Intern("bytes")});
  p.period_type = {p.Intern("space"), p.Intern("bytes")};
  p.period = 524288;
  Mapping m;
  m.id = 1;
  m.memory_start = 0x1000;
  m.memory_limit = 0x2000;
  m.filename = p.Intern("/bin/x");
  m.build_id = p.Intern("abcd");
  m.has_functions = true;
  p.mapping.push_back(m);
  Function f{7, p.Intern("_ZN3svc5Cache6InsertEm"), p.Intern("_ZN3svc5Cache6InsertEm"),
             p.Intern("x.cc"), 12};
  p.function.push_back(f);
  Location l;
  l.id = 3;
  l.mapping_id = 1;
  l.address = 0x1234;
  l.line.push_back({7, 40, 0});
  l.line.push_back({7, 41, 5});
  p.location.push_back(l);
  Sample s;
  s.location_id = {3};
  s.value = {-5};  // negative values are legal (diffs)
  s.label.push_back({p.Intern("bytes"), 0, 2048, p.Intern("bytes")});
  p.sample.push_back(s);
  p.comment.push_back(p.Intern("leaktrack test"));
  return p;
}

TEST(ProfileTest, RoundTripKeepsEveryField) {
  Profile p = SmallProfile();
  Result<Profile> q = DecodeProfile(EncodeProfile(p));
  ASSERT_TRUE(q.ok()) << q.error();
  const Profile& d = q.value();
  EXPECT_EQ(d.string_table, p.string_table);
  EXPECT_EQ(d.period, 524288);
  ASSERT_EQ(d.mapping.size(), 1u);
  EXPECT_EQ(d.mapping[0].memory_start, 0x1000u);
  EXPECT_TRUE(d.mapping[0].has_functions);
  EXPECT_FALSE(d.mapping[0].has_inline_frames);
  EXPECT_EQ(d.Str(d.mapping[0].build_id), "abcd");
  ASSERT_EQ(d.location.size(), 1u);
  ASSERT_EQ(d.location[0].line.size(), 2u);
  EXPECT_EQ(d.location[0].line[1].line, 41);
  EXPECT_EQ(d.location[0].line[1].column, 5);
  EXPECT_EQ(d.function[0].start_line, 12);
  EXPECT_EQ(d.sample[0].value[0], -5);
  EXPECT_EQ(d.sample[0].label[0].num, 2048);
  EXPECT_EQ(d.Str(d.comment[0]), "leaktrack test");
  ASSERT_NE(d.FindLocation(3), nullptr);
  EXPECT_EQ(d.FindLocation(3)->address, 0x1234u);
  EXPECT_EQ(EncodeProfile(d), EncodeProfile(p));
}

TEST(ProfileTest, AcceptsUnpackedRepeatedFieldsAndUnknownFields) {
  // Sample{location_id: 1 (unpacked), value: 9 (unpacked), field 15: 1}; string_table "", "t".
  std::string bytes;
  bytes += std::string("\x0a\x04\x08\x01\x10\x01", 6);           // sample_type {type 1, unit 1}
  bytes += std::string("\x12\x04\x08\x01\x10\x09", 6);           // sample
  bytes += std::string("\x22\x02\x08\x01", 4);                   // location id 1
  bytes += std::string("\x32\x00", 2) + std::string("\x32\x01t", 3);  // strings
  bytes += std::string("\x78\x01", 2);                           // unknown field 15
  Result<Profile> p = DecodeProfile(bytes);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p.value().sample[0].value[0], 9);
}

TEST(ProfileTest, RejectsNonEmptyFirstString) {
  Profile p = SmallProfile();
  p.string_table[0] = "x";
  Result<Profile> q = DecodeProfile(EncodeProfile(p));
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().find("string_table[0]"), std::string::npos);
}

TEST(ProfileTest, RejectsValueCountMismatch) {
  Profile p = SmallProfile();
  p.sample[0].value.push_back(1);
  Result<Profile> q = DecodeProfile(EncodeProfile(p));
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().find("2 values vs. 1 types"), std::string::npos) << q.error();
}

TEST(ProfileTest, RejectsDanglingReferences) {
  Profile p = SmallProfile();
  p.sample[0].location_id = {99};
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
  p = SmallProfile();
  p.location[0].mapping_id = 42;
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
  p = SmallProfile();
  p.location[0].line[0].function_id = 8;
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
  p = SmallProfile();
  p.function[0].name = 1000;
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
}

TEST(ProfileTest, RejectsZeroAndDuplicateIds) {
  Profile p = SmallProfile();
  p.mapping.push_back(p.mapping[0]);
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
  p = SmallProfile();
  p.location[0].id = 0;
  p.sample.clear();
  EXPECT_FALSE(DecodeProfile(EncodeProfile(p)).ok());
}

TEST(ProfileTest, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(DecodeProfile("").ok());
  EXPECT_FALSE(DecodeProfile("this is not a profile at all\n").ok());
  EXPECT_FALSE(DecodeProfile(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)).ok());
  std::string good = EncodeProfile(SmallProfile());
  for (size_t cut = 1; cut < good.size(); ++cut) {
    Result<Profile> r = DecodeProfile(good.substr(0, cut));
    if (r.ok()) {
      // A cut at a field boundary can still be a valid, smaller profile; it must then validate.
      EXPECT_TRUE(ValidateProfile(r.value()).ok());
    }
  }
}

TEST(ProfileTest, InternReusesIndexes) {
  Profile p;
  EXPECT_EQ(p.Intern(""), 0);
  int64_t a = p.Intern("a");
  EXPECT_EQ(p.Intern("a"), a);
  EXPECT_NE(p.Intern("b"), a);
  EXPECT_EQ(p.Str(a), "a");
  EXPECT_EQ(p.Str(-1), "");
  EXPECT_EQ(p.Str(99), "");
}

}  // namespace
}  // namespace leaktrack
