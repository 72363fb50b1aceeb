// The LEAKTRACK_* settings of a profiled process, as the CLI gives them and reads them back.
//
// `run` gives them in the environment it execs; `attach` cannot change a running process's
// environment, so it hands them to leaktrack_attach(), which keeps them in the shim's exported
// array leaktrack_settings (preload/attach.h). `dump` and `watch` need them too (the dump
// directory, the signal, the interval): they read the environment from /proc/PID/environ and
// the attach's settings, which win, from the process's memory. So is the shim's word on whose
// handler of the dump signal is in place.
#ifndef LEAKTRACK_TOOLS_SHIM_SETTINGS_H_
#define LEAKTRACK_TOOLS_SHIM_SETTINGS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "symbolizer/result.h"
#include "tools/cli.h"
#include "tools/target_process.h"

namespace leaktrack {

// Name -> value, e.g. "LEAKTRACK_RATE" -> "64K".
using ShimSettings = std::map<std::string, std::string>;

// Reads one of the options `run` and `attach` share, if the next argument is one: --rate N,
// --interval S, --at-exit, --keep N, --signal SIG, each into the setting it stands for. Returns false when
// the argument is none of them. A bad value sets *error (a usage error) and returns true.
bool ReadSettingOption(ArgReader* args, ShimSettings* settings, std::string* error);

// True when the settings switch a loaded shim off (LEAKTRACK_RATE=0): it passes every call on
// until `leaktrack attach` starts it (preload/attach.h).
bool SettingsTurnShimOff(const ShimSettings& settings);

// The list leaktrack_attach() takes: "NAME=VALUE" entries, each ending in a NUL, and an empty
// entry after the last.
std::string EncodeSettings(const ShimSettings& settings);

// The LEAKTRACK_* (and TMPDIR) entries of a list of NUL-ended "NAME=VALUE" strings, such as
// /proc/PID/environ or leaktrack_settings (whose unused rest is all NULs); empty ones are skipped.
ShimSettings DecodeSettings(const std::string& block);

// The settings the shim in the process works with: its environment, overridden by those it was
// attached with. `maps` is the process's /proc/PID/maps text. A process started with the shim in
// LD_PRELOAD has its environment only, unless that turned the shim off (an attach may have
// started it since). Reading an attach's settings needs ptrace rights over the
// process (root, or its owner where Yama allows): without them, *warning says so, and the
// environment is what is returned. Fails only when the environment cannot be read.
Result<ShimSettings> ReadShimSettings(const TargetProcess& target, const std::string& maps,
                                      std::string* warning);

// Whose handler of the dump signal runs in the process, as the shim knows it (its exported
// leaktrack_dump_handler_ours, preload/dump_trigger.cc): a program that installs its own after
// the shim's keeps the signal for itself, and sending it would run the program's action.
// kUnknown for a shim that predates the flag. Reading it needs ptrace rights, as above.
enum class HandlerOwner { kShim, kProgram, kUnknown };
Result<HandlerOwner> DumpHandlerOwner(const TargetProcess& target, const std::string& maps);

// The dump directories the shim in the process works with (its exported leaktrack_dump_dirs):
// {LEAKTRACK_DIR, fallback}, where an empty first means the working directory, then the
// fallback ($TMPDIR or /tmp). Empty when the shim has not started (it sets them then);
// nullopt when that cannot be read: no ptrace rights, or a shim that predates them. The
// environment says the same unless the program wrote over it (nginx's process title does).
std::optional<std::vector<std::string>> ShimDumpDirs(const TargetProcess& target,
                                                     const std::string& maps);

// Asks the process's interval thread for a dump now, without a signal: adds one to the shim's
// exported leaktrack_dump_requested through /proc/PID/mem, which the thread looks at after each
// nap of at most 100 ms (preload/dump_trigger.cc). True when the request was written and the
// thread named in leaktrack_dump_listener is alive; false when there is none (no
// LEAKTRACK_INTERVAL, or a shim that predates the request), or without ptrace rights.
bool AskIntervalThreadForDump(const TargetProcess& target, const std::string& maps);

// Asks the process's interval thread for a dump by a request file (preload/dump_request.h), for
// when AskIntervalThreadForDump may not write its memory: no ptrace rights, as where Yama's
// ptrace_scope is 1 or in a container without CAP_SYS_PTRACE. Creates leaktrack.<PID>.request
// (PID as the process knows itself) in the first of `dirs` (DumpDirs) that takes it, and
// returns its path. "" when the process has no interval thread, its shim predates request
// files, we are neither root nor its owner (the shim would not take our file), or no directory
// takes it. The caller removes the file once the dump is there.
std::string RequestDumpByFile(const TargetProcess& target, const std::string& maps,
                              const std::vector<std::string>& dirs);

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_SHIM_SETTINGS_H_
