// Where a profiled process's dumps are: the directories its shim writes to, and the dumps
// (leaktrack.<pid>.<seq>.pb.gz) found there. `dump` waits for a new one; `ps` counts them.
#ifndef LEAKTRACK_TOOLS_DUMP_FILES_H_
#define LEAKTRACK_TOOLS_DUMP_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tools/target_process.h"

namespace leaktrack {

// Where the shim writes the dumps of a process with environment `env` (preload/dump_trigger.cc):
// LEAKTRACK_DIR; else its working directory, and when that cannot take them, $TMPDIR or /tmp.
// `shim_dirs`, the shim's own word on them (ShimDumpDirs, tools/shim_settings.h), wins when it
// was read and the shim has started. Paths as we see them (under the process's root).
std::vector<std::string> DumpDirs(const TargetProcess& target,
                                  const std::optional<std::vector<std::string>>& shim_dirs,
                                  const std::map<std::string, std::string>& env);

// The dumps of `pid` (as the process calls itself) present in `dirs`, as (sequence, dir).
std::set<std::pair<uint64_t, std::string>> ListDumps(const std::vector<std::string>& dirs,
                                                     pid_t pid);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_DUMP_FILES_H_
