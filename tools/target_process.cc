// Seeing a possibly containerized process from here (see target_process.h).
#include "tools/target_process.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <vector>

#include "symbolizer/gzip_io.h"
#include "symbolizer/profile_rewriter.h"
#include "tools/process_maps.h"

namespace leaktrack {
namespace {

// The whitespace-separated numbers after "<key>:" in a /proc status text.
std::vector<unsigned long long> StatusNumbers(const std::string& status, const std::string& key,
                                              int base) {
  std::vector<unsigned long long> out;
  const size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return out;
  const size_t from = at + key.size() + 2;
  std::istringstream fields(status.substr(from, status.find('\n', from) - from));
  std::string word;
  while (fields >> word) out.push_back(strtoull(word.c_str(), nullptr, base));
  return out;
}

// The last NSpid in a status text: the PID in the process's own namespace. Kernels before 4.1
// have no NSpid line; they have no other PID to give either.
pid_t OwnPid(const std::string& status, pid_t pid) {
  const std::vector<unsigned long long> ns = StatusNumbers(status, "NSpid", 10);
  return ns.empty() || ns.back() == 0 ? pid : static_cast<pid_t>(ns.back());
}

// x86-64 system calls that a caught signal ends with EINTR whatever SA_RESTART says (signal(7)),
// with the name a user knows them by.
const char* InterruptedByAnySignal(long nr, unsigned long long futex_timeout) {
  switch (nr) {
    case 7: case 271: return "poll";
    case 23: case 270: return "select";
    case 232: case 281: case 441: return "epoll_wait";
    case 35: case 230: return "nanosleep";
    case 34: return "pause";
    case 130: return "sigsuspend";
    case 128: return "sigtimedwait";
    case 42: return "connect";  // restarted, it fails with EALREADY
    case 65: case 220: return "semop";
    case 69: case 70: return "msgsnd/msgrcv";
    case 208: case 333: return "io_getevents";
    case 242: case 243: return "mq_timedsend/receive";
    case 426: return "io_uring_enter";
    case 449: return "futex_waitv";
    case 202: return futex_timeout != 0 ? "a futex wait with a timeout" : nullptr;
    default: return nullptr;
  }
}

// Whether `signo` is in the thread's blocked set (the SigBlk line of its status).
// The threads of `pid`, in ascending order (the main thread, tid == pid, first); none when the
// process is gone.
std::vector<pid_t> ThreadIds(pid_t pid) {
  std::vector<pid_t> tids;
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (dir == nullptr) return tids;
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') tids.push_back(static_cast<pid_t>(atoi(e->d_name)));
  closedir(dir);
  std::sort(tids.begin(), tids.end());
  return tids;
}

bool Blocks(const std::string& status, int signo) {
  const std::vector<unsigned long long> mask = StatusNumbers(status, "SigBlk", 16);
  return !mask.empty() && signo >= 1 && signo <= 64 && (mask[0] >> (signo - 1)) & 1;
}

// What thread `base` (/proc/PID/task/TID) is doing: "running", an EINTR-prone call's name,
// "" for a call SA_RESTART restarts, or nullptr when unknown (stopped outside a system call).
// *readable is false when the syscall file cannot be read (no ptrace access).
const char* ThreadActivity(const std::string& base, bool* readable) {
  Result<std::string> call = ReadWholeFile(base + "/syscall");
  *readable = call.ok();
  if (!call.ok()) return nullptr;
  if (call.value().rfind("running", 0) == 0) return "running";
  long nr = -1;
  unsigned long long args[6] = {};
  if (sscanf(call.value().c_str(), "%ld %llx %llx %llx %llx %llx %llx", &nr, &args[0], &args[1],
             &args[2], &args[3], &args[4], &args[5]) < 1 || nr < 0)
    return nullptr;
  const char* name = InterruptedByAnySignal(nr, args[3]);
  return name != nullptr ? name : "";
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return true;  // cannot tell
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// The State letter of a /proc status text (R, S, D, T, t, Z, ...); '\0' when there is none.
char StateOf(const std::string& status) {
  const size_t at = status.find("\nState:\t");
  return at == std::string::npos || at + 8 >= status.size() ? '\0' : status[at + 8];
}

// ProcDir, given the process's status as read already.
std::string ProcDirFor(pid_t pid, const std::string& status) {
  const std::string proc = "/proc/" + std::to_string(pid);
  if (StateOf(status) != 'Z') return proc;
  for (pid_t tid : ThreadIds(pid)) {
    const std::string task = proc + "/task/" + std::to_string(tid);
    Result<std::string> thread = ReadWholeFile(task + "/status");
    if (tid != pid && thread.ok() && StateOf(thread.value()) != 'Z') return task;
  }
  return proc;  // all gone: the process is exiting
}

}  // namespace

std::string TargetProcess::Here(const std::string& path) const {
  if (!path.empty() && path[0] == '/') return root + path;
  if (cwd.empty()) return "";
  return path.empty() ? cwd : cwd + "/" + path;
}

std::string ProcDir(pid_t pid) {
  Result<std::string> status = ReadWholeFile("/proc/" + std::to_string(pid) + "/status");
  return ProcDirFor(pid, status.ok() ? status.value() : std::string());
}

TargetProcess InspectTarget(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  TargetProcess t;
  t.pid = pid;
  Result<std::string> status = ReadWholeFile(proc + "/status");
  t.proc = ProcDirFor(pid, status.ok() ? status.value() : std::string());
  const std::string& dir = t.proc;
  t.own_pid = status.ok() ? OwnPid(status.value(), pid) : pid;
  if (status.ok()) {
    const auto uids = StatusNumbers(status.value(), "Uid", 10);  // real, effective, saved, fs
    const auto gids = StatusNumbers(status.value(), "Gid", 10);
    const auto caps = StatusNumbers(status.value(), "CapEff", 16);
    if (uids.size() >= 4 && gids.size() >= 4 && !caps.empty()) {
      const unsigned long long kDacOverride = 1ull << 1;
      t.credentials_known = true;
      t.fs_uid = static_cast<uid_t>(uids[3]);
      t.overrides_permissions = t.fs_uid == 0 || (caps[0] & kDacOverride) != 0;
      t.fs_groups.push_back(static_cast<gid_t>(gids[3]));
      for (unsigned long long g : StatusNumbers(status.value(), "Groups", 10))
        t.fs_groups.push_back(static_cast<gid_t>(g));
    }
  }
  if (!SameFile(dir + "/root", "/") || !SameFile(dir + "/ns/mnt", "/proc/self/ns/mnt")) {
    // Another root, or our root seen through other mounts (systemd's PrivateTmp and
    // ProtectSystem= give a service its own mount namespace): its paths are only reachable
    // through the kernel's links, which walk its mounts.
    t.root = dir + "/root";
    t.cwd = dir + "/cwd";
    return t;
  }
  char buf[PATH_MAX];
  ssize_t n = readlink((dir + "/cwd").c_str(), buf, sizeof buf - 1);
  if (n > 0) t.cwd.assign(buf, n);
  return t;
}

std::string DumpDirProblem(const TargetProcess& target, const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return strerror(errno);
  if (!S_ISDIR(st.st_mode)) return "not a directory";
  struct statvfs fs;
  if (statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY)) return "read-only file system";
  if (!target.credentials_known || target.overrides_permissions) return "";
  const bool in_group = std::find(target.fs_groups.begin(), target.fs_groups.end(),
                                  st.st_gid) != target.fs_groups.end();
  const mode_t need = S_IWOTH | S_IXOTH;
  const mode_t mode = target.fs_uid == st.st_uid ? (st.st_mode >> 6) & 7
                      : in_group                 ? (st.st_mode >> 3) & 7
                                                 : st.st_mode & 7;
  if ((mode & need) != need)
    return "not writable by the process (uid " + std::to_string(target.fs_uid) + ")";
  return "";
}

Disposition SignalDisposition(pid_t pid, int signo) {
  Result<std::string> status = ReadWholeFile("/proc/" + std::to_string(pid) + "/status");
  if (!status.ok() || signo < 1 || signo > 64) return Disposition::kUnknown;
  const auto caught = StatusNumbers(status.value(), "SigCgt", 16);
  const auto ignored = StatusNumbers(status.value(), "SigIgn", 16);
  if (caught.empty() || ignored.empty()) return Disposition::kUnknown;
  const unsigned long long bit = 1ull << (signo - 1);
  if (caught[0] & bit) return Disposition::kCaught;
  return (ignored[0] & bit) ? Disposition::kIgnored : Disposition::kDefault;
}

bool IsStopped(pid_t pid) {
  Result<std::string> status = ReadWholeFile("/proc/" + std::to_string(pid) + "/status");
  const char state = status.ok() ? StateOf(status.value()) : '\0';
  return state == 'T' || state == 't';
}

bool EveryThreadBlocks(pid_t pid, int signo) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task/";
  const std::vector<pid_t> tids = ThreadIds(pid);
  for (pid_t tid : tids) {
    Result<std::string> status = ReadWholeFile(task + std::to_string(tid) + "/status");
    if (!status.ok() || !Blocks(status.value(), signo)) return false;
  }
  return !tids.empty();
}

SignalTarget QuietThread(pid_t pid, int signo) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  SignalTarget target;
  const std::vector<pid_t> tids = ThreadIds(pid);  // the main thread (tid == pid) first
  // A thread waiting in a restartable call stays there until its event comes. A running one is
  // only the second choice: an event loop runs between two polls, so one seen running is looked
  // at a few times more, and counts as polling if it is ever seen doing so.
  pid_t running = 0;
  int looks_left = 64;
  for (pid_t tid : tids) {
    const std::string base = task + "/" + std::to_string(tid);
    Result<std::string> status = ReadWholeFile(base + "/status");
    if (!status.ok() || Blocks(status.value(), signo)) continue;
    bool readable;
    const char* what = ThreadActivity(base, &readable);
    if (!readable) return SignalTarget();  // no ptrace access: nothing is known
    for (int look = 0; what != nullptr && strcmp(what, "running") == 0 && look < 4 &&
                       looks_left > 0; ++look, --looks_left) {
      usleep(250);
      what = ThreadActivity(base, &readable);
    }
    if (what == nullptr) continue;  // stopped outside a system call: no telling what comes next
    if (what[0] == '\0') {
      target.tid = tid;
      target.restartable = true;
      return target;
    }
    if (strcmp(what, "running") == 0) {
      if (running == 0) running = tid;
    } else if (target.interrupted.empty()) {
      target.interrupted = what;
    }
  }
  target.tid = running;
  return target;
}

std::map<std::string, std::string> MappedFileLinks(const TargetProcess& target,
                                                   const Profile& profile) {
  const std::string& proc = target.proc;
  std::map<std::string, std::string> links;
  Result<std::string> maps = ReadWholeFile(proc + "/maps");
  if (!maps.ok()) return links;
  const std::vector<MapsLine> lines = ParseProcMaps(maps.value());
  for (const Mapping& m : profile.mapping) {
    const std::string path = MappedPath(profile.Str(m.filename));
    // Without a build ID to check, an address range reused since the dump could name another
    // file; the path is then the better guess.
    if (path.empty() || path[0] != '/' || m.build_id == 0 || links.count(path)) continue;
    const MapsLine* file = MappingAt(lines, m.memory_start);
    if (file == nullptr || file->inode == 0) continue;  // file-backed lines only
    char name[64];
    snprintf(name, sizeof name, "/map_files/%" PRIx64 "-%" PRIx64, file->start, file->end);
    links[path] = proc + name;
  }
  return links;
}

}  // namespace leaktrack
