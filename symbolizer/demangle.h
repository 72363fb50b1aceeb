// C++ and Rust symbol demangling for display names.
//
// Owns the one rule for Function.name: the demangled name without parameter list, return type
// and template arguments ("_ZN3svc5Cache6InsertEm" -> "svc::Cache::Insert"), close to what
// pprof's default demangler shows. Rust's legacy symbols lose their '$' escapes and hash
// ("alloc::vec::Vec::push"); its v0 symbols ("_R...") are read by rust_v0.h, and one that cannot
// be read is kept as it is, which pprof then demangles itself. Function.system_name keeps the
// mangled symbol, so pprof's -symbolize=demangle=full|templates can still rebuild other forms.
// Thread-safe; allocates.
#ifndef LEAKTRACK_SYMBOLIZER_DEMANGLE_H_
#define LEAKTRACK_SYMBOLIZER_DEMANGLE_H_

#include <string>

namespace leaktrack {

// Short display name of `symbol`. Names that are not Itanium-mangled come back unchanged except
// that template argument lists are dropped (DWARF names of template instances carry them).
std::string ShortDisplayName(const std::string& symbol);

// True for a Rust symbol, in either mangling (v0 "_R...", or legacy Itanium with a hash).
bool IsRustSymbol(const std::string& symbol);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_DEMANGLE_H_
