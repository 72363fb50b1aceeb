// `leaktrack ps`: the processes that have the shim loaded, and how each one is set up.
//
// A service is often several processes (a master and its workers, a pool of them), and the one
// that leaks is not always the one a user thinks of. This lists every process whose
// /proc/PID/maps names libleaktrack.so (all of them as root; otherwise the user's own), with
// what `dump` would go by: whether the shim is on, its rate and interval, where its dumps go
// and how many are there. Reads files only; nothing is signalled or stopped.
#include <dirent.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/dump_files.h"
#include "tools/shim_settings.h"
#include "tools/target_process.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack ps\n"
    "\n"
    "Lists the processes that have libleaktrack.so loaded (as root, all of them; else yours):\n"
    "  PID       the process\n"
    "  STATE     on; off (LEAKTRACK_RATE=0: 'leaktrack attach PID' starts it); or inactive\n"
    "            (loaded, but it did not start: a setuid program, or its stderr says why)\n"
    "  RATE      mean bytes between samples\n"
    "  INTERVAL  seconds between periodic dumps ('-': none; with one, 'leaktrack dump' asks\n"
    "            for a dump without a signal)\n"
    "  DUMPS     its dumps in DIR now\n"
    "  DIR       where its dumps go (its working directory, then $TMPDIR or /tmp, when\n"
    "            LEAKTRACK_DIR is not set)\n"
    "  COMMAND   its command line (whole; on a terminal, lines stop at its width)\n"
    "The settings are the process's environment, and those 'leaktrack attach' gave, which win;\n"
    "reading the latter, and whether the shim started, needs ptrace rights.\n"
    "Exit codes: 0 success (also when none is found), 2 usage error.\n";

// One line of the table, as printed (the heading is one too).
struct Row {
  std::string pid, state, rate, interval, dumps, dir, command;
};

// The command line, arguments joined by spaces.
std::string CommandLine(const std::string& proc) {
  Result<std::string> raw = ReadWholeFile(proc + "/cmdline");
  if (!raw.ok() || raw.value().empty()) {
    Result<std::string> comm = ReadWholeFile(proc + "/comm");  // a kernel thread, a zombie
    return comm.ok() ? "[" + comm.value().substr(0, comm.value().find('\n')) + "]" : "?";
  }
  std::string line = raw.value();
  while (!line.empty() && line.back() == '\0') line.pop_back();
  std::replace(line.begin(), line.end(), '\0', ' ');
  return line;
}

// Where a line is cut: on a terminal, its width (COLUMNS first, as procps' ps reads it), so
// rows do not wrap; piped or redirected, nowhere, since a script wants the whole command line
// and a long path cut at a fixed width loses the program's name, its most telling part.
size_t LineLimit() {
  if (!isatty(STDOUT_FILENO)) return std::string::npos;
  uint64_t columns;
  const char* env = getenv("COLUMNS");
  if (env != nullptr && ParseUint(env, &columns) && columns >= 20) return columns;
  winsize size = {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

// Prints a row in columns, cut at `limit`. DIR and COMMAND may be of any length, so they are
// appended rather than formatted into the fixed-size buffer.
void PrintRow(const Row& r, size_t limit) {
  char head[128];
  snprintf(head, sizeof(head), "%7s  %-8s  %-6s  %-8s  %5s  ", r.pid.c_str(), r.state.c_str(),
           r.rate.c_str(), r.interval.c_str(), r.dumps.c_str());
  std::string line = head + r.dir;
  if (r.dir.size() < 30) line.append(30 - r.dir.size(), ' ');
  line += "  " + r.command;
  if (line.size() > limit) line = line.substr(0, limit - 3) + "...";
  puts(line.c_str());
}

// The row of process pid, or false when it has no shim loaded (or is gone, or not ours to read).
bool Describe(pid_t pid, Row* row) {
  const TargetProcess target = InspectTarget(pid);
  Result<std::string> maps = ReadWholeFile(target.proc + "/maps");
  if (!maps.ok() || maps.value().find("/libleaktrack.so") == std::string::npos) return false;
  std::string warning;  // the attach's settings unreadable: the environment's are shown
  Result<ShimSettings> settings = ReadShimSettings(target, maps.value(), &warning);
  const ShimSettings env = settings.ok() ? settings.value() : ShimSettings();
  const auto setting = [&env](const char* name, const char* otherwise) {
    auto it = env.find(name);
    return it != env.end() && !it->second.empty() ? it->second : std::string(otherwise);
  };
  row->pid = std::to_string(pid);
  // The shim says where it writes once it runs (ShimDumpDirs); an off one never started. When
  // that cannot be read (no ptrace rights, an older shim), the settings decide alone.
  const std::optional<std::vector<std::string>> shim_dirs = ShimDumpDirs(target, maps.value());
  const bool known = shim_dirs.has_value(), started = known && !shim_dirs->empty();
  const bool off = SettingsTurnShimOff(env) && !started;
  if (off) row->state = "off";
  else if (known && !started) row->state = "inactive";
  else row->state = "on";
  row->rate = off ? "0" : setting("LEAKTRACK_RATE", "512K");
  row->interval = setting("LEAKTRACK_INTERVAL", "-");
  const std::vector<std::string> dirs = DumpDirs(target, shim_dirs, env);
  row->dumps = std::to_string(ListDumps(dirs, target.own_pid).size());
  row->dir = dirs.empty() ? "?" : dirs[0];
  for (size_t i = 1; i < dirs.size(); ++i)
    if (dirs[i] != dirs[i - 1]) row->dir += ", then " + dirs[i];
  row->command = CommandLine(target.proc);
  return true;
}

}  // namespace

int PsCommand(int argc, char** argv, int first) {
  const std::string kCmd = "ps";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  if (first < argc)
    return Fail(kCmd, std::string("unexpected argument ") + argv[first], kExitUsage);
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return Fail(kCmd, "cannot read /proc");
  while (const dirent* e = readdir(proc)) {
    uint64_t pid;
    if (ParseUint(e->d_name, &pid) && pid != static_cast<uint64_t>(getpid()))
      pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  std::sort(pids.begin(), pids.end());
  std::vector<Row> rows;
  for (pid_t pid : pids) {
    Row row;
    if (Describe(pid, &row)) rows.push_back(row);
  }
  if (rows.empty()) {
    puts("no process has libleaktrack.so loaded (that this user may see)");
    return kExitOk;
  }
  const size_t limit = LineLimit();
  PrintRow({"PID", "STATE", "RATE", "INTERVAL", "DUMPS", "DIR", "COMMAND"}, limit);
  for (const Row& r : rows) PrintRow(r, limit);
  return kExitOk;
}

}  // namespace leaktrack
