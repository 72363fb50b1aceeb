// How `leaktrack dump` sees a process that may run in a container.
//
// Owns the translation between the target's view and ours. A process in a PID namespace calls
// itself by another PID (the shim names its dumps leaktrack.<that PID>.SEQ.pb.gz), and one
// under another root (a container, a chroot) writes its dumps and maps its binaries under
// paths that mean something else here: /proc/PID/root and /proc/PID/cwd reach them. For a
// process that shares our root, paths are used as they are.
#ifndef LEAKTRACK_TOOLS_TARGET_PROCESS_H_
#define LEAKTRACK_TOOLS_TARGET_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "symbolizer/profile.h"

namespace leaktrack {

struct TargetProcess {
  pid_t pid = 0;       // in our PID namespace
  pid_t own_pid = 0;   // what getpid() returns in the process (the last NSpid of its status)
  std::string root;    // "" when the process shares our root, else "/proc/PID/root"
  std::string cwd;     // its working directory as a path here ("" when unreadable)

  // `path` as the process means it (absolute, or relative to its working directory), as a
  // path here. "" for a relative path when the working directory is unknown.
  std::string Here(const std::string& path) const;
};

// Reads /proc/PID/status, /proc/PID/root and /proc/PID/cwd. Never fails: what cannot be read
// is taken to be as ours (same root, same PID).
TargetProcess InspectTarget(pid_t pid);

// For each file-backed mapping of `profile`, the /proc/PID/map_files link of the mapping that
// holds its start in the process now: the very file it mapped, even if replaced or deleted on
// disk since. Only mappings with a build ID (which the symbolizer checks) get one. Keyed like
// BinarySource::mapped_files. Links need CAP_SYS_ADMIN (or
// CAP_CHECKPOINT_RESTORE) to open; without, the symbolizer falls back to the paths.
std::map<std::string, std::string> MappedFileLinks(pid_t pid, const Profile& profile);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_TARGET_PROCESS_H_
