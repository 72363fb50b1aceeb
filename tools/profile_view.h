// Read-only views of a profile for the text reports (top, diff, growth).
//
// Owns how a Location turns into display names (demangled and shortened like pprof's default,
// inlined frames expanded, "[binary]" for unsymbolized frames), how a sample type is chosen, and
// how values are printed (pprof's B/kB/MB/GB with 1024 steps). Pure functions over Profile.
#ifndef LEAKTRACK_TOOLS_PROFILE_VIEW_H_
#define LEAKTRACK_TOOLS_PROFILE_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "symbolizer/profile.h"
#include "symbolizer/result.h"

namespace leaktrack {

// The frames of one location, innermost first. `with_address` appends the address to
// unsymbolized frames so different raw addresses stay apart.
std::vector<std::string> LocationFrames(const Profile& p, const Location& loc, bool with_address);

// The stack of a sample as display names, leaf first.
std::vector<std::string> SampleStack(const Profile& p, const Sample& s, bool with_address);

// Reads a profile for a report. A raw dump (the shim's own file) is symbolized first with the
// binaries on this machine and its standard-library frames folded, as `leaktrack symbolize`
// does; problems with single mappings go to stderr as "leaktrack CMD: warning: ..." lines.
Result<Profile> LoadProfileForReport(const std::string& cmd, const std::string& path);

// Index of the sample type called `name`; "" means the profile's default (default_sample_type,
// else the last type, as pprof does).
Result<size_t> SampleIndex(const Profile& p, const std::string& name);

// "1.50MB", "513kB", "12B" for bytes; plain integers otherwise.
std::string FormatValue(int64_t value, const std::string& unit);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_PROFILE_VIEW_H_
