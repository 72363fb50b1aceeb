// Entry points of the `leaktrack` subcommands; main.cc dispatches to them.
//
// Each takes the full argv and the index of the first argument after the subcommand name,
// prints its own --help, and returns an exit code from cli.h (run: the command's own status).
#ifndef LEAKTRACK_TOOLS_COMMANDS_H_
#define LEAKTRACK_TOOLS_COMMANDS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/cli.h"
#include "tools/profile_view.h"

namespace leaktrack {

int AttachCommand(int argc, char** argv, int first);
int RunCommand(int argc, char** argv, int first);
int DumpCommand(int argc, char** argv, int first);
int SymbolizeCommand(int argc, char** argv, int first);
int TopCommand(int argc, char** argv, int first);
int DiffCommand(int argc, char** argv, int first);
int GrowthCommand(int argc, char** argv, int first);
int WatchCommand(int argc, char** argv, int first);
int PsCommand(int argc, char** argv, int first);

// The work of `dump` and `growth`, which `watch` repeats.
struct DumpRequest {
  std::string pid_arg;  // the PID as given, which names the output
  pid_t pid = 0;
  std::string out;      // "" = ./leaktrack.PID.SEQ.pb.gz
  bool raw = false;
  bool all_frames = false;
  double timeout = 10;  // seconds to wait for the dump (plus the interval, when unsignalled)
  std::vector<std::string> debug_dirs;
  std::optional<std::string> sysroot;  // unset: the process's own root
};

// Reads the current argument as dump and watch share them, after their own options: one of
// --all-frames, --timeout, --debug-dir, --sysroot into *r, or the PID into *pid_arg. Returns
// kExitOk, or the exit code of the usage error it printed (an unknown option, a second PID).
int ReadDumpArgument(const std::string& cmd, ArgReader* args, DumpRequest* r,
                     std::string* pid_arg);

// Sets r->pid and r->pid_arg from `arg`, or prints the usage error and returns its exit code.
int ParseDumpPid(const std::string& cmd, const std::string& arg, DumpRequest* r);

// Asks the process for a dump and writes it as `dump` does; *written is the file written.
// Errors are printed as "leaktrack CMD: ..." and returned as exit codes.
int TakeDump(const std::string& cmd, const DumpRequest& r, std::string* written);

// Prints the growth report over `files` (oldest first, at least two), at most `limit` stacks
// (0 = all); raw dumps among them are named from `sources`.
int ReportGrowth(const std::string& cmd, const std::vector<std::string>& files, uint64_t limit,
                 const NamingSources& sources = {});

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_COMMANDS_H_
