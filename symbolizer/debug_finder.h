// Finds the separate debug file of a binary: by build ID, then by .gnu_debuglink, then from a
// debuginfod server.
//
// Search order, first hit wins (the GDB conventions, which Debian's -dbg/-dbgsym packages use):
//   1. <dir>/.build-id/<xx>/<rest>.debug for each user --debug-dir, then the sysroot's
//      /usr/lib/debug, then this machine's;
//   2. debuglink name in: the binary's directory, <bindir>/.debug/ (both under the sysroot),
//      then <dir>/<bindir>/ for each of the directories of 1;
//   3. the servers of DEBUGINFOD_URLS, by build ID, when a client is given (debuginfod_client.h).
// <bindir> is the directory of the binary's path in the profile, not of the file opened (which
// may be a /proc/PID/map_files link).
// A candidate whose build ID differs from the binary's is skipped, so a stale debug file never
// produces wrong lines. No caching of its own, no output.
#ifndef LEAKTRACK_SYMBOLIZER_DEBUG_FINDER_H_
#define LEAKTRACK_SYMBOLIZER_DEBUG_FINDER_H_

#include <memory>
#include <string>
#include <vector>

#include "symbolizer/debuginfod_client.h"
#include "symbolizer/elf_file.h"

namespace leaktrack {

class DebugFinder {
 public:
  // `debug_dirs` are searched before the system directory. `system_dir` is a parameter so
  // tests can point it at a fixture tree. `sysroot` prefixes the profile's paths (see
  // BinarySource); empty for this machine's /. `debuginfod`, when not null, is asked last and
  // must outlive the finder.
  explicit DebugFinder(std::vector<std::string> debug_dirs,
                       std::string system_dir = "/usr/lib/debug", std::string sysroot = "",
                       DebuginfodClient* debuginfod = nullptr);

  // Returns the opened debug file holding DWARF for `binary`, which the profile calls `path`,
  // or nullptr when none is found. `debuginfod_error`, when not null, gets why the servers of
  // step 3 had none ("" when they were not asked).
  std::unique_ptr<ElfFile> Find(const ElfFile& binary, const std::string& path,
                                std::string* debuginfod_error = nullptr) const;

  // The debug file of build ID `id` (steps 1 and 3), for a binary that is gone: a symbol store
  // keeps debug files by build ID long after the binaries were replaced. `debuginfod_error` as
  // for Find.
  std::unique_ptr<ElfFile> FindByBuildId(const std::string& id,
                                         std::string* debuginfod_error = nullptr) const;

 private:
  std::unique_ptr<ElfFile> FindInDirs(const std::string& id) const;  // step 1
  std::unique_ptr<ElfFile> FindByDebuglink(const ElfFile& binary,  // step 2
                                           const std::string& path) const;
  std::unique_ptr<ElfFile> FetchFromDebuginfod(const std::string& id,  // step 3
                                               std::string* error) const;
  // The file at `path` if it has DWARF and build ID `id` (not checked when either is empty).
  // The binary itself never qualifies: it is only searched for when it has no DWARF.
  std::unique_ptr<ElfFile> TryCandidate(const std::string& path, const std::string& id) const;
  std::vector<std::string> dirs_;  // user dirs, sysroot + system_dir, system_dir
  std::string sysroot_;
  DebuginfodClient* debuginfod_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_DEBUG_FINDER_H_
