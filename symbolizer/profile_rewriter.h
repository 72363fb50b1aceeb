// Turns a raw profile (recipe (a) of PPROF.md) into a symbolized one (recipe (b)) in place.
//
// Owns the rules of PPROF.md §4: Function entries with the mangled symbol as system_name and
// its short demangled form as name (see demangle.h for why not name == system_name), Line entries innermost first inside the one Location, samples/addresses/mappings
// kept, and truthful has_* flags per mapping. Mappings that are already symbolized (any of
// has_functions/has_filenames/has_line_numbers set, pprof's own skip rule) are left alone, so
// symbolizing twice is a no-op. A mapping whose binary is missing or has another build ID stays
// raw and yields one warning line; the rest of the profile is still symbolized.
#ifndef LEAKTRACK_SYMBOLIZER_PROFILE_REWRITER_H_
#define LEAKTRACK_SYMBOLIZER_PROFILE_REWRITER_H_

#include <string>
#include <vector>

#include "symbolizer/profile.h"
#include "symbolizer/symbol_cache.h"

namespace leaktrack {

struct SymbolizeReport {
  std::vector<std::string> warnings;  // one line each, no trailing newline
  size_t locations_considered = 0;
  size_t locations_symbolized = 0;
};

// The path of the file a Mapping names: its filename without the " (deleted)" that
// /proc/PID/maps appends to a file removed since it was mapped. SymbolCache is asked for it.
std::string MappedPath(const std::string& filename);

// Symbolizes every unsymbolized Location of `profile` that belongs to a file-backed mapping.
// The profile stays valid (ValidateProfile) afterwards. Never fails as a whole: problems with
// single mappings are reported in the returned warnings.
SymbolizeReport SymbolizeProfile(Profile* profile, SymbolCache* cache);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_PROFILE_REWRITER_H_
