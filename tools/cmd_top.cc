// `leaktrack top FILE [--base FILE] [-n N] [--sample TYPE]` and `leaktrack diff A B`.
//
// Owns the pprof-like flat/cum table for machines without Go. flat = value of samples whose
// leaf frame is the function; cum = value of samples with the function anywhere on the stack
// (counted once per sample). With --base, the base profile's values are subtracted per
// function, which is what pprof's -base shows after merging.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/profile_view.h"

namespace leaktrack {
namespace {

const char kTopHelp[] =
    "usage: leaktrack top FILE [--base FILE] [-n N] [--sample TYPE] [--debug-dir DIR]...\n"
    "                     [--sysroot DIR]\n"
    "\n"
    "Prints the functions holding the most memory, like 'go tool pprof -top':\n"
    "flat, flat%, sum%, cum, cum%, name. A raw dump is symbolized first with the binaries on\n"
    "this machine, as 'leaktrack symbolize' does.\n"
    "\n"
    "  --base FILE    subtract this earlier dump first (shows growth)\n"
    "  -n N           number of rows (default 20; 0 = all)\n"
    "  --sample TYPE  inuse_space (default), inuse_objects, alloc_space or alloc_objects\n"
    "  --debug-dir DIR, --sysroot DIR   for a raw dump, as for 'leaktrack symbolize'\n"
    "\n"
    "Exit codes: 0 success, 1 unreadable or incompatible profile, 2 usage error.\n";

const char kDiffHelp[] =
    "usage: leaktrack diff A B [-n N] [--sample TYPE] [--debug-dir DIR]... [--sysroot DIR]\n"
    "\n"
    "Shows what grew from dump A to dump B: the same as 'leaktrack top --base A B'.\n"
    "Exit codes: 0 success, 1 unreadable or incompatible profile, 2 usage error.\n";

struct Row {
  int64_t flat = 0;
  int64_t cum = 0;
};

// Adds sign * values of `p`'s chosen sample type to the per-function rows.
void Accumulate(const Profile& p, size_t index, int sign, std::map<std::string, Row>* rows,
                int64_t* total) {
  for (const Sample& s : p.sample) {
    int64_t v = sign * s.value[index];
    if (v == 0) continue;
    *total += v;
    std::vector<std::string> stack = SampleStack(p, s, /*with_address=*/false);
    if (stack.empty()) stack.push_back("<unknown>");
    (*rows)[stack.front()].flat += v;
    std::set<std::string> seen;
    for (const std::string& f : stack)
      if (seen.insert(f).second) (*rows)[f].cum += v;
  }
}

std::string Percent(int64_t part, int64_t whole) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f%%", whole == 0 ? 0.0 : 100.0 * part / whole);
  return buf;
}

int Top(const std::string& cmd, const std::string& file, const std::string& base,
        uint64_t limit, const std::string& sample, const NamingSources& sources) {
  Result<Profile> p = LoadProfileForReport(cmd, file, sources);
  if (!p.ok()) return Fail(cmd, p.error());
  Result<size_t> index = SampleIndex(p.value(), sample);
  if (!index.ok()) return Fail(cmd, file + ": " + index.error());
  const ValueType& vt = p.value().sample_type[index.value()];
  const std::string type = p.value().Str(vt.type), unit = p.value().Str(vt.unit);

  std::map<std::string, Row> rows;
  int64_t total = 0;
  Accumulate(p.value(), index.value(), +1, &rows, &total);
  if (!base.empty()) {
    Result<Profile> b = LoadProfileForReport(cmd, base, sources);
    if (!b.ok()) return Fail(cmd, b.error());
    Result<size_t> bi = SampleIndex(b.value(), type);
    if (!bi.ok() || b.value().Str(b.value().sample_type[bi.value()].unit) != unit ||
        b.value().sample_type.size() != p.value().sample_type.size())
      return Fail(cmd, base + ": incompatible with " + file + " (different sample types)");
    Accumulate(b.value(), bi.value(), -1, &rows, &total);
  }

  std::vector<std::pair<std::string, Row>> sorted(rows.begin(), rows.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    if (std::llabs(a.second.flat) != std::llabs(b.second.flat))
      return std::llabs(a.second.flat) > std::llabs(b.second.flat);
    if (std::llabs(a.second.cum) != std::llabs(b.second.cum))
      return std::llabs(a.second.cum) > std::llabs(b.second.cum);
    return a.first < b.first;
  });
  size_t shown = limit == 0 ? sorted.size() : std::min<size_t>(limit, sorted.size());
  int64_t shown_flat = 0;
  for (size_t i = 0; i < shown; ++i) shown_flat += sorted[i].second.flat;

  const Profile& prof = p.value();
  if (!prof.mapping.empty()) {
    std::string main_file = prof.Str(prof.mapping[0].filename);
    printf("File: %s\n", main_file.substr(main_file.rfind('/') + 1).c_str());
  }
  printf("Type: %s\n", type.c_str());
  if (!base.empty()) printf("Base: %s\n", base.c_str());
  printf("Showing nodes accounting for %s, %s of %s total\n", FormatValue(shown_flat, unit).c_str(),
         Percent(shown_flat, total).c_str(), FormatValue(total, unit).c_str());
  if (shown < sorted.size())
    printf("Dropped %zu nodes (-n %zu)\n", sorted.size() - shown, static_cast<size_t>(limit));
  printf("%10s %7s %7s %10s %7s  %s\n", "flat", "flat%", "sum%", "cum", "cum%", "name");
  int64_t sum = 0;
  for (size_t i = 0; i < shown; ++i) {
    const Row& r = sorted[i].second;
    sum += r.flat;
    printf("%10s %7s %7s %10s %7s  %s\n", FormatValue(r.flat, unit).c_str(),
           Percent(r.flat, total).c_str(), Percent(sum, total).c_str(),
           FormatValue(r.cum, unit).c_str(), Percent(r.cum, total).c_str(),
           sorted[i].first.c_str());
  }
  return kExitOk;
}

// Parses the options shared by top and diff; positional arguments go to *files.
int ParseCommon(const std::string& cmd, ArgReader* args, std::vector<std::string>* files,
                std::string* base, uint64_t* limit, std::string* sample,
                NamingSources* sources) {
  std::string value;
  while (!args->done()) {
    bool missing = false;
    std::string error;
    int code = kExitOk;
    if (ReadNamingOption(args, sources, &error, &code)) {
      if (!error.empty()) return Fail(cmd, error, code);
    } else if (args->Option("--base", &value, &missing)) {
      if (missing) return Fail(cmd, "--base needs a file", kExitUsage);
      *base = value;
    } else if (args->Option("-n", &value, &missing) || args->Option("--nodes", &value, &missing)) {
      if (missing || !ParseUint(value, limit))
        return Fail(cmd, "-n needs a non-negative number", kExitUsage);
    } else if (args->Option("--sample", &value, &missing) ||
               args->Option("--sample_index", &value, &missing)) {
      if (missing) return Fail(cmd, "--sample needs a type", kExitUsage);
      static const std::set<std::string> kTypes = {"inuse_space", "inuse_objects",
                                                   "alloc_space", "alloc_objects"};
      if (kTypes.count(value) == 0)
        return Fail(cmd, "--sample must be inuse_space, inuse_objects, alloc_space or "
                         "alloc_objects", kExitUsage);
      *sample = value;
    } else if (args->Peek()[0] == '-' && args->Peek()[1] != '\0') {
      return Fail(cmd, std::string("unknown option ") + args->Peek(), kExitUsage);
    } else {
      files->push_back(args->Next());
    }
  }
  return kExitOk;
}

}  // namespace

int TopCommand(int argc, char** argv, int first) {
  if (HelpRequested(argc, argv, first)) {
    fputs(kTopHelp, stdout);
    return kExitOk;
  }
  ArgReader args(argc, argv, first);
  std::vector<std::string> files;
  std::string base, sample;
  uint64_t limit = 20;
  NamingSources sources;
  if (int rc = ParseCommon("top", &args, &files, &base, &limit, &sample, &sources)) return rc;
  if (files.size() != 1) return Fail("top", "expected exactly one FILE (see --help)", kExitUsage);
  return Top("top", files[0], base, limit, sample, sources);
}

int DiffCommand(int argc, char** argv, int first) {
  if (HelpRequested(argc, argv, first)) {
    fputs(kDiffHelp, stdout);
    return kExitOk;
  }
  ArgReader args(argc, argv, first);
  std::vector<std::string> files;
  std::string base, sample;
  uint64_t limit = 20;
  NamingSources sources;
  if (int rc = ParseCommon("diff", &args, &files, &base, &limit, &sample, &sources)) return rc;
  if (files.size() != 2 || !base.empty())
    return Fail("diff", "expected two files A B (see --help)", kExitUsage);
  return Top("diff", files[1], files[0], limit, sample, sources);
}

}  // namespace leaktrack
