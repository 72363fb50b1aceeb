// Views of a profile for the commands: naming and the text reports (top, diff, growth).
//
// Owns how a command names a raw profile (NameProfile: symbolized, then its standard-library
// frames folded), how a Location turns into display names (demangled and shortened like pprof's
// default, inlined frames expanded, "[binary]" for unsymbolized frames), how a sample type is
// chosen, and how values are printed (pprof's B/kB/MB/GB with 1024 steps).
#ifndef LEAKTRACK_TOOLS_PROFILE_VIEW_H_
#define LEAKTRACK_TOOLS_PROFILE_VIEW_H_

#include <cstdint>
#include <string>
#include <vector>

#include "symbolizer/profile.h"
#include "symbolizer/result.h"
#include "symbolizer/symbol_cache.h"
#include "tools/cli.h"

namespace leaktrack {

// The frames of one location, innermost first. `with_address` appends the address to
// unsymbolized frames so different raw addresses stay apart.
std::vector<std::string> LocationFrames(const Profile& p, const Location& loc, bool with_address);

// The stack of a sample as display names, leaf first.
std::vector<std::string> SampleStack(const Profile& p, const Sample& s, bool with_address);

// Names a raw profile for command `cmd` (symbolize, dump, and the reports): symbolized with the
// binaries `source` points at (this machine's by default) and `debug_dirs`, one stderr line
// per mapping that could not be
// ("leaktrack CMD: warning: ...") and one if the process dropped samples, then, with `fold` and if anything was named here, its
// standard-library frames charged to the program (symbolizer/runtime_frames.h). A profile
// that is already symbolized is left as it is, so naming twice changes nothing.
void NameProfile(const std::string& cmd, Profile* p, const std::vector<std::string>& debug_dirs,
                 const BinarySource& source, bool fold);

// Where a raw dump's names come from: `symbolize`'s --debug-dir and --sysroot, which the reports
// (top, diff, growth) take too, for a dump of a process whose binaries are not this machine's
// (a container's root, unpacked).
struct NamingSources {
  std::vector<std::string> debug_dirs;
  BinarySource source;
};

// Reads --debug-dir DIR (repeatable) or --sysroot DIR into *sources when the next argument is
// one of them, and returns true; a bad one sets *error and *exit_code (a missing value is a
// usage error, a sysroot that is no directory a failure). False for any other argument.
bool ReadNamingOption(ArgReader* args, NamingSources* sources, std::string* error,
                      int* exit_code);

// Reads a profile for a report, naming a raw dump (the shim's own file: no functions at all) as
// `symbolize` does, from `sources`. A named profile is read as it is.
Result<Profile> LoadProfileForReport(const std::string& cmd, const std::string& path,
                                     const NamingSources& sources = {});

// Index of the sample type called `name`; "" means the profile's default (default_sample_type,
// else the last type, as pprof does).
Result<size_t> SampleIndex(const Profile& p, const std::string& name);

// "1.50MB", "513kB", "12B" for bytes; plain integers otherwise.
std::string FormatValue(int64_t value, const std::string& unit);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_PROFILE_VIEW_H_
