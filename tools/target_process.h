// How `leaktrack dump` sees a process that may run in a container.
//
// Owns the translation between the target's view and ours. A process in a PID namespace calls
// itself by another PID (the shim names its dumps leaktrack.<that PID>.SEQ.pb.gz), and one
// under another root (a container, a chroot) or in another mount namespace (a systemd service
// with PrivateTmp=yes, whose /tmp is its own) writes its dumps and maps its binaries under
// paths that mean something else here: /proc/PID/root and /proc/PID/cwd reach them. For a
// process that shares our root and our mounts, paths are used as they are.
#ifndef LEAKTRACK_TOOLS_TARGET_PROCESS_H_
#define LEAKTRACK_TOOLS_TARGET_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "symbolizer/profile.h"

namespace leaktrack {

struct TargetProcess {
  pid_t pid = 0;       // in our PID namespace
  pid_t own_pid = 0;   // what getpid() returns in the process (the last NSpid of its status)
  std::string proc;    // ProcDir(pid), looked up once
  std::string root;    // "" when the process shares our root and mounts, else "/proc/PID/root"
  std::string cwd;     // its working directory as a path here ("" when unreadable)
  // Who it is to the file system (from its status), for DumpDirProblem. Unknown: no check.
  bool credentials_known = false;
  bool overrides_permissions = false;  // fs uid 0, or CAP_DAC_OVERRIDE
  uid_t fs_uid = 0;
  std::vector<gid_t> fs_groups;  // fs gid, then the supplementary groups

  // `path` as the process means it (absolute, or relative to its working directory), as a
  // path here. "" for a relative path when the working directory is unknown.
  std::string Here(const std::string& path) const;
};

// Reads /proc/PID/status, and root, ns/mnt and cwd under ProcDir(pid) (kept as `proc`). Never fails: what cannot
// be read is taken to be as ours (same root and mounts, same PID).
TargetProcess InspectTarget(pid_t pid);

// The /proc directory to read a process's maps, environ, mem, exe, root, cwd, ns and map_files
// through: /proc/PID, or /proc/PID/task/TID of a live thread once the main thread has exited
// (a program whose main() ends with pthread_exit while its workers run on). The kernel answers
// those through the thread it names, and an exited main thread has none of them left: its maps
// read empty, and `dump` took the process for one without the shim.
std::string ProcDir(pid_t pid);

// Why the process could not create its dump in `dir` (a path here): missing, not a directory,
// on a read-only file system (a container's root often is), or not writable for the process's
// file-system uid and groups (unless it is root or has CAP_DAC_OVERRIDE). "" when nothing is
// known against it. The shim would only say so on the process's stderr.
std::string DumpDirProblem(const TargetProcess& target, const std::string& dir);

// What process `pid` does on signal `signo`, from the SigCgt and SigIgn masks of its status:
// sending a signal it neither catches nor ignores runs the default action, which for SIGUSR2
// and most others ends the process.
enum class Disposition { kCaught, kIgnored, kDefault, kUnknown };
Disposition SignalDisposition(pid_t pid, int signo);

// True when process `pid` is stopped: by SIGSTOP or a terminal's ^Z (state T), or by a
// debugger or tracer (state t). It runs no signal handler, and so writes no dump, until it is
// continued.
bool IsStopped(pid_t pid);

// True when every thread of `pid` blocks `signo` (SigBlk): a program that takes its signals with
// sigwait or signalfd. Sent anyway, the signal would stay pending, or be taken by the program's
// own sigwait, which did not ask for it. False when unknown.
bool EveryThreadBlocks(pid_t pid, int signo);

// Where a dump signal can land without cutting a system call short. A signal sent to the
// process goes to its main thread unless that blocks it, and a thread waiting in poll,
// epoll_wait, select, nanosleep, sigtimedwait or the like (signal(7)'s list) returns EINTR from
// it even though the shim's handler has SA_RESTART: a program that takes that for an error exits
// (coreutils' `tail -f` does). A thread waiting in a call SA_RESTART restarts (read, accept,
// futex without timeout) runs the handler and carries on unaware; so does a running one, unless
// it enters such a wait before the signal arrives, so it is the second choice.
struct SignalTarget {
  pid_t tid = 0;             // a thread to send the signal to alone; 0: send it to the process
  bool restartable = false;  // tid waits in a call SA_RESTART restarts: nothing is cut short
  std::string interrupted;   // an EINTR-prone call some thread was seen in ("" if none)
};

// Reads /proc/PID/task/*/status (blocked signals) and .../syscall, which needs ptrace access
// (root, or the process's owner where Yama allows); without it, tid is 0 and nothing is known.
// Takes up to ~16 ms when threads are running.
SignalTarget QuietThread(pid_t pid, int signo);

// For each file-backed mapping of `profile`, the /proc/PID/map_files link of the mapping that
// holds its start in the process now: the very file it mapped, even if replaced or deleted on
// disk since. Only mappings with a build ID (which the symbolizer checks) get one. Keyed like
// BinarySource::mapped_files. Links need CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE) to open;
// without, the symbolizer falls back to the paths.
std::map<std::string, std::string> MappedFileLinks(const TargetProcess& target,
                                                   const Profile& profile);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_TARGET_PROCESS_H_
