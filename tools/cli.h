// Shared plumbing of the `leaktrack` subcommands: exit codes, error printing, option parsing.
//
// Owns the CLI conventions documented in docs/CLI.md: every failure is one line on stderr,
// prefixed "leaktrack <command>: ", and maps to one of the exit codes below. Nothing here
// touches profiles.
#ifndef LEAKTRACK_TOOLS_CLI_H_
#define LEAKTRACK_TOOLS_CLI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "symbolizer/result.h"

namespace leaktrack {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // bad input, I/O error, refused target
  kExitUsage = 2,    // bad command line
  kExitTimeout = 3,  // dump: no new dump appeared in time
  kExitExecFailed = 127,  // run: CMD could not be executed
};

// Prints "leaktrack <command>: <message>" and returns `code`.
int Fail(const std::string& command, const std::string& message, int code = kExitFailure);

// Walks argv[first..] with "--opt value", "--opt=value" and "-o value" forms.
class ArgReader {
 public:
  ArgReader(int argc, char** argv, int first) : argc_(argc), argv_(argv), i_(first) {}
  bool done() const { return i_ >= argc_; }
  // The current token; advances.
  std::string Next() { return argv_[i_++]; }
  const char* Peek() const { return argv_[i_]; }
  int index() const { return i_; }
  // If the current token is `name` (or `name=value`), consumes it, stores the value and returns
  // true. Sets *missing when the value is absent.
  bool Option(const std::string& name, std::string* value, bool* missing);
  bool Flag(const std::string& name);

 private:
  int argc_;
  char** argv_;
  int i_;
};

bool ParseUint(const std::string& s, uint64_t* out);
bool ParseSeconds(const std::string& s, double* out);

// Parses USR1, USR2, SIGUSR2, 12, RTMIN+N, SIGRTMIN+N, 0 (disabled) like the shim does.
bool ParseSignal(const std::string& s, int* signo);
std::string SignalName(int signo);

bool HelpRequested(int argc, char** argv, int first);

// The value of --sysroot: an existing directory, without trailing slashes ("/" gives "", this
// machine's root), or an error naming it.
Result<std::string> SysrootArgument(const std::string& dir);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_CLI_H_
