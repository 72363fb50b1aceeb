// Display helpers for the text reports (see profile_view.h).
#include "tools/profile_view.h"

#include "symbolizer/demangle.h"
#include "symbolizer/gzip_io.h"
#include "symbolizer/profile_rewriter.h"
#include "symbolizer/runtime_frames.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace leaktrack {
namespace {

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The shim counts the samples it had to drop in a comment (heap_profile.cc). A profile that lost
// some undercounts, and pprof shows that only as one of the comment lines above its report.
void WarnDroppedSamples(const std::string& cmd, const Profile& p) {
  unsigned long long live = 0, stacks = 0, samples = 0;
  bool found = false;
  for (int64_t id : p.comment) {
    const char* c = p.Str(id).c_str();
    found |= sscanf(c, "dropped(live/stack table full)=%llu/%llu", &live, &stacks) == 2;
    sscanf(c, "samples=%llu", &samples);
  }
  if (!found || live + stacks == 0) return;
  std::string why;
  if (live != 0)
    why += std::to_string(live) + " as the live table was full (raise LEAKTRACK_MAX_LIVE)";
  if (stacks != 0)
    why += std::string(why.empty() ? "" : ", ") + std::to_string(stacks) +
           " as the stack table was full (raise LEAKTRACK_MAX_STACKS)";
  fprintf(stderr,
          "leaktrack %s: warning: the process dropped %llu of %llu samples, %s; the "
          "values undercount\n",
          cmd.c_str(), live + stacks, samples, why.c_str());
}

}  // namespace

std::vector<std::string> LocationFrames(const Profile& p, const Location& loc, bool with_address) {
  std::vector<std::string> frames;
  for (const Line& line : loc.line) {
    const Function* f = p.FindFunction(line.function_id);
    frames.push_back(f ? ShortDisplayName(p.Str(f->name ? f->name : f->system_name))
                       : "<unknown>");
  }
  if (frames.empty()) {
    const Mapping* m = loc.mapping_id ? p.FindMapping(loc.mapping_id) : nullptr;
    std::string name = m && !p.Str(m->filename).empty() ? "[" + Basename(p.Str(m->filename)) + "]"
                                                        : "<unknown>";
    if (with_address) {
      char buf[32];
      snprintf(buf, sizeof buf, " 0x%" PRIx64, loc.address);
      name += buf;
    }
    frames.push_back(name);
  }
  return frames;
}

std::vector<std::string> SampleStack(const Profile& p, const Sample& s, bool with_address) {
  std::vector<std::string> stack;
  for (uint64_t id : s.location_id) {
    const Location* loc = p.FindLocation(id);
    if (loc == nullptr) continue;
    for (std::string& f : LocationFrames(p, *loc, with_address)) stack.push_back(std::move(f));
  }
  return stack;
}

void NameProfile(const std::string& cmd, Profile* p, const std::vector<std::string>& debug_dirs,
                 const BinarySource& source, bool fold) {
  SymbolCache cache(debug_dirs, source);
  WarnDroppedSamples(cmd, *p);
  const SymbolizeReport report = SymbolizeProfile(p, &cache);
  for (const std::string& w : report.warnings)
    fprintf(stderr, "leaktrack %s: warning: %s\n", cmd.c_str(), w.c_str());
  // Only what was named here: a profile symbolized with --all-frames stays as it is.
  if (fold && report.locations_symbolized > 0) FoldRuntimeFrames(p);
}

namespace {

// A raw dump names no frame of a mapping. (Its only named frame, if any, is the shim's
// "[evicted stacks]", which has none.)
bool IsRawDump(const Profile& p) {
  for (const Location& loc : p.location)
    if (loc.mapping_id != 0 && !loc.line.empty()) return false;
  return true;
}

}  // namespace

bool ReadNamingOption(ArgReader* args, NamingSources* sources, std::string* error,
                      int* exit_code) {
  std::string value;
  bool missing = false;
  if (args->Option("--debug-dir", &value, &missing)) {
    if (missing) *error = "--debug-dir needs a directory", *exit_code = kExitUsage;
    else sources->debug_dirs.push_back(value);
  } else if (args->Option("--sysroot", &value, &missing)) {
    if (missing) {
      *error = "--sysroot needs a directory", *exit_code = kExitUsage;
      return true;
    }
    Result<std::string> root = SysrootArgument(value);
    if (!root.ok()) *error = root.error(), *exit_code = kExitFailure;
    else sources->source.sysroot = root.value();
  } else {
    return false;
  }
  return true;
}

Result<Profile> LoadProfileForReport(const std::string& cmd, const std::string& path,
                                     const NamingSources& sources) {
  Result<Profile> p = LoadProfileFile(path);
  // Only a raw dump: one that `symbolize` or `dump` named already keeps what they could not
  // name, without warning about it again with this machine's binaries.
  if (p.ok() && IsRawDump(p.value()))
    NameProfile(cmd, &p.value(), sources.debug_dirs, sources.source, /*fold=*/true);
  return p;
}

Result<size_t> SampleIndex(const Profile& p, const std::string& name) {
  if (p.sample_type.empty()) return MakeError("profile has no sample types");
  std::string wanted = name.empty() ? p.Str(p.default_sample_type) : name;
  if (wanted.empty()) return p.sample_type.size() - 1;
  std::string known;
  for (size_t i = 0; i < p.sample_type.size(); ++i) {
    if (p.Str(p.sample_type[i].type) == wanted) return i;
    known += (i ? ", " : "") + p.Str(p.sample_type[i].type);
  }
  return MakeError("no sample type '" + wanted + "' in profile (has: " + known + ")");
}

std::string FormatValue(int64_t value, const std::string& unit) {
  if (unit != "bytes") return std::to_string(value);
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = std::fabs(static_cast<double>(value));
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[48];
  snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  if (s.size() > 3 && s.compare(s.size() - 3, 3, ".00") == 0) s.resize(s.size() - 3);
  return (value < 0 ? "-" : "") + s + kUnits[u];
}

}  // namespace leaktrack
