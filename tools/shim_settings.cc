// See shim_settings.h.
#include "tools/shim_settings.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "preload/attach.h"
#include "preload/dump_request.h"
#include "preload/dump_retention.h"
#include "symbolizer/gzip_io.h"
#include "tools/attach_plan.h"
#include "tools/process_maps.h"

namespace leaktrack {
namespace {

// The process's lowest mapping of the shim, or nullptr.
const MapsLine* ShimMapping(const std::vector<MapsLine>& maps) {
  const MapsLine* lowest = nullptr;
  for (const MapsLine& m : maps) {
    if (m.path.find("/libleaktrack.so") == std::string::npos) continue;
    if (lowest == nullptr || m.offset < lowest->offset) lowest = &m;
  }
  return lowest;
}

// True when a thread of pid is the shim's interval thread, by the name it gives itself. Its id
// in leaktrack_dump_listener is the one its PID namespace knows, which our /proc may not.
bool HasIntervalThread(pid_t pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return false;
  bool found = false;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    Result<std::string> comm = ReadWholeFile(tasks + "/" + e->d_name + "/comm");
    if (comm.ok() && comm.value() == "leaktrack-dump\n") found = true;
  }
  closedir(dir);
  return found;
}

// The shim's exported variables the commands read or write (preload/attach.cc,
// preload/dump_trigger.cc).
const char* const kShimVariables[] = {"leaktrack_settings", "leaktrack_dump_handler_ours",
                                      "leaktrack_dump_requested", "leaktrack_dump_listener",
                                      "leaktrack_dump_dirs", "leaktrack_dump_request_files"};
constexpr size_t kShimVariableCount = sizeof(kShimVariables) / sizeof(kShimVariables[0]);

// Where the shim's exported `symbol` (one of kShimVariables) is in the process, or 0 when its
// shim has no such symbol. All of them are looked up in one read of the shim's symbol table, at
// the first call for a process, and kept: a dump asks for four.
Result<uint64_t> ShimVariableAddress(const TargetProcess& target, const std::string& maps,
                                     const char* symbol) {
  static pid_t found_pid = 0;
  static uint64_t found_start = 0;
  static uint64_t found[kShimVariableCount];
  const std::vector<MapsLine> lines = ParseProcMaps(maps);
  const MapsLine* shim = ShimMapping(lines);
  if (shim == nullptr) return uint64_t{0};
  if (found_pid != target.pid || found_start != shim->start) {
    uint64_t addresses[kShimVariableCount] = {};
    std::vector<std::pair<const char*, uint64_t*>> names;
    for (size_t i = 0; i < kShimVariableCount; ++i)
      names.emplace_back(kShimVariables[i], &addresses[i]);
    if (Status s = FindSymbols(target, *shim, names); !s.ok()) return MakeError(s.error());
    std::copy(addresses, addresses + kShimVariableCount, found);
    found_pid = target.pid;
    found_start = shim->start;
  }
  for (size_t i = 0; i < kShimVariableCount; ++i)
    if (strcmp(kShimVariables[i], symbol) == 0) return found[i];
  return MakeError(std::string("no shim variable ") + symbol);  // a caller's typo
}

// `size` bytes of the shim's exported variable `symbol` in the process, through /proc/PID/mem;
// "" when the process maps no shim or its shim predates the variable.
Result<std::string> ReadShimVariable(const TargetProcess& target, const std::string& maps,
                                     const char* symbol, size_t size) {
  Result<uint64_t> where = ShimVariableAddress(target, maps, symbol);
  if (!where.ok()) return MakeError(where.error());
  const uint64_t address = where.value();
  if (address == 0) return std::string();
  const std::string mem = target.proc + "/mem";
  const int fd = open(mem.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError("cannot open " + mem + ": " + strerror(errno));
  std::string bytes(size, '\0');
  const ssize_t n = pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(address));
  const int error = errno;
  close(fd);
  if (n != static_cast<ssize_t>(bytes.size()))
    return MakeError("cannot read " + mem + ": " + (n < 0 ? strerror(error) : "short read"));
  return bytes;
}

// The non-empty entries of a list of NUL-ended strings.
std::vector<std::string> Entries(const std::string& block) {
  std::vector<std::string> entries;
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find('\0', start);
    if (end == std::string::npos) end = block.size();
    if (end > start) entries.push_back(block.substr(start, end - start));
    start = end + 1;
  }
  return entries;
}

// True when an environment has the shim in LD_PRELOAD. A shim that took itself out for the
// programs it runs (LEAKTRACK_FOLLOW_EXEC=0) did so in its own copy: the environment the kernel
// shows keeps the entry.
bool PreloadsShim(const std::string& environ) {
  for (const std::string& entry : Entries(environ))
    if (entry.rfind("LD_PRELOAD=", 0) == 0 && entry.find("libleaktrack") != std::string::npos)
      return true;
  return false;
}

// A byte count as the shim takes LEAKTRACK_RATE (preload/config.h, ParseSize): decimal, with an
// optional K, M or G (powers of 1024), at most 2^40.
bool ParseRate(const std::string& value, uint64_t* bytes) {
  std::string digits = value;
  uint64_t unit = 1;
  const char last = value.empty() ? '\0' : value.back();
  if (last == 'k' || last == 'K') unit = 1ull << 10;
  if (last == 'm' || last == 'M') unit = 1ull << 20;
  if (last == 'g' || last == 'G') unit = 1ull << 30;
  if (unit != 1) digits.pop_back();
  uint64_t n;
  if (!ParseUint(digits, &n) || n > (1ull << 40) / unit) return false;
  *bytes = n * unit;
  return true;
}

bool IsRate(const std::string& value) {
  uint64_t bytes;
  return ParseRate(value, &bytes);
}

}  // namespace

bool SettingsTurnShimOff(const ShimSettings& settings) {
  const auto it = settings.find("LEAKTRACK_RATE");
  uint64_t bytes;
  return it != settings.end() && ParseRate(it->second, &bytes) && bytes == 0;
}

bool ReadSettingOption(ArgReader* args, ShimSettings* settings, std::string* error) {
  std::string value;
  bool missing = false;
  double seconds;
  int signo;
  if (args->Option("--rate", &value, &missing)) {
    if (missing || !IsRate(value))
      *error = "--rate needs a number of bytes (K, M, G allowed), at most 1024G";
    else (*settings)["LEAKTRACK_RATE"] = value;
  } else if (args->Option("--interval", &value, &missing)) {
    if (missing || !ParseSeconds(value, &seconds)) *error = "--interval needs a number of seconds";
    else (*settings)["LEAKTRACK_INTERVAL"] = value;
  } else if (args->Flag("--at-exit")) {
    (*settings)["LEAKTRACK_AT_EXIT"] = "1";
  } else if (args->Option("--keep", &value, &missing)) {
    uint64_t n;  // the shim's range (preload/config.cc): 1 would remove every new dump
    if (missing || !ParseUint(value, &n) || n == 1 || n > kMaxKeptDumps)
      *error = "--keep needs 0 (keep all) or a number of dumps from 2 to " +
               std::to_string(kMaxKeptDumps);
    else (*settings)["LEAKTRACK_KEEP"] = value;
  } else if (args->Option("--signal", &value, &missing)) {
    if (missing || !ParseSignal(value, &signo))
      *error = "--signal needs USR1, USR2, RTMIN+N, a number or 0";
    else (*settings)["LEAKTRACK_SIGNAL"] = value;
  } else {
    return false;
  }
  return true;
}

std::string EncodeSettings(const ShimSettings& settings) {
  std::string block;
  for (const auto& [name, value] : settings) {
    block += name + "=" + value;
    block += '\0';
  }
  block += '\0';
  return block;
}

ShimSettings DecodeSettings(const std::string& block) {
  ShimSettings settings;
  for (const std::string& entry : Entries(block)) {
    const size_t eq = entry.find('=');
    if (eq != std::string::npos &&
        (entry.rfind("LEAKTRACK_", 0) == 0 || entry.rfind("TMPDIR=", 0) == 0))
      settings[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return settings;
}

Result<ShimSettings> ReadShimSettings(const TargetProcess& target, const std::string& maps,
                                      std::string* warning) {
  const std::string pid = std::to_string(target.pid);
  Result<std::string> environ = ReadWholeFile(target.proc + "/environ");
  if (!environ.ok())
    return MakeError("cannot read the environment of " + pid + " (" + environ.error() + ")");
  ShimSettings settings = DecodeSettings(environ.value());
  // Preloaded and on, the shim was never attached: that is all. Preloaded and off, an attach
  // may have started it (preload/attach.h).
  if (PreloadsShim(environ.value()) && !SettingsTurnShimOff(settings)) return settings;
  Result<std::string> attached =
      ReadShimVariable(target, maps, "leaktrack_settings", kAttachSettingsSize);
  if (!attached.ok()) {
    *warning = "cannot read the settings process " + pid + " was attached with (" +
               attached.error() + "); using its environment's";
    return settings;
  }
  for (const auto& [name, value] : DecodeSettings(attached.value())) settings[name] = value;
  return settings;
}

std::optional<std::vector<std::string>> ShimDumpDirs(const TargetProcess& target,
                                                     const std::string& maps) {
  constexpr size_t kDirBytes = 512;  // preload/config.h: Config::dir, Config::fallback_dir
  Result<std::string> dirs = ReadShimVariable(target, maps, "leaktrack_dump_dirs", 2 * kDirBytes);
  if (!dirs.ok() || dirs.value().size() != 2 * kDirBytes) return std::nullopt;
  const std::string& bytes = dirs.value();
  std::string dir(bytes.c_str(), strnlen(bytes.data(), kDirBytes));
  std::string fallback(bytes.c_str() + kDirBytes, strnlen(bytes.data() + kDirBytes, kDirBytes));
  if (fallback.empty()) return std::vector<std::string>();  // set ("/tmp" at least) at start
  return std::vector<std::string>{dir, fallback};
}

bool AskIntervalThreadForDump(const TargetProcess& target, const std::string& maps) {
  Result<std::string> listener = ReadShimVariable(target, maps, "leaktrack_dump_listener", 4);
  if (!listener.ok() || listener.value().size() != 4) return false;
  uint32_t tid;
  memcpy(&tid, listener.value().data(), sizeof(tid));
  if (tid == 0 || !HasIntervalThread(target.pid)) return false;
  Result<uint64_t> where = ShimVariableAddress(target, maps, "leaktrack_dump_requested");
  if (!where.ok() || where.value() == 0) return false;
  const std::string mem = target.proc + "/mem";
  const int fd = open(mem.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  // Read, add one, write back: two requests racing may write the same count, and then one dump
  // answers both (each waits for a dump newer than the ones it saw).
  uint32_t count = 0;
  const off_t at = static_cast<off_t>(where.value());
  const bool ok = pread(fd, &count, sizeof(count), at) == sizeof(count) &&
                  (++count, pwrite(fd, &count, sizeof(count), at) == sizeof(count));
  close(fd);
  return ok;
}

std::string RequestDumpByFile(const TargetProcess& target, const std::string& maps,
                              const std::vector<std::string>& dirs) {
  // The shim takes a file of its own effective uid's or root's; its fs uid is that uid unless
  // it called setfsuid.
  const uid_t we = geteuid();
  if (target.credentials_known && we != 0 && we != target.fs_uid) return "";
  if (!HasIntervalThread(target.pid)) return "";
  Result<uint64_t> marker = ShimVariableAddress(target, maps, "leaktrack_dump_request_files");
  if (!marker.ok() || marker.value() == 0) return "";
  for (const std::string& dir : dirs) {
    const std::string path =
        dir + "/leaktrack." + std::to_string(target.own_pid) + kRequestFileSuffix;
    // One left behind by an earlier dump is ours to remove; the shim serves each file once.
    unlink(path.c_str());
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      close(fd);
      return path;
    }
  }
  return "";
}

Result<HandlerOwner> DumpHandlerOwner(const TargetProcess& target, const std::string& maps) {
  Result<std::string> flag = ReadShimVariable(target, maps, "leaktrack_dump_handler_ours", 1);
  if (!flag.ok()) return MakeError(flag.error());
  if (flag.value().empty()) return HandlerOwner::kUnknown;
  return flag.value()[0] != 0 ? HandlerOwner::kShim : HandlerOwner::kProgram;
}

}  // namespace leaktrack
