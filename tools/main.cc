// `leaktrack`: dispatches to one subcommand per file (cmd_*.cc). Owns only the top-level help.
#include <cstdio>
#include <cstring>

#include "tools/cli.h"
#include "tools/commands.h"

namespace {

const char kUsage[] =
    "usage: leaktrack <command> [options]\n"
    "\n"
    "commands:\n"
    "  run [options] -- CMD ARGS...   run CMD with the leaktrack shim preloaded\n"
    "  attach PID                     profile a running process from now on (no restart)\n"
    "  dump PID [-o FILE] [--raw]     make a running process write a heap dump\n"
    "  symbolize IN [-o OUT]          add function names, files and lines to a dump\n"
    "  top FILE [--base FILE]         pprof-like text report\n"
    "  diff A B                       same as: top --base A B\n"
    "  growth FILE FILE [FILE...]     rank stacks whose live bytes grew across dumps\n"
    "  watch PID [--every S]          dumps over time, then the growth report: the leak hunt\n"
    "  ps                             the processes with the shim loaded, and their settings\n"
    "\n"
    "'leaktrack <command> --help' describes each command. Exit codes: 0 success, 1 failure,\n"
    "2 usage error, 3 dump timeout; run returns CMD's status (127 if it cannot start).\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace leaktrack;
  if (argc < 2) {
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  const char* cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(kUsage, stdout);
    return kExitOk;
  }
  if (strcmp(cmd, "--version") == 0) {
    puts("leaktrack 0.1.0");
    return kExitOk;
  }
  if (strcmp(cmd, "run") == 0) return RunCommand(argc, argv, 2);
  if (strcmp(cmd, "attach") == 0) return AttachCommand(argc, argv, 2);
  if (strcmp(cmd, "dump") == 0) return DumpCommand(argc, argv, 2);
  if (strcmp(cmd, "symbolize") == 0) return SymbolizeCommand(argc, argv, 2);
  if (strcmp(cmd, "top") == 0) return TopCommand(argc, argv, 2);
  if (strcmp(cmd, "diff") == 0) return DiffCommand(argc, argv, 2);
  if (strcmp(cmd, "growth") == 0) return GrowthCommand(argc, argv, 2);
  if (strcmp(cmd, "watch") == 0) return WatchCommand(argc, argv, 2);
  if (strcmp(cmd, "ps") == 0) return PsCommand(argc, argv, 2);
  fprintf(stderr, "leaktrack: unknown command '%s'\n%s", cmd, kUsage);
  return kExitUsage;
}
