// A minimal protobuf encoder into a fixed buffer, for the pprof profile (profile.proto).
//
// Only what a profile needs: varints, length-delimited fields and packed repeated varints.
// Writes never allocate; running out of room sets a sticky overflow flag that the dump checks
// once at the end (the buffer is sized from the tables beforehand, so it means a bug, and the
// dump is then abandoned rather than written truncated). Async-signal-safe.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace leaktrack {

class ProtoWriter {
 public:
  ProtoWriter(char* buf, size_t cap) : begin_(buf), p_(buf), end_(buf + cap) {}

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      Byte(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    Byte(static_cast<char>(v));
  }
  void Tag(int field, int wire_type) { Varint(static_cast<uint64_t>(field) << 3 | wire_type); }
  // int64 fields use plain varints (two's complement, 10 bytes when negative), not zigzag.
  void Int(int field, int64_t v) {
    if (v == 0) return;  // proto3: zero is the default and is omitted
    Tag(field, 0);
    Varint(static_cast<uint64_t>(v));
  }
  void Bytes(int field, const void* data, size_t len) {
    Tag(field, 2);
    Varint(len);
    Raw(data, len);
  }
  void String(int field, const char* s) { Bytes(field, s, strlen(s)); }
  // A nested message already encoded in another writer.
  void Message(int field, const ProtoWriter& m) { Bytes(field, m.begin_, m.size()); }
  // Packed repeated varints.
  void Packed(int field, const uint64_t* values, int n, char* scratch, size_t scratch_cap) {
    ProtoWriter inner(scratch, scratch_cap);
    for (int i = 0; i < n; ++i) inner.Varint(values[i]);
    overflow_ |= inner.overflow();
    Bytes(field, scratch, inner.size());
  }
  void Raw(const void* data, size_t len) {
    if (static_cast<size_t>(end_ - p_) < len) {
      overflow_ = true;
      return;
    }
    memcpy(p_, data, len);
    p_ += len;
  }

  void Reset() { p_ = begin_; overflow_ = false; }
  size_t size() const { return static_cast<size_t>(p_ - begin_); }
  const char* data() const { return begin_; }
  bool overflow() const { return overflow_; }

 private:
  void Byte(char c) {
    if (p_ == end_) {
      overflow_ = true;
      return;
    }
    *p_++ = c;
  }
  char* begin_;
  char* p_;
  char* end_;
  bool overflow_ = false;
};

}  // namespace leaktrack
