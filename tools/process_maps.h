// The lines of a /proc/PID/maps text, parsed once for the tools that look things up in it.
//
// Pure parsing: reading the file is the caller's (ReadWholeFile), so one read can serve several
// lookups.
#ifndef LEAKTRACK_TOOLS_PROCESS_MAPS_H_
#define LEAKTRACK_TOOLS_PROCESS_MAPS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace leaktrack {

struct MapsLine {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t offset = 0;
  unsigned dev_major = 0;
  unsigned dev_minor = 0;
  uint64_t inode = 0;  // 0 for anonymous memory
  std::string path;    // as the kernel prints it ("[stack]", "/usr/lib/... (deleted)"), or ""
};

// The well-formed lines of `text`, in its order: ascending addresses, as the kernel prints them,
// which MappingAt relies on. Other lines are skipped.
std::vector<MapsLine> ParseProcMaps(const std::string& text);

// The line whose range holds `address`, or nullptr.
const MapsLine* MappingAt(const std::vector<MapsLine>& maps, uint64_t address);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_PROCESS_MAPS_H_
