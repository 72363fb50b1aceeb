// In-memory model of pprof's profile.proto, with a hand-written decoder and encoder.
//
// Owns the wire format (field numbers from docs PPROF.md §1, Go's numbering) and the
// structural invariants pprof enforces: string_table[0] == "", non-zero unique IDs, one value
// per sample type, every referenced ID resolves. Decode() rejects anything else with a
// one-line message, so no later stage has to re-check. Strings are kept as indices into
// string_table exactly as on the wire; Intern() adds new ones. Not thread-safe.
#ifndef LEAKTRACK_SYMBOLIZER_PROFILE_H_
#define LEAKTRACK_SYMBOLIZER_PROFILE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "symbolizer/result.h"

namespace leaktrack {

struct ValueType {
  int64_t type = 0;  // string index
  int64_t unit = 0;  // string index
};

struct Label {
  int64_t key = 0;
  int64_t str = 0;
  int64_t num = 0;
  int64_t num_unit = 0;
};

struct Sample {
  std::vector<uint64_t> location_id;  // leaf first
  std::vector<int64_t> value;
  std::vector<Label> label;
};

struct Mapping {
  uint64_t id = 0;
  uint64_t memory_start = 0;
  uint64_t memory_limit = 0;
  uint64_t file_offset = 0;
  int64_t filename = 0;
  int64_t build_id = 0;
  bool has_functions = false;
  bool has_filenames = false;
  bool has_line_numbers = false;
  bool has_inline_frames = false;
};

struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
  int64_t column = 0;
};

struct Location {
  uint64_t id = 0;
  uint64_t mapping_id = 0;
  uint64_t address = 0;
  std::vector<Line> line;  // innermost (inlined) first, physical caller last
  bool is_folded = false;
};

struct Function {
  uint64_t id = 0;
  int64_t name = 0;
  int64_t system_name = 0;
  int64_t filename = 0;
  int64_t start_line = 0;
};

struct Profile {
  std::vector<ValueType> sample_type;
  std::vector<Sample> sample;
  std::vector<Mapping> mapping;
  std::vector<Location> location;
  std::vector<Function> function;
  std::vector<std::string> string_table{""};
  int64_t drop_frames = 0;
  int64_t keep_frames = 0;
  int64_t time_nanos = 0;
  int64_t duration_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<int64_t> comment;
  int64_t default_sample_type = 0;

  // Returns the index of `s` in string_table, appending it if new. Amortised O(1).
  int64_t Intern(std::string_view s);
  const std::string& Str(int64_t index) const;  // "" for out-of-range indices

  // Lookups by ID; nullptr if absent. The index is rebuilt lazily after structural changes
  // through ReindexIds().
  const Mapping* FindMapping(uint64_t id) const;
  const Location* FindLocation(uint64_t id) const;
  const Function* FindFunction(uint64_t id) const;
  void ReindexIds();

 private:
  std::unordered_map<std::string, int64_t> string_index_;
  std::unordered_map<uint64_t, size_t> mapping_index_;
  std::unordered_map<uint64_t, size_t> location_index_;
  std::unordered_map<uint64_t, size_t> function_index_;
};

// Parses an uncompressed profile.proto message and checks the invariants listed above.
Result<Profile> DecodeProfile(std::string_view bytes);

// Checks the invariants of an in-memory profile (what DecodeProfile guarantees).
Status ValidateProfile(const Profile& profile);

// Serialises `profile` (uncompressed). Zero scalars are omitted; repeated scalars packed.
std::string EncodeProfile(const Profile& profile);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_PROFILE_H_
