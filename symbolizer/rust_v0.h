// Rust's v0 symbol mangling ("_R...", RFC 2603), read into display names.
//
// Owns the short form of a v0 symbol, matching demangle.h's rule for C++: the path with its
// generic arguments dropped, impls spelled "<Type>" and "<Type as Trait>" (with the types' own
// generic arguments dropped as well), closures as "{closure}". rustc writes the standard library
// this way (and programs built with -C symbol-mangling-version=v0), so without it a Rust
// program's frames in `leaktrack top` would read "_RNvXs0_NtNtNtCs...". Input comes from the
// binaries being symbolized: every read is bounds-checked, recursion is bounded, and anything
// unexpected makes the whole result "" (the caller then keeps the symbol as it is).
#ifndef LEAKTRACK_SYMBOLIZER_RUST_V0_H_
#define LEAKTRACK_SYMBOLIZER_RUST_V0_H_

#include <string>

namespace leaktrack {

// "alloc::alloc::alloc" for "_RNvNtCs..._5alloc5alloc5alloc"; "" if `symbol` is not a v0
// symbol or cannot be read.
std::string DemangleRustV0(const std::string& symbol);

// The crate a v0 symbol's leading path starts in ("alloc", "std", the program's own crate),
// following impl and qualified paths; "" when `symbol` is not one or its start cannot be read.
std::string RustV0Crate(const std::string& symbol);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_RUST_V0_H_
