// See process_maps.h.
#include "tools/process_maps.h"

#include <algorithm>
#include <cstdio>

namespace leaktrack {

std::vector<MapsLine> ParseProcMaps(const std::string& text) {
  std::vector<MapsLine> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    unsigned long long start, end, offset, inode;
    MapsLine m;
    int path_at = 0;
    if (sscanf(line.c_str(), "%llx-%llx %*s %llx %x:%x %llu %n", &start, &end, &offset,
               &m.dev_major, &m.dev_minor, &inode, &path_at) < 6 ||
        end < start)
      continue;
    m.start = start;
    m.end = end;
    m.offset = offset;
    m.inode = inode;
    if (path_at > 0) m.path = line.substr(path_at);
    lines.push_back(std::move(m));
  }
  return lines;
}

const MapsLine* MappingAt(const std::vector<MapsLine>& maps, uint64_t address) {
  auto it = std::upper_bound(maps.begin(), maps.end(), address,
                             [](uint64_t a, const MapsLine& m) { return a < m.end; });
  return it != maps.end() && address >= it->start ? &*it : nullptr;
}

}  // namespace leaktrack
