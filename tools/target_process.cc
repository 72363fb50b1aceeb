// Seeing a possibly containerized process from here (see target_process.h).
#include "tools/target_process.h"

#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <vector>

#include "symbolizer/gzip_io.h"
#include "symbolizer/profile_rewriter.h"

namespace leaktrack {
namespace {

// The last field of "NSpid:" in /proc/PID/status: the PID in the process's own namespace.
// Kernels before 4.1 have no NSpid line; they have no other PID to give either.
pid_t OwnPid(const std::string& proc, pid_t pid) {
  Result<std::string> status = ReadWholeFile(proc + "/status");
  if (!status.ok()) return pid;
  std::istringstream lines(status.value());
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("NSpid:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    long value = 0, last = 0;
    while (fields >> value) last = value;
    return last > 0 ? static_cast<pid_t>(last) : pid;
  }
  return pid;
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return true;  // cannot tell
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

std::string TargetProcess::Here(const std::string& path) const {
  if (!path.empty() && path[0] == '/') return root + path;
  if (cwd.empty()) return "";
  return path.empty() ? cwd : cwd + "/" + path;
}

TargetProcess InspectTarget(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  TargetProcess t;
  t.pid = pid;
  t.own_pid = OwnPid(proc, pid);
  if (!SameFile(proc + "/root", "/")) {
    // Another root: its paths are only reachable through the kernel's links.
    t.root = proc + "/root";
    t.cwd = proc + "/cwd";
    return t;
  }
  char buf[PATH_MAX];
  ssize_t n = readlink((proc + "/cwd").c_str(), buf, sizeof buf - 1);
  if (n > 0) t.cwd.assign(buf, n);
  return t;
}

std::map<std::string, std::string> MappedFileLinks(pid_t pid, const Profile& profile) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::map<std::string, std::string> links;
  Result<std::string> maps = ReadWholeFile(proc + "/maps");
  if (!maps.ok()) return links;
  struct Range {
    uint64_t lo, hi;
  };
  std::vector<Range> files;  // file-backed lines (inode != 0)
  std::istringstream lines(maps.value());
  std::string line;
  while (std::getline(lines, line)) {
    uint64_t lo, hi, offset, inode;
    char perms[8], dev[16];
    if (sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %15s %" SCNu64, &lo, &hi,
               perms, &offset, dev, &inode) == 6 &&
        inode != 0)
      files.push_back({lo, hi});
  }
  for (const Mapping& m : profile.mapping) {
    const std::string path = MappedPath(profile.Str(m.filename));
    // Without a build ID to check, an address range reused since the dump could name another
    // file; the path is then the better guess.
    if (path.empty() || path[0] != '/' || m.build_id == 0 || links.count(path)) continue;
    for (const Range& r : files) {
      if (m.memory_start < r.lo || m.memory_start >= r.hi) continue;
      char name[64];
      snprintf(name, sizeof name, "/map_files/%" PRIx64 "-%" PRIx64, r.lo, r.hi);
      links[path] = proc + name;
      break;
    }
  }
  return links;
}

}  // namespace leaktrack
