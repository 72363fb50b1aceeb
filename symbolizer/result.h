// Result<T> and Status: the error channel of symbolizer/ and tools/.
//
// Owns the convention that every fallible call returns either a value or a one-line,
// human-readable message (no trailing newline, no "error:" prefix). Tools print that message
// once and map it to an exit code; library code never prints and never exits.
#ifndef LEAKTRACK_SYMBOLIZER_RESULT_H_
#define LEAKTRACK_SYMBOLIZER_RESULT_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace leaktrack {

struct Error {
  std::string message;
};

inline Error MakeError(std::string message) { return Error{std::move(message)}; }

// A value or an Error. Accessing value() of a failed Result is a programming error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  const std::string& error() const { return error_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
  std::string error_;
};

// Success or an Error, for calls without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : ok_(false), error_(std::move(error.message)) {}  // NOLINT
  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  bool ok_ = true;
  std::string error_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_RESULT_H_
