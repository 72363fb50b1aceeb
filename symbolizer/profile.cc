// Decoder, validator and encoder for profile.proto (see profile.h for the contract).
//
// The decoder is written for hostile input (it is fuzzed by profile_fuzzer.cc): every length is
// checked against the remaining buffer before use, recursion is bounded by the fixed message
// nesting of profile.proto, and nothing is trusted until ValidateProfile() has run.
#include "symbolizer/profile.h"

#include <unordered_set>

namespace leaktrack {
namespace {

enum WireType { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

class WireReader {
 public:
  explicit WireReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}

  bool done() const { return p_ == end_; }

  bool ReadVarint(uint64_t* out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      uint8_t byte = static_cast<uint8_t>(*p_++);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = result;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }

  bool ReadTag(int* field, int* wire_type) {
    uint64_t tag;
    if (!ReadVarint(&tag)) return false;
    *field = static_cast<int>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    return *field > 0 && (tag >> 3) < (1u << 29);
  }

  bool ReadBytes(std::string_view* out) {
    uint64_t len;
    if (!ReadVarint(&len)) return false;
    if (len > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(p_, static_cast<size_t>(len));
    p_ += len;
    return true;
  }

  bool Skip(int wire_type) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint: return ReadVarint(&ignored);
      case kFixed64: return Advance(8);
      case kLengthDelimited: return ReadBytes(&bytes);
      case kFixed32: return Advance(4);
      default: return false;  // groups are not part of profile.proto
    }
  }

 private:
  bool Advance(size_t n) {
    if (n > static_cast<size_t>(end_ - p_)) return false;
    p_ += n;
    return true;
  }
  const char* p_;
  const char* end_;
};

// Reads one scalar or a packed run of scalars of a repeated varint field.
template <typename T>
bool ReadRepeatedVarint(WireReader* r, int wire_type, std::vector<T>* out) {
  if (wire_type == kVarint) {
    uint64_t v;
    if (!r->ReadVarint(&v)) return false;
    out->push_back(static_cast<T>(v));
    return true;
  }
  if (wire_type != kLengthDelimited) return false;
  std::string_view packed;
  if (!r->ReadBytes(&packed)) return false;
  WireReader inner(packed);
  while (!inner.done()) {
    uint64_t v;
    if (!inner.ReadVarint(&v)) return false;
    out->push_back(static_cast<T>(v));
  }
  return true;
}

template <typename T>
bool ReadScalar(WireReader* r, int wire_type, T* out) {
  uint64_t v;
  if (wire_type != kVarint || !r->ReadVarint(&v)) return false;
  *out = static_cast<T>(v);
  return true;
}

bool ReadSubmessage(WireReader* r, int wire_type, std::string_view* out) {
  return wire_type == kLengthDelimited && r->ReadBytes(out);
}

// Calls handle(reader, field, wire_type) for each field of one message; the handler consumes
// the field's payload. Unknown fields are skipped by the handlers, as proto3 requires.
template <typename Fn>
bool ForEachField(std::string_view data, Fn&& handle) {
  WireReader r(data);
  int field, wire_type;
  while (!r.done()) {
    if (!r.ReadTag(&field, &wire_type) || !handle(r, field, wire_type)) return false;
  }
  return true;
}

bool ParseValueType(std::string_view data, ValueType* vt) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok = field == 1   ? ReadScalar(&r, wire_type, &vt->type)
              : field == 2 ? ReadScalar(&r, wire_type, &vt->unit)
                           : r.Skip(wire_type);
    return ok;
  });
}

bool ParseLabel(std::string_view data, Label* l) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok = field == 1   ? ReadScalar(&r, wire_type, &l->key)
              : field == 2 ? ReadScalar(&r, wire_type, &l->str)
              : field == 3 ? ReadScalar(&r, wire_type, &l->num)
              : field == 4 ? ReadScalar(&r, wire_type, &l->num_unit)
                           : r.Skip(wire_type);
    return ok;
  });
}

bool ParseSample(std::string_view data, Sample* s) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok;
    if (field == 1) {
      ok = ReadRepeatedVarint(&r, wire_type, &s->location_id);
    } else if (field == 2) {
      ok = ReadRepeatedVarint(&r, wire_type, &s->value);
    } else if (field == 3) {
      std::string_view sub;
      s->label.emplace_back();
      ok = ReadSubmessage(&r, wire_type, &sub) && ParseLabel(sub, &s->label.back());
    } else {
      ok = r.Skip(wire_type);
    }
    return ok;
  });
}

bool ParseMapping(std::string_view data, Mapping* m) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok;
    switch (field) {
      case 1: ok = ReadScalar(&r, wire_type, &m->id); break;
      case 2: ok = ReadScalar(&r, wire_type, &m->memory_start); break;
      case 3: ok = ReadScalar(&r, wire_type, &m->memory_limit); break;
      case 4: ok = ReadScalar(&r, wire_type, &m->file_offset); break;
      case 5: ok = ReadScalar(&r, wire_type, &m->filename); break;
      case 6: ok = ReadScalar(&r, wire_type, &m->build_id); break;
      case 7: ok = ReadScalar(&r, wire_type, &m->has_functions); break;
      case 8: ok = ReadScalar(&r, wire_type, &m->has_filenames); break;
      case 9: ok = ReadScalar(&r, wire_type, &m->has_line_numbers); break;
      case 10: ok = ReadScalar(&r, wire_type, &m->has_inline_frames); break;
      default: ok = r.Skip(wire_type);
    }
    return ok;
  });
}

bool ParseLine(std::string_view data, Line* l) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok = field == 1   ? ReadScalar(&r, wire_type, &l->function_id)
              : field == 2 ? ReadScalar(&r, wire_type, &l->line)
              : field == 3 ? ReadScalar(&r, wire_type, &l->column)
                           : r.Skip(wire_type);
    return ok;
  });
}

bool ParseLocation(std::string_view data, Location* l) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok;
    if (field == 4) {
      std::string_view sub;
      l->line.emplace_back();
      ok = ReadSubmessage(&r, wire_type, &sub) && ParseLine(sub, &l->line.back());
    } else {
      ok = field == 1   ? ReadScalar(&r, wire_type, &l->id)
           : field == 2 ? ReadScalar(&r, wire_type, &l->mapping_id)
           : field == 3 ? ReadScalar(&r, wire_type, &l->address)
           : field == 5 ? ReadScalar(&r, wire_type, &l->is_folded)
                        : r.Skip(wire_type);
    }
    return ok;
  });
}

bool ParseFunction(std::string_view data, Function* f) {
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok = field == 1   ? ReadScalar(&r, wire_type, &f->id)
              : field == 2 ? ReadScalar(&r, wire_type, &f->name)
              : field == 3 ? ReadScalar(&r, wire_type, &f->system_name)
              : field == 4 ? ReadScalar(&r, wire_type, &f->filename)
              : field == 5 ? ReadScalar(&r, wire_type, &f->start_line)
                           : r.Skip(wire_type);
    return ok;
  });
}

bool ParseProfile(std::string_view data, Profile* p) {
  p->string_table.clear();
  return ForEachField(data, [&](WireReader& r, int field, int wire_type) {
    bool ok;
    std::string_view sub;
    switch (field) {
      case 1:
        p->sample_type.emplace_back();
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseValueType(sub, &p->sample_type.back());
        break;
      case 2:
        p->sample.emplace_back();
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseSample(sub, &p->sample.back());
        break;
      case 3:
        p->mapping.emplace_back();
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseMapping(sub, &p->mapping.back());
        break;
      case 4:
        p->location.emplace_back();
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseLocation(sub, &p->location.back());
        break;
      case 5:
        p->function.emplace_back();
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseFunction(sub, &p->function.back());
        break;
      case 6:
        ok = ReadSubmessage(&r, wire_type, &sub);
        if (ok) p->string_table.emplace_back(sub);
        break;
      case 7: ok = ReadScalar(&r, wire_type, &p->drop_frames); break;
      case 8: ok = ReadScalar(&r, wire_type, &p->keep_frames); break;
      case 9: ok = ReadScalar(&r, wire_type, &p->time_nanos); break;
      case 10: ok = ReadScalar(&r, wire_type, &p->duration_nanos); break;
      case 11:
        ok = ReadSubmessage(&r, wire_type, &sub) && ParseValueType(sub, &p->period_type);
        break;
      case 12: ok = ReadScalar(&r, wire_type, &p->period); break;
      case 13: ok = ReadRepeatedVarint(&r, wire_type, &p->comment); break;
      case 14: ok = ReadScalar(&r, wire_type, &p->default_sample_type); break;
      default: ok = r.Skip(wire_type);
    }
    return ok;
  });
}

// ---- Encoder ---------------------------------------------------------------------------------

class WireWriter {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Tag(int field, int wire_type) { Varint((static_cast<uint64_t>(field) << 3) | wire_type); }
  // Omits zero, as proto3 does for scalars.
  void Field(int field, uint64_t v) {
    if (v == 0) return;
    Tag(field, kVarint);
    Varint(v);
  }
  void Bytes(int field, std::string_view bytes) {
    Tag(field, kLengthDelimited);
    Varint(bytes.size());
    out_.append(bytes.data(), bytes.size());
  }
  template <typename T>
  void Packed(int field, const std::vector<T>& values) {
    if (values.empty()) return;
    WireWriter inner;
    for (T v : values) inner.Varint(static_cast<uint64_t>(v));
    Bytes(field, inner.out_);
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string EncodeValueType(const ValueType& vt) {
  WireWriter w;
  w.Field(1, vt.type);
  w.Field(2, vt.unit);
  return w.str();
}

}  // namespace

int64_t Profile::Intern(std::string_view s) {
  if (string_index_.size() != string_table.size()) {
    string_index_.clear();
    for (size_t i = 0; i < string_table.size(); ++i) string_index_.emplace(string_table[i], i);
  }
  auto it = string_index_.find(std::string(s));
  if (it != string_index_.end()) return it->second;
  string_table.emplace_back(s);
  string_index_.emplace(std::string(s), string_table.size() - 1);
  return static_cast<int64_t>(string_table.size() - 1);
}

const std::string& Profile::Str(int64_t index) const {
  static const std::string kEmpty;
  if (index < 0 || static_cast<uint64_t>(index) >= string_table.size()) return kEmpty;
  return string_table[index];
}

void Profile::ReindexIds() {
  mapping_index_.clear();
  location_index_.clear();
  function_index_.clear();
  for (size_t i = 0; i < mapping.size(); ++i) mapping_index_[mapping[i].id] = i;
  for (size_t i = 0; i < location.size(); ++i) location_index_[location[i].id] = i;
  for (size_t i = 0; i < function.size(); ++i) function_index_[function[i].id] = i;
}

const Mapping* Profile::FindMapping(uint64_t id) const {
  auto it = mapping_index_.find(id);
  return it == mapping_index_.end() || it->second >= mapping.size() ? nullptr
                                                                    : &mapping[it->second];
}
const Location* Profile::FindLocation(uint64_t id) const {
  auto it = location_index_.find(id);
  return it == location_index_.end() || it->second >= location.size() ? nullptr
                                                                      : &location[it->second];
}
const Function* Profile::FindFunction(uint64_t id) const {
  auto it = function_index_.find(id);
  return it == function_index_.end() || it->second >= function.size() ? nullptr
                                                                      : &function[it->second];
}

Status ValidateProfile(const Profile& p) {
  if (p.string_table.empty() || !p.string_table[0].empty())
    return MakeError("string_table[0] is not the empty string");
  const int64_t nstr = static_cast<int64_t>(p.string_table.size());
  auto bad_str = [nstr](int64_t i) { return i < 0 || i >= nstr; };
  for (const ValueType& vt : p.sample_type)
    if (bad_str(vt.type) || bad_str(vt.unit)) return MakeError("sample_type string out of range");
  if (bad_str(p.period_type.type) || bad_str(p.period_type.unit) || bad_str(p.drop_frames) ||
      bad_str(p.keep_frames) || bad_str(p.default_sample_type))
    return MakeError("profile string index out of range");
  for (int64_t c : p.comment)
    if (bad_str(c)) return MakeError("comment string index out of range");
  if (p.sample_type.empty() && !p.sample.empty()) return MakeError("missing sample type information");

  std::unordered_set<uint64_t> mapping_ids, location_ids, function_ids;
  for (const Mapping& m : p.mapping) {
    if (m.id == 0 || !mapping_ids.insert(m.id).second) return MakeError("mapping id zero or duplicate");
    if (bad_str(m.filename) || bad_str(m.build_id)) return MakeError("mapping string index out of range");
  }
  for (const Function& f : p.function) {
    if (f.id == 0 || !function_ids.insert(f.id).second)
      return MakeError("function id zero or duplicate");
    if (bad_str(f.name) || bad_str(f.system_name) || bad_str(f.filename))
      return MakeError("function string index out of range");
  }
  for (const Location& l : p.location) {
    if (l.id == 0 || !location_ids.insert(l.id).second)
      return MakeError("location id zero or duplicate");
    if (l.mapping_id != 0 && mapping_ids.count(l.mapping_id) == 0)
      return MakeError("location refers to a missing mapping");
    for (const Line& line : l.line)
      if (function_ids.count(line.function_id) == 0)
        return MakeError("line refers to a missing function");
  }
  for (const Sample& s : p.sample) {
    if (s.value.size() != p.sample_type.size())
      return MakeError("sample has " + std::to_string(s.value.size()) + " values vs. " +
                       std::to_string(p.sample_type.size()) + " types");
    for (uint64_t id : s.location_id)
      if (location_ids.count(id) == 0) return MakeError("sample refers to a missing location");
    for (const Label& l : s.label)
      if (bad_str(l.key) || bad_str(l.str) || bad_str(l.num_unit))
        return MakeError("label string index out of range");
  }
  return Status::Ok();
}

Result<Profile> DecodeProfile(std::string_view bytes) {
  if (bytes.empty()) return MakeError("empty input");
  Profile p;
  if (!ParseProfile(bytes, &p)) return MakeError("malformed protobuf (not a pprof profile)");
  if (p.string_table.empty()) return MakeError("not a pprof profile (no string table)");
  if (p.sample_type.empty() && p.sample.empty() && p.mapping.empty() && p.location.empty())
    return MakeError("not a pprof profile (no sample types, samples or mappings)");
  Status s = ValidateProfile(p);
  if (!s.ok()) return MakeError("invalid profile: " + s.error());
  p.ReindexIds();
  return p;
}

std::string EncodeProfile(const Profile& p) {
  WireWriter w;
  for (const ValueType& vt : p.sample_type) w.Bytes(1, EncodeValueType(vt));
  for (const Sample& s : p.sample) {
    WireWriter sw;
    sw.Packed(1, s.location_id);
    sw.Packed(2, s.value);
    for (const Label& l : s.label) {
      WireWriter lw;
      lw.Field(1, l.key);
      lw.Field(2, l.str);
      lw.Field(3, l.num);
      lw.Field(4, l.num_unit);
      sw.Bytes(3, lw.str());
    }
    w.Bytes(2, sw.str());
  }
  for (const Mapping& m : p.mapping) {
    WireWriter mw;
    mw.Field(1, m.id);
    mw.Field(2, m.memory_start);
    mw.Field(3, m.memory_limit);
    mw.Field(4, m.file_offset);
    mw.Field(5, m.filename);
    mw.Field(6, m.build_id);
    mw.Field(7, m.has_functions);
    mw.Field(8, m.has_filenames);
    mw.Field(9, m.has_line_numbers);
    mw.Field(10, m.has_inline_frames);
    w.Bytes(3, mw.str());
  }
  for (const Location& l : p.location) {
    WireWriter lw;
    lw.Field(1, l.id);
    lw.Field(2, l.mapping_id);
    lw.Field(3, l.address);
    for (const Line& line : l.line) {
      WireWriter nw;
      nw.Field(1, line.function_id);
      nw.Field(2, line.line);
      nw.Field(3, line.column);
      lw.Bytes(4, nw.str());
    }
    lw.Field(5, l.is_folded);
    w.Bytes(4, lw.str());
  }
  for (const Function& f : p.function) {
    WireWriter fw;
    fw.Field(1, f.id);
    fw.Field(2, f.name);
    fw.Field(3, f.system_name);
    fw.Field(4, f.filename);
    fw.Field(5, f.start_line);
    w.Bytes(5, fw.str());
  }
  for (const std::string& s : p.string_table) w.Bytes(6, s);
  w.Field(7, p.drop_frames);
  w.Field(8, p.keep_frames);
  w.Field(9, p.time_nanos);
  w.Field(10, p.duration_nanos);
  if (p.period_type.type != 0 || p.period_type.unit != 0) w.Bytes(11, EncodeValueType(p.period_type));
  w.Field(12, p.period);
  w.Packed(13, p.comment);
  w.Field(14, p.default_sample_type);
  return w.str();
}

}  // namespace leaktrack
