// C++ symbol demangling for display names.
//
// Owns the one rule for Function.name: the demangled name without parameter list and template
// arguments ("_ZN3svc5Cache6InsertEm" -> "svc::Cache::Insert"), close to what pprof's default
// demangler shows. Function.system_name keeps the mangled symbol, so pprof's
// -symbolize=demangle=full|templates can still rebuild other forms. Thread-safe; allocates.
#ifndef LEAKTRACK_SYMBOLIZER_DEMANGLE_H_
#define LEAKTRACK_SYMBOLIZER_DEMANGLE_H_

#include <string>

namespace leaktrack {

// Short display name of `symbol`. Names that are not Itanium-mangled come back unchanged except
// that template argument lists are dropped (DWARF names of template instances carry them).
std::string ShortDisplayName(const std::string& symbol);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_DEMANGLE_H_
