// See dump_files.h.
#include "tools/dump_files.h"

#include <dirent.h>

#include "tools/cli.h"

namespace leaktrack {

std::set<std::pair<uint64_t, std::string>> ListDumps(const std::vector<std::string>& dirs,
                                                     pid_t pid) {
  std::set<std::pair<uint64_t, std::string>> dumps;
  const std::string prefix = "leaktrack." + std::to_string(pid) + ".";
  const std::string suffix = ".pb.gz";
  for (const std::string& dir : dirs) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      uint64_t seq;
      if (ParseUint(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()),
                    &seq))
        dumps.emplace(seq, dir);
    }
    closedir(d);
  }
  return dumps;
}

std::vector<std::string> DumpDirs(const TargetProcess& target,
                                  const std::optional<std::vector<std::string>>& shim_dirs,
                                  const std::map<std::string, std::string>& env) {
  if (shim_dirs.has_value() && !shim_dirs->empty()) {
    if (!(*shim_dirs)[0].empty()) return {target.Here((*shim_dirs)[0])};
    return {target.cwd, target.Here((*shim_dirs)[1])};
  }
  if (auto it = env.find("LEAKTRACK_DIR"); it != env.end() && !it->second.empty())
    return {target.Here(it->second)};
  auto tmp = env.find("TMPDIR");
  const bool tmpdir = tmp != env.end() && !tmp->second.empty() && tmp->second[0] == '/';
  return {target.cwd, target.Here(tmpdir ? tmp->second : "/tmp")};
}

}  // namespace leaktrack
