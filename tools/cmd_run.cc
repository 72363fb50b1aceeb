// `leaktrack run [options] -- CMD ARGS...`: exec CMD with libleaktrack.so preloaded.
//
// Owns finding the shim (beside this binary, as in the build tree, or <prefix>/lib after
// `cmake --install`), refusing targets the shim cannot work in (static binaries: no dynamic
// loader to honour LD_PRELOAD; ASan/TSan binaries: their allocator replaces malloc before ours),
// and translating options to the shim's LEAKTRACK_* environment. On success it never returns:
// CMD replaces this process, so its exit status is CMD's.
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/shim_settings.h"
#include "tools/shim_target.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack run [--rate N] [--dir D] [--interval S] [--at-exit] [--signal SIG]\n"
    "                     [--keep N] [--no-follow-exec] -- CMD ARGS...\n"
    "\n"
    "Runs CMD with the leaktrack shim (libleaktrack.so) preloaded, prepended to any existing\n"
    "LD_PRELOAD. Dumps appear as D/leaktrack.<pid>.<seq>.pb.gz.\n"
    "\n"
    "  --rate N      mean bytes between samples, K/M/G allowed (LEAKTRACK_RATE; 1 = every\n"
    "                allocation)\n"
    "  --dir D       directory for dumps (LEAKTRACK_DIR; default: CMD's working directory)\n"
    "  --interval S  also dump every S seconds (LEAKTRACK_INTERVAL)\n"
    "  --at-exit     dump once more when CMD exits (LEAKTRACK_AT_EXIT=1)\n"
    "  --keep N      dumps CMD keeps on disk: its first and its newest N-1 (LEAKTRACK_KEEP;\n"
    "                default 100, 0 = all)\n"
    "  --signal SIG  dump signal, e.g. USR2 (default), USR1, RTMIN+3, 0 = none (LEAKTRACK_SIGNAL)\n"
    "  --no-follow-exec  programs CMD runs are not profiled: the shim takes itself out of their\n"
    "                LD_PRELOAD, other preloads stay (LEAKTRACK_FOLLOW_EXEC=0)\n"
    "\n"
    "Refuses statically linked programs, programs linked against libasan/libtsan, musl\n"
    "(Alpine) programs and 32-bit programs: the shim cannot track them.\n"
    "Exit codes: CMD's own status; 1 refused or shim not found; 2 usage error;\n"
    "127 CMD not found or not executable.\n";

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Resolves CMD like execvp would; "" if not found.
std::string ResolveCommand(const std::string& cmd) {
  if (cmd.find('/') != std::string::npos) return access(cmd.c_str(), F_OK) == 0 ? cmd : "";
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + cmd;
    if (IsRegularFile(candidate) && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

int RunCommand(int argc, char** argv, int first) {
  const std::string kCmd = "run";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  ArgReader args(argc, argv, first);
  std::string value;
  ShimSettings env;
  while (!args.done() && strcmp(args.Peek(), "--") != 0) {
    bool missing = false;
    std::string error;
    if (ReadSettingOption(&args, &env, &error)) {
      if (!error.empty()) return Fail(kCmd, error, kExitUsage);
    } else if (args.Option("--dir", &value, &missing)) {
      if (missing) return Fail(kCmd, "--dir needs a directory", kExitUsage);
      char resolved[PATH_MAX];
      struct stat st;
      if (realpath(value.c_str(), resolved) == nullptr || stat(resolved, &st) != 0 ||
          !S_ISDIR(st.st_mode))
        return Fail(kCmd, "--dir " + value + ": not an existing directory");
      if (access(resolved, W_OK) != 0)
        return Fail(kCmd, "--dir " + value + ": not writable");
      env["LEAKTRACK_DIR"] = resolved;
    } else if (args.Flag("--no-follow-exec")) {
      env["LEAKTRACK_FOLLOW_EXEC"] = "0";
    } else {
      return Fail(kCmd, std::string("unknown option ") + args.Peek() + " (CMD goes after --)",
                  kExitUsage);
    }
  }
  if (args.done() || args.index() + 1 >= argc)
    return Fail(kCmd, "missing '-- CMD' (see --help)", kExitUsage);
  const int cmd_index = args.index() + 1;
  std::string cmd = ResolveCommand(argv[cmd_index]);
  if (cmd.empty()) return Fail(kCmd, std::string(argv[cmd_index]) + ": command not found", kExitExecFailed);

  const std::string problem = TrackingProblem(cmd, cmd);
  if (!problem.empty()) return Fail(kCmd, problem);
  std::string shim = FindShim();
  if (shim.empty())
    return Fail(kCmd, "libleaktrack.so not found next to " + SelfDir() +
                          "/leaktrack or in its ../lib; reinstall leaktrack");

  const char* old = getenv("LD_PRELOAD");
  std::string preload = shim + (old && *old ? std::string(":") + old : "");
  setenv("LD_PRELOAD", preload.c_str(), 1);
  for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
  execv(cmd.c_str(), argv + cmd_index);
  int err = errno;
  return Fail(kCmd, cmd + ": " + strerror(err), err == ENOENT ? kExitExecFailed : 126);
}

}  // namespace leaktrack
