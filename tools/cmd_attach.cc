// `leaktrack attach PID`: load the shim into a running process and profile it from then on.
//
// Owns the sequence, and every refusal before the process is touched:
//  1. Refuse a process the shim cannot work in (no such PID, ourselves, already profiled, a
//     static, musl, 32-bit or sanitizer program, no dlopen in it).
//  2. Find dlopen, dlsym, dlerror and __errno_location in the process (attach_plan.h).
//  3. Choose a thread waiting in a system call outside any allocator or loader lock, and stop
//     it alone with ptrace (remote_call.h); the others keep running. None yet: look again
//     every 20 ms until --timeout.
//  4. In that thread: dlopen(shim, RTLD_NOW), then the shim's leaktrack_attach(), which starts
//     the profiler and redirects every loaded object's calls to it (preload/attach.h) and says
//     how that went. The thread's errno is put back; then it is released and the system call it
//     waited in resumes.
// A process in another root (a container) that cannot see our shim's file gets a copy in its
// /tmp, removed again once mapped. A process that preloaded the shim but runs it off
// (LEAKTRACK_RATE=0) gets the same sequence with the file it preloaded: dlopen gives back the
// loaded copy, whose leaktrack_attach() starts it (preload/attach.h).
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <thread>

#include "preload/attach.h"
#include "symbolizer/gzip_io.h"
#include "tools/attach_plan.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/process_maps.h"
#include "tools/remote_call.h"
#include "tools/shim_settings.h"
#include "tools/shim_target.h"
#include "tools/target_process.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack attach PID [--rate N] [--dir D] [--interval S] [--at-exit] [--signal SIG]\n"
    "                            [--keep N] [--timeout S]\n"
    "\n"
    "Loads the leaktrack shim into running process PID, which is then profiled as if started\n"
    "with 'leaktrack run': dump it with 'leaktrack dump PID' or 'leaktrack watch PID'. Only\n"
    "allocations made after the attach are seen, which is what a leak hunt compares.\n"
    "\n"
    "One thread of PID that waits in a system call (read, poll, accept, a sleep, a condition\n"
    "variable) is stopped for the few milliseconds dlopen takes; the others keep running. A\n"
    "thread in epoll_wait or sigtimedwait sees one EINTR, as after 'strace -p'. The shim stays\n"
    "until PID exits. Code PID loads later (dlopen) is tracked from the shim's next sample on.\n"
    "\n"
    "The options are those of 'leaktrack run'; they win over the LEAKTRACK_* variables PID was\n"
    "started with, if any (else the defaults hold). 'dump' and 'watch' find them in PID.\n"
    "\n"
    "A process started with the shim preloaded but off (LD_PRELOAD=.../libleaktrack.so\n"
    "LEAKTRACK_RATE=0: every call passes straight on) is switched on instead, at --rate or the\n"
    "default rate. It then sees every call a preload sees, including those through function\n"
    "pointers taken before.\n"
    "  --rate N      mean bytes between samples, K/M/G allowed (LEAKTRACK_RATE; 1 = every\n"
    "                allocation)\n"
    "  --dir D       directory for dumps, as PID sees it (LEAKTRACK_DIR; default: PID's working\n"
    "                directory, else its /tmp); it must exist and be writable for PID\n"
    "  --interval S  also dump every S seconds (LEAKTRACK_INTERVAL)\n"
    "  --at-exit     dump once more when PID exits (LEAKTRACK_AT_EXIT=1)\n"
    "  --keep N      dumps PID keeps on disk: its first and its newest N-1 (LEAKTRACK_KEEP;\n"
    "                default 100, 0 = all)\n"
    "  --signal SIG  dump signal, e.g. USR2 (default), USR1, RTMIN+3, 0 = none (LEAKTRACK_SIGNAL)\n"
    "  --timeout S   wait up to S seconds for a thread to wait in such a call (default 10)\n"
    "\n"
    "Needs ptrace rights over PID: root, or its owner where /proc/sys/kernel/yama/ptrace_scope\n"
    "is 0. Refuses static, musl, 32-bit and sanitizer programs, as 'run' does.\n"
    "Exit codes: 0 attached (or already profiled); 1 refused or failed; 2 usage error;\n"
    "3 no thread could be stopped in time.\n";

constexpr int kRtldNow = 2;  // <dlfcn.h>'s RTLD_NOW, as the process's glibc takes it

// A file removed when this goes out of scope, unless its path is empty.
struct RemovedAtExit {
  std::string path;
  ~RemovedAtExit() {
    if (!path.empty()) unlink(path.c_str());
  }
};

// The shim's path as the process sees it: ours, when that is the same file there (our root in
// other mounts: a systemd service's private /tmp), else a copy in its /tmp (copy->path = the
// copy's path here: mapped once loaded, it is not needed after the attach).
Result<std::string> ShimForProcess(const TargetProcess& target, const std::string& shim,
                                   RemovedAtExit* copy) {
  if (target.root.empty()) return shim;
  struct stat ours, theirs;
  if (stat(shim.c_str(), &ours) == 0 && stat((target.root + shim).c_str(), &theirs) == 0 &&
      ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino)
    return shim;
  const std::string inside = "/tmp/libleaktrack.so.attach." + std::to_string(getpid());
  Result<std::string> bytes = ReadWholeFile(shim);
  if (!bytes.ok()) return MakeError(bytes.error());
  const std::string here = target.root + inside;
  const int fd = open(here.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return MakeError("cannot copy the shim into the process's /tmp: " +
                               std::string(strerror(errno)));
  copy->path = here;
  const std::string& data = bytes.value();
  const bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  close(fd);
  if (!ok) return MakeError("cannot copy the shim into the process's /tmp");
  return inside;
}

// The directory --dir names, as the process will see it: an absolute path in its root, or one
// relative to our working directory when it shares our root. It must exist, and the process must
// be able to write there (DumpDirProblem); the shim takes up to 447 bytes (preload/config.cc).
Result<std::string> DumpDirForProcess(const TargetProcess& target, const std::string& dir) {
  std::string there = dir;
  if (target.root.empty()) {
    char resolved[PATH_MAX];
    if (realpath(dir.c_str(), resolved) == nullptr)
      return MakeError("--dir " + dir + ": " + strerror(errno));
    there = resolved;
  } else if (dir[0] != '/') {
    return MakeError("--dir " + dir + ": give the path the process sees, from its root: it "
                     "runs under another root (" + target.root + ")");
  }
  if (std::string problem = DumpDirProblem(target, target.Here(there)); !problem.empty())
    return MakeError("--dir " + dir + ": " + problem);
  if (there.size() > 447) return MakeError("--dir " + dir + ": longer than 447 bytes");
  return there;
}

// Reads a NUL-terminated string of at most 512 bytes from the process, in small pieces so that
// none crosses from its page into an unmapped one.
std::string ReadString(RemoteThread* thread, uint64_t addr) {
  char piece[64];
  std::string out;
  for (uint64_t a = addr; out.size() < 512; a += sizeof(piece)) {
    const size_t want = sizeof(piece) - a % sizeof(piece);
    if (!thread->Read(a, piece, want)) break;
    const size_t n = strnlen(piece, want);
    out.append(piece, n);
    if (n < want) break;
    a -= a % sizeof(piece);
  }
  return out;
}

// What a result of leaktrack_attach() means.
std::string AttachFailure(int result) {
  switch (result) {
    case kAttachPreloaded: return "the shim was already preloaded";
    case kAttachProfilerOff:
      return "the shim did not start: LEAKTRACK_RATE=0 in the process's environment, a setuid "
             "program, or no memory for its tables (its stderr says which)";
    case kAttachOwnMalloc:
      return "the program defines malloc itself: its own calls cannot be redirected";
    case kAttachNothingPatched: return "no loaded object calls malloc through its GOT";
    case kAttachBadSettings: return "the settings are too long for the shim";
    default: return "unexpected answer " + std::to_string(result) + " from the shim";
  }
}

int ProfiledAlready(pid_t pid, const ShimSettings& settings, const std::string& dir) {
  printf("process %d is profiled already: dump it with 'leaktrack dump %d'\n", pid, pid);
  if (!settings.empty() || !dir.empty())
    fprintf(stderr, "leaktrack attach: its settings stay as they are; the options given "
                    "here are not applied\n");
  return kExitOk;
}

// The file a process preloaded the shim from, as the process names it: dlopen of that path
// gives back the loaded copy. One deleted or replaced on disk since (an upgrade renames a new
// file over it) shows as "(deleted)" and is refused: dlopen would fail, or load the new file as
// a second copy, which would find itself one and stay off (preload/attach.h).
Result<std::string> PreloadedShimFile(const std::string& maps, const std::string& pid_arg) {
  const std::string kDeleted = " (deleted)";
  for (const MapsLine& line : ParseProcMaps(maps)) {
    if (line.path.find("/libleaktrack.so") == std::string::npos) continue;
    if (line.path.size() > kDeleted.size() &&
        line.path.compare(line.path.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
      return MakeError("process " + pid_arg + " runs its preloaded libleaktrack.so off, and that " +
                       "file was deleted or replaced since it started (" + line.path + "), so " +
                       "it cannot be started; restart the process to profile it");
    return line.path;
  }
  return MakeError("cannot find libleaktrack.so in the maps of process " + pid_arg);
}

// Steps 4 and on, in a stopped thread. Returns leaktrack_attach()'s answer.
Result<int> LoadShim(RemoteThread* thread, const LoaderFunctions& fn, const std::string& shim,
                     const std::string& settings) {
  std::string error;
  uint64_t errno_addr = 0;
  int saved_errno = 0;
  if (!thread->Call(fn.errno_location, {}, &errno_addr, &error) ||
      !thread->Read(errno_addr, &saved_errno, sizeof(saved_errno)))
    return MakeError("cannot read the thread's errno: " + error);
  const uint64_t path = thread->PushBytes(shim.c_str(), shim.size() + 1);
  const char kAttachFn[] = "leaktrack_attach";
  const uint64_t name = thread->PushBytes(kAttachFn, sizeof(kAttachFn));
  const uint64_t block = thread->PushBytes(settings.data(), settings.size());
  uint64_t handle = 0, attach_fn = 0, result = 0;
  if (path == 0 || name == 0 || block == 0) return MakeError("cannot write to the thread's stack");
  if (!thread->Call(fn.dlopen, {path, kRtldNow}, &handle, &error))
    return MakeError("dlopen in the process failed: " + error);
  if (handle == 0) {
    uint64_t message = 0;
    std::string why = "no reason given";
    if (thread->Call(fn.dlerror, {}, &message, &error) && message != 0)
      why = ReadString(thread, message);
    thread->Write(errno_addr, &saved_errno, sizeof(saved_errno));
    return MakeError("the process could not load " + shim + ": " + why);
  }
  if (!thread->Call(fn.dlsym, {handle, name}, &attach_fn, &error) || attach_fn == 0 ||
      !thread->Call(attach_fn, {block}, &result, &error))
    return MakeError("the shim loaded but does not answer: " + error);
  thread->Write(errno_addr, &saved_errno, sizeof(saved_errno));
  return static_cast<int>(static_cast<int32_t>(result));
}

}  // namespace

int AttachCommand(int argc, char** argv, int first) {
  const std::string kCmd = "attach";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  DumpRequest request;  // for ParseDumpPid
  double timeout = 10;
  std::string value, dir;
  ShimSettings settings;
  ArgReader args(argc, argv, first);
  while (!args.done()) {
    bool missing = false;
    std::string error;
    if (ReadSettingOption(&args, &settings, &error)) {
      if (!error.empty()) return Fail(kCmd, error, kExitUsage);
    } else if (args.Option("--dir", &value, &missing)) {
      if (missing || value.empty()) return Fail(kCmd, "--dir needs a directory", kExitUsage);
      dir = value;
    } else if (args.Option("--timeout", &value, &missing)) {
      if (missing || !ParseSeconds(value, &timeout))
        return Fail(kCmd, "--timeout needs a number of seconds", kExitUsage);
    } else if (args.Peek()[0] == '-') {
      return Fail(kCmd, std::string("unknown option ") + args.Peek(), kExitUsage);
    } else if (!request.pid_arg.empty()) {
      return Fail(kCmd, "one PID only", kExitUsage);
    } else if (int rc = ParseDumpPid(kCmd, args.Next(), &request); rc != kExitOk) {
      return rc;
    }
  }
  if (request.pid_arg.empty()) return Fail(kCmd, "missing PID (see --help)", kExitUsage);
  const pid_t pid = request.pid;
  if (pid == getpid()) return Fail(kCmd, "cannot attach to leaktrack itself");
  const TargetProcess target = InspectTarget(pid);
  const std::string& proc = target.proc;
  Result<std::string> maps = ReadWholeFile(proc + "/maps");
  if (!maps.ok()) {
    if (access(proc.c_str(), F_OK) != 0) return Fail(kCmd, "no process " + request.pid_arg);
    return Fail(kCmd, "cannot read " + proc + "/maps (" + maps.error() +
                          "): attaching needs ptrace rights over the process");
  }
  // The shim is there already: on, it profiles; off (LEAKTRACK_RATE=0), it is started below.
  std::string preloaded;
  if (maps.value().find("/libleaktrack.so") != std::string::npos) {
    std::string warning;
    Result<ShimSettings> now = ReadShimSettings(target, maps.value(), &warning);
    if (!now.ok() || !SettingsTurnShimOff(now.value())) return ProfiledAlready(pid, settings, dir);
    Result<std::string> file = PreloadedShimFile(maps.value(), request.pid_arg);
    if (!file.ok()) return Fail(kCmd, file.error());
    preloaded = file.value();
    settings.emplace("LEAKTRACK_RATE", "512K");  // its environment says 0: the default rate
  }
  char exe[PATH_MAX];
  const ssize_t n = readlink((proc + "/exe").c_str(), exe, sizeof(exe) - 1);
  if (n > 0) {
    const std::string problem = TrackingProblem(proc + "/exe", std::string(exe, n));
    if (!problem.empty()) return Fail(kCmd, problem);
  }
  const std::string shim = preloaded.empty() ? FindShim() : preloaded;
  if (shim.empty())
    return Fail(kCmd, "libleaktrack.so not found next to " + SelfDir() +
                          "/leaktrack or in its ../lib; reinstall leaktrack");
  if (!dir.empty()) {
    Result<std::string> there = DumpDirForProcess(target, dir);
    if (!there.ok()) return Fail(kCmd, there.error());
    settings["LEAKTRACK_DIR"] = there.value();
  }
  Result<LoaderFunctions> functions = FindLoaderFunctions(target, maps.value());
  if (!functions.ok()) return Fail(kCmd, functions.error());
  RemovedAtExit copy;
  Result<std::string> shim_there =
      preloaded.empty() ? ShimForProcess(target, shim, &copy) : Result<std::string>(preloaded);
  if (!shim_there.ok()) return Fail(kCmd, shim_there.error());

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  std::string seen, last_refusal;
  for (;;) {
    for (const StoppableThread& t : StoppableThreads(pid, &seen)) {
      std::string error;
      bool retry = false;
      Result<int> result = MakeError("");
      const auto stopped_at = std::chrono::steady_clock::now();
      {
        // Termination signals wait until the thread is released: killed between Stop and
        // Release, we would leave it to return to address 0 (remote_call.h).
        BlockedTerminationSignals blocked;
        std::unique_ptr<RemoteThread> thread =
            RemoteThread::Stop(pid, t.tid, {t.syscall}, &error, &retry);
        if (thread == nullptr) {
          if (retry) {
            last_refusal = error;
            continue;
          }
          return Fail(kCmd, error);
        }
        result = LoadShim(thread.get(), functions.value(), shim_there.value(),
                          EncodeSettings(settings));
        thread->Release();
      }
      const double stopped_ms = std::chrono::duration<double, std::milli>(
                                    std::chrono::steady_clock::now() - stopped_at).count();
      if (!result.ok()) return Fail(kCmd, result.error());
      if (!preloaded.empty() && result.value() == kAttachPreloaded)
        return ProfiledAlready(pid, settings, dir);  // started by an attach we could not read
      if (result.value() < 0) return Fail(kCmd, AttachFailure(result.value()));
      if (!preloaded.empty()) {
        printf("started the shim %d preloaded, which was off (LEAKTRACK_RATE=0), through thread "
               "%d (in %s, stopped %.1f ms)\n", pid, t.tid, t.call.c_str(), stopped_ms);
      } else {
        printf("attached to %d through thread %d (in %s, stopped %.1f ms): %d call sites now "
               "lead to leaktrack\n", pid, t.tid, t.call.c_str(), stopped_ms, result.value());
      }
      if (t.sees_eintr) printf("  that thread's %s returned EINTR once\n", t.call.c_str());
      for (const auto& [name, setting] : settings)
        printf("  %s=%s\n", name.c_str(), setting.c_str());
      printf("  allocations from now on are profiled; dump with: leaktrack dump %d\n", pid);
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  char waited[32];
  snprintf(waited, sizeof(waited), "%g s", timeout);
  std::string message = "no thread of " + request.pid_arg +
                        " waited where it can be stopped safely in " + waited + " (" + seen + ")";
  if (!last_refusal.empty()) message += "; last refusal: " + last_refusal;
  return Fail(kCmd, message, kExitTimeout);
}

}  // namespace leaktrack
