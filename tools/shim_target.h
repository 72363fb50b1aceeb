// Which shim `run` and `attach` load, and whether it can track a given program.
//
// Owns the refusals both commands share: a program the shim cannot work in is turned away with
// the reason before anything is started or stopped. Reads files only.
#ifndef LEAKTRACK_TOOLS_SHIM_TARGET_H_
#define LEAKTRACK_TOOLS_SHIM_TARGET_H_

#include <string>

namespace leaktrack {

// The directory of the running leaktrack binary ("" if unknown).
std::string SelfDir();

// libleaktrack.so beside this binary (a build tree) or in its ../lib, ../lib64 or
// ../lib/x86_64-linux-gnu (an installation), resolved; "" if none.
std::string FindShim();

// Why the shim cannot track the program in ELF file `path`, or "" when it can (or `path` is no
// ELF file: a script's interpreter decides). Statically linked: no dynamic loader to load the
// shim; musl: its loader stops the program on our glibc symbols; 32-bit: the 64-bit shim cannot
// load; linked against a sanitizer runtime: that owns malloc before any preload. `name` is how
// the message calls the program.
std::string TrackingProblem(const std::string& path, const std::string& name);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_SHIM_TARGET_H_
