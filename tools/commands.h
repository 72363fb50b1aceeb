// Entry points of the `leaktrack` subcommands; main.cc dispatches to them.
//
// Each takes the full argv and the index of the first argument after the subcommand name,
// prints its own --help, and returns an exit code from cli.h (run: the command's own status).
#ifndef LEAKTRACK_TOOLS_COMMANDS_H_
#define LEAKTRACK_TOOLS_COMMANDS_H_

namespace leaktrack {

int RunCommand(int argc, char** argv, int first);
int DumpCommand(int argc, char** argv, int first);
int SymbolizeCommand(int argc, char** argv, int first);
int TopCommand(int argc, char** argv, int first);
int DiffCommand(int argc, char** argv, int first);
int GrowthCommand(int argc, char** argv, int first);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_COMMANDS_H_
