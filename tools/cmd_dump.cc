// `leaktrack dump PID [-o FILE] [--raw] [--all-frames] [--timeout S] [--debug-dir D]
// [--sysroot D]`: ask a running process for a heap dump and fetch it.
//
// Owns the handshake with the shim: check /proc/PID/maps for libleaktrack.so first (the dump
// signal's default action would kill a process without the shim), read LEAKTRACK_DIR and
// LEAKTRACK_SIGNAL from /proc/PID/environ, note the dumps that already exist, send the signal
// and wait for a new leaktrack.PID.SEQ.pb.gz (the shim links it into place complete, so seeing
// the name means the file is whole). A process with an interval thread (LEAKTRACK_INTERVAL) is
// asked through its memory instead, or by a file where we may not write there, and gets no
// signal at all (AskIntervalThreadForDump, RequestDumpByFile).
// Without one, a Go program (its runtime keeps every signal) or one with LEAKTRACK_SIGNAL=0
// cannot be asked. The signal goes to a thread it does not cut short when there is one
// (QuietThread). A process
// in a container is reached through target_process.h: its dump is named by its own PID and
// found, like its binaries, under /proc/PID/root. The dump is then symbolized (unless --raw),
// from the very files the process mapped where /proc/PID/map_files allows, and written
// atomically.
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "symbolizer/elf_file.h"
#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/dump_files.h"
#include "tools/profile_view.h"
#include "tools/shim_settings.h"
#include "tools/target_process.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack dump PID [-o FILE] [--raw] [--all-frames] [--timeout S]\n"
    "                          [--debug-dir DIR]... [--sysroot DIR]\n"
    "\n"
    "Makes process PID (started with 'leaktrack run' or LD_PRELOAD=libleaktrack.so, or\n"
    "attached with 'leaktrack attach') write a heap dump by sending its dump signal, waits\n"
    "for the new file, symbolizes it and writes FILE (default ./leaktrack.PID.SEQ.pb.gz).\n"
    "Prints the path written. A process run with LEAKTRACK_INTERVAL gets no signal: its\n"
    "interval thread is asked, through its memory or, without the rights to ptrace it, by a\n"
    "file in its dump directory. A Go program (which keeps every signal) or one run with\n"
    "LEAKTRACK_SIGNAL=0 can be asked that way only. A process in a container (its own PID\n"
    "namespace and root) is asked the same way, by its PID here; its dump and its binaries\n"
    "are read through /proc/PID/root. With DEBUGINFOD_URLS set, debug files missing here are\n"
    "fetched from those servers (see leaktrack symbolize --help).\n"
    "\n"
    "  -o FILE          output path\n"
    "  --raw            copy the dump without symbolizing\n"
    "  --all-frames     keep the standard libraries' frames (see leaktrack symbolize --help)\n"
    "  --timeout S      seconds to wait for the dump (default 10)\n"
    "  --debug-dir DIR  extra debug-file root for symbolization (repeatable)\n"
    "  --sysroot DIR    read the process's binaries under DIR (default: its root)\n"
    "\n"
    "Refuses a PID that does not exist or does not have libleaktrack.so loaded.\n"
    "Exit codes: 0 written, 1 failure or refused, 2 usage error, 3 no dump before timeout.\n";

std::string Join(const std::vector<std::string>& items, const std::string& between) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : between) + item;
  return out;
}

// Why a process that exited around its dump signal may have: " (it was waiting in poll, ...)".
std::string InterruptedCall(const SignalTarget& quiet) {
  if (quiet.restartable) return "";
  const std::string fix = ", and a program that takes that for an error exits; run it with "
                          "LEAKTRACK_SIGNAL=0 LEAKTRACK_INTERVAL=<seconds> instead)";
  if (!quiet.interrupted.empty())
    return " (it was waiting in " + quiet.interrupted + ", which any caught signal ends with " +
           "EINTR" + fix;
  return " (if it was waiting in poll, epoll_wait, select or nanosleep, any caught signal ends "
         "that with EINTR" + fix;
}

}  // namespace

int ReadDumpArgument(const std::string& cmd, ArgReader* args, DumpRequest* r,
                     std::string* pid_arg) {
  std::string value;
  bool missing = false;
  if (args->Flag("--all-frames")) {
    r->all_frames = true;
  } else if (args->Option("--timeout", &value, &missing)) {
    if (missing || !ParseSeconds(value, &r->timeout))
      return Fail(cmd, "--timeout needs a number of seconds", kExitUsage);
  } else if (args->Option("--debug-dir", &value, &missing)) {
    if (missing) return Fail(cmd, "--debug-dir needs a directory", kExitUsage);
    r->debug_dirs.push_back(value);
  } else if (args->Option("--sysroot", &value, &missing)) {
    if (missing) return Fail(cmd, "--sysroot needs a directory", kExitUsage);
    Result<std::string> root = SysrootArgument(value);
    if (!root.ok()) return Fail(cmd, root.error());
    r->sysroot = root.value();
  } else if (args->Peek()[0] == '-' && args->Peek()[1] != '\0') {
    return Fail(cmd, std::string("unknown option ") + args->Peek(), kExitUsage);
  } else if (pid_arg->empty()) {
    *pid_arg = args->Next();
  } else {
    return Fail(cmd, "more than one PID", kExitUsage);
  }
  return kExitOk;
}

int ParseDumpPid(const std::string& cmd, const std::string& arg, DumpRequest* r) {
  uint64_t pid_value;
  if (arg.empty()) return Fail(cmd, "missing PID (see --help)", kExitUsage);
  if (!ParseUint(arg, &pid_value) || pid_value == 0 || pid_value > INT_MAX)
    return Fail(cmd, "'" + arg + "' is not a process ID", kExitUsage);
  r->pid_arg = arg;
  r->pid = static_cast<pid_t>(pid_value);
  return kExitOk;
}

int DumpCommand(int argc, char** argv, int first) {
  const std::string kCmd = "dump";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  DumpRequest request;
  std::string pid_arg, value;
  ArgReader args(argc, argv, first);
  while (!args.done()) {
    bool missing = false;
    if (args.Option("-o", &value, &missing) || args.Option("--output", &value, &missing)) {
      if (missing) return Fail(kCmd, "-o needs a file name", kExitUsage);
      request.out = value;
    } else if (args.Flag("--raw")) {
      request.raw = true;
    } else if (int rc = ReadDumpArgument(kCmd, &args, &request, &pid_arg); rc != kExitOk) {
      return rc;
    }
  }
  if (int rc = ParseDumpPid(kCmd, pid_arg, &request); rc != kExitOk) return rc;
  std::string written;
  const int rc = TakeDump(kCmd, request, &written);
  if (rc == kExitOk) printf("%s\n", written.c_str());
  return rc;
}

int TakeDump(const std::string& cmd, const DumpRequest& request, std::string* written) {
  const pid_t pid = request.pid;
  const std::string& pid_arg = request.pid_arg;
  const double timeout = request.timeout;
  const TargetProcess target = InspectTarget(pid);
  const std::string& proc = target.proc;

  Result<std::string> maps = ReadWholeFile(proc + "/maps");
  if (!maps.ok()) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return Fail(cmd, "no process with PID " + pid_arg);
    return Fail(cmd, "cannot read " + proc + "/maps: " + maps.error());
  }
  if (maps.value().find("/libleaktrack.so") == std::string::npos)
    return Fail(cmd, "process " + pid_arg +
                         " does not have libleaktrack.so loaded; refusing to signal it "
                         "(load it with 'leaktrack attach " + pid_arg +
                         "', or start it with 'leaktrack run')");

  std::string warning;
  Result<ShimSettings> env = ReadShimSettings(target, maps.value(), &warning);
  if (!env.ok()) return Fail(cmd, env.error());
  if (!warning.empty()) fprintf(stderr, "leaktrack %s: %s\n", cmd.c_str(), warning.c_str());
  int signo = SIGUSR2;
  if (auto it = env.value().find("LEAKTRACK_SIGNAL"); it != env.value().end()) {
    if (!ParseSignal(it->second, &signo)) signo = SIGUSR2;  // the shim falls back likewise
  }
  const std::vector<std::string> dirs =
      DumpDirs(target, ShimDumpDirs(target, maps.value()), env.value());
  if (dirs[0].empty()) return Fail(cmd, "cannot find the dump directory of process " + pid_arg);
  std::vector<std::string> problems;
  for (const std::string& dir : dirs)
    if (std::string problem = DumpDirProblem(target, dir); !problem.empty())
      problems.push_back(dir + " (" + problem + ")");
  if (problems.size() == dirs.size())
    return Fail(cmd, "process " + pid_arg + " cannot write its dump to " +
                         Join(problems, " nor to ") + "; restart it with LEAKTRACK_DIR set to " +
                         "a directory it can write");
  // First choice: a process with an interval thread is asked through its memory, with no signal
  // at all (tools/shim_settings.h). Its dump comes within a tenth of a second, and nothing it
  // waits in sees EINTR. Needs ptrace rights, as reading the attach's settings does.
  const auto before = ListDumps(dirs, target.own_pid);
  // Without the rights to write its memory, the same thread is asked by a file in its dump
  // directory, which it removes (or we do, whatever happens next).
  struct RequestFile {
    std::string path;
    ~RequestFile() {
      if (!path.empty()) unlink(path.c_str());
    }
  } request_file;
  bool asked = AskIntervalThreadForDump(target, maps.value());
  if (!asked) {
    request_file.path = RequestDumpByFile(target, maps.value(), dirs);
    asked = !request_file.path.empty();
  }
  // Otherwise, some processes cannot be asked by signal: dumps on signal are off
  // (LEAKTRACK_SIGNAL=0), the program is a Go one (a cgo one, since the shim is loaded), whose
  // runtime installs a handler for every signal and never passes on one another process sends,
  // or every thread blocks the signal (the program takes its signals with sigwait or signalfd,
  // and would take ours too). The answer is then their next periodic dump, if they make them.
  std::string unsignalled;
  if (asked) {
    // nothing to look at: no signal goes
  } else if (signo == 0) {
    unsignalled = "runs with LEAKTRACK_SIGNAL=0";
  } else if (Result<std::unique_ptr<ElfFile>> exe = ElfFile::Open(proc + "/exe");
             exe.ok() && exe.value()->is_go()) {
    unsignalled = "is a Go program, whose runtime keeps every signal";
  } else if (EveryThreadBlocks(pid, signo)) {
    unsignalled = "blocks " + SignalName(signo) + " in every thread (it takes its signals with "
                  "sigwait or signalfd, and would take that one too)";
  }
  double wait = timeout;
  const bool signalled = !asked && unsignalled.empty();
  if (!unsignalled.empty()) {
    auto it = env.value().find("LEAKTRACK_INTERVAL");
    double every;
    if (it == env.value().end() || !ParseSeconds(it->second, &every) || every <= 0)
      return Fail(cmd,
                  "process " + pid_arg + " " + unsignalled +
                      ", so it cannot be asked for "
                      "a dump; restart it with LEAKTRACK_INTERVAL=<seconds> (or 'leaktrack run "
                      "--interval S')");
    fprintf(stderr,
            "leaktrack %s: process %s %s; waiting for its next periodic dump "
            "(LEAKTRACK_INTERVAL=%s)\n",
            cmd.c_str(), pid_arg.c_str(), unsignalled.c_str(), it->second.c_str());
    wait = every + timeout;
  }

  SignalTarget quiet;
  HandlerOwner owner = HandlerOwner::kUnknown;
  if (signalled) {
    // The shim's handler is there unless the shim is not active: a dump signal would then run
    // the default action, which ends the process.
    const Disposition disposition = SignalDisposition(pid, signo);
    const std::string inactive = "the shim is not active there (LEAKTRACK_RATE=0: 'leaktrack "
                                 "attach " + pid_arg + "' starts it; a setuid program; or it "
                                 "could not start: its stderr says why)";
    if (disposition == Disposition::kDefault)
      return Fail(cmd, "process " + pid_arg + " has libleaktrack.so loaded but no handler for " +
                           SignalName(signo) + ", which would end it; not signalling it: " +
                           inactive);
    if (disposition == Disposition::kIgnored)
      return Fail(cmd, "process " + pid_arg + " ignores " + SignalName(signo) +
                           ", so it cannot be asked for a dump: the program chose that (restart "
                           "it with LEAKTRACK_SIGNAL=RTMIN+3), or " + inactive);
    // A handler is there, but it may be the program's: the shim leaves the signal to a program
    // that installs its own, and sending it would run that instead of a dump. The shim's word
    // needs ptrace rights to read; without them, the signal goes as before.
    if (Result<HandlerOwner> read = DumpHandlerOwner(target, maps.value()); read.ok())
      owner = read.value();
    if (owner == HandlerOwner::kProgram)
      return Fail(cmd, "process " + pid_arg + " handles " + SignalName(signo) +
                           " itself (it installed its own handler, and the shim left the signal "
                           "to it), so sending it would run the program's action, not a dump; "
                           "restart it with LEAKTRACK_SIGNAL=RTMIN+3 (or 'leaktrack run "
                           "--signal RTMIN+3')");
    // To a thread the signal does not cut short, when one is known; else as kill(1) would.
    quiet = QuietThread(pid, signo);
    const bool sent = quiet.tid != 0 && syscall(SYS_tgkill, pid, quiet.tid, signo) == 0;
    if (!sent && kill(pid, signo) != 0)
      return Fail(cmd, "cannot signal process " + pid_arg + ": " + strerror(errno));
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(wait * 1000));
  uint64_t seq = 0;
  std::string dir;
  bool found = false;
  while (!found) {
    for (const auto& dump : ListDumps(dirs, target.own_pid))
      if (before.count(dump) == 0 && (!found || dump.first > seq)) {
        std::tie(seq, dir) = dump;
        found = true;
      }
    if (found) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      if (kill(pid, 0) != 0 && errno == ESRCH)
        return Fail(
            cmd, "process " + pid_arg + " exited before writing a dump" +
                     (signalled ? InterruptedCall(quiet) : std::string()));
      char buf[64];
      snprintf(buf, sizeof buf, "%g", wait);
      if (IsStopped(pid))
        return Fail(cmd,
                    "no new dump after " + std::string(buf) + "s: process " + pid_arg +
                        " is stopped (SIGSTOP, ^Z or a debugger) and writes none until it runs "
                        "again; continue it (kill -CONT " + pid_arg + ") and its dump follows",
                    kExitTimeout);
      if (asked)
        return Fail(cmd,
                    "no new dump in " + Join(dirs, " or ") + " after " + buf + "s, although " +
                        "its interval thread was asked for one: the dump failed (the process's "
                        "stderr says why) or takes longer (try --timeout)",
                    kExitTimeout);
      if (!unsignalled.empty())
        return Fail(cmd,
                    "no new dump in " + Join(dirs, " or ") + " after " + buf +
                        "s, although the program runs with LEAKTRACK_INTERVAL",
                    kExitTimeout);
      if (owner == HandlerOwner::kShim)
        return Fail(cmd,
                    "no new dump in " + Join(dirs, " or ") + " after " + buf + "s, although " +
                        SignalName(signo) + " reaches the shim's handler: the dump failed (the "
                        "process's stderr says why) or takes longer (try --timeout)",
                    kExitTimeout);
      return Fail(cmd,
                  "no new dump in " + Join(dirs, " or ") + " after " + buf +
                      "s: the program has probably replaced the " + SignalName(signo) +
                      " handler (else the shim said why on its stderr); restart it with "
                      "LEAKTRACK_SIGNAL=RTMIN+3 (or 'leaktrack run --signal RTMIN+3')",
                  kExitTimeout);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  const std::string seq_suffix = "." + std::to_string(seq) + ".pb.gz";
  const std::string dump_path = dir + "/leaktrack." + std::to_string(target.own_pid) + seq_suffix;
  // Named by the PID the user gave: every container's first process calls itself 1.
  const std::string out = request.out.empty() ? "./leaktrack." + pid_arg + seq_suffix : request.out;
  if (request.raw) {
    Result<std::string> bytes = ReadWholeFile(dump_path);
    if (!bytes.ok()) return Fail(cmd, bytes.error());
    Status s = WriteFileAtomic(out, bytes.value(), 0600);
    if (!s.ok()) return Fail(cmd, s.error());
  } else {
    Result<Profile> profile = LoadProfileFile(dump_path);
    if (!profile.ok()) return Fail(cmd, profile.error());
    BinarySource source;
    source.sysroot = request.sysroot.value_or(target.root);
    source.mapped_files = MappedFileLinks(target, profile.value());
    NameProfile(cmd, &profile.value(), request.debug_dirs, source, /*fold=*/!request.all_frames);
    Status s = WriteFileAtomic(out, Gzip(EncodeProfile(profile.value())), 0600);
    if (!s.ok()) return Fail(cmd, s.error());
  }
  *written = out;
  // The handler runs before the interrupted call returns EINTR, so a program that dies of it
  // has already written the dump; say why it died rather than leave the user to guess.
  if (signalled && !quiet.restartable) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (kill(pid, 0) != 0 && errno == ESRCH)
      fprintf(stderr, "leaktrack %s: warning: process %s exited right after its dump%s\n",
              cmd.c_str(), pid_arg.c_str(), InterruptedCall(quiet).c_str());
  }
  return kExitOk;
}

}  // namespace leaktrack
