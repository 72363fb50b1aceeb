// `leaktrack watch PID [--every S] [--count N] [-o DIR] [-n N] ...`: the leak hunt in one
// command: a series of dumps of one process, then the growth report over them.
//
// Owns only the schedule (a dump every S seconds, N of them, into DIR) and what it prints
// meanwhile; each dump is `dump`'s (TakeDump) and the report is `growth`'s (ReportGrowth).
#include <errno.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tools/cli.h"
#include "tools/commands.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack watch PID [--every S] [--count N] [-o DIR] [-n N] [--all-frames]\n"
    "                           [--timeout S] [--debug-dir DIR]... [--sysroot DIR]\n"
    "\n"
    "The leak hunt in one command: takes N dumps of process PID (as 'leaktrack dump' does),\n"
    "S seconds apart, writes them to DIR as heap.0.pb.gz, heap.1.pb.gz, ... and prints the\n"
    "growth report over them ('leaktrack growth'): the stacks whose live bytes grew in every\n"
    "interval come first. Let the service take its usual load meanwhile.\n"
    "\n"
    "  --every S   seconds between dumps (default 60)\n"
    "  --count N   number of dumps, at least 2 (default 3)\n"
    "  -o DIR      where the dumps go (default ./leaktrack.PID.watch; made if missing)\n"
    "  -n N        show at most N stacks (default 10; 0 = all)\n"
    "  --all-frames, --timeout, --debug-dir, --sysroot   as for 'leaktrack dump'\n"
    "\n"
    "If the process exits on the way, the report covers the dumps taken (two or more).\n"
    "Exit codes: 0 report printed, 1 failure, 2 usage error, 3 dump timeout.\n";

}  // namespace

int WatchCommand(int argc, char** argv, int first) {
  const std::string kCmd = "watch";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  DumpRequest request;
  std::string pid_arg, dir, value;
  double every = 60;
  uint64_t count = 3, limit = 10;
  ArgReader args(argc, argv, first);
  while (!args.done()) {
    bool missing = false;
    if (args.Option("--every", &value, &missing)) {
      if (missing || !ParseSeconds(value, &every))
        return Fail(kCmd, "--every needs a number of seconds", kExitUsage);
    } else if (args.Option("--count", &value, &missing)) {
      if (missing || !ParseUint(value, &count) || count < 2)
        return Fail(kCmd, "--count needs a number of dumps, at least 2", kExitUsage);
    } else if (args.Option("-o", &value, &missing) || args.Option("--output", &value, &missing)) {
      if (missing) return Fail(kCmd, "-o needs a directory", kExitUsage);
      dir = value;
    } else if (args.Option("-n", &value, &missing)) {
      if (missing || !ParseUint(value, &limit))
        return Fail(kCmd, "-n needs a non-negative number", kExitUsage);
    } else if (int rc = ReadDumpArgument(kCmd, &args, &request, &pid_arg); rc != kExitOk) {
      return rc;
    }
  }
  if (int rc = ParseDumpPid(kCmd, pid_arg, &request); rc != kExitOk) return rc;
  if (dir.empty()) dir = "./leaktrack." + pid_arg + ".watch";
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Fail(kCmd, "cannot make " + dir + ": " + strerror(errno));

  std::vector<std::string> files;
  auto next = std::chrono::steady_clock::now();
  for (uint64_t k = 0; k < count; ++k) {
    std::this_thread::sleep_until(next);
    next = std::chrono::steady_clock::now() +
           std::chrono::milliseconds(static_cast<int64_t>(every * 1000));
    request.out = dir + "/heap." + std::to_string(k) + ".pb.gz";
    std::string written;
    const int rc = TakeDump(kCmd, request, &written);
    if (rc != kExitOk) {
      if (files.size() < 2) return rc;
      fprintf(stderr, "leaktrack %s: reporting on the %zu dumps taken\n", kCmd.c_str(),
              files.size());
      break;
    }
    files.push_back(written);
    fprintf(stderr, "leaktrack %s: %s (%llu of %llu)%s\n", kCmd.c_str(), written.c_str(),
            static_cast<unsigned long long>(k + 1), static_cast<unsigned long long>(count),
            k + 1 < count ? "" : "; the report follows");
  }
  return ReportGrowth(kCmd, files, limit);
}

}  // namespace leaktrack
