// `leaktrack growth FILE FILE [FILE...]`: which stacks keep more and more live memory.
//
// Owns the leak-suspect ranking over a time series of dumps from one process. Per stack (the
// full chain of frame names, raw frames keyed by address) it takes inuse_space in each dump:
//   - leak suspect: never decreases from one dump to the next and ends higher than it started;
//   - growing: ends higher but dipped on the way (could be a cache filling up);
//   - steady churn: live bytes did not grow, but the stack kept allocating (alloc_space grew).
// Suspects come first, ordered by total growth; churn last. Stacks that neither grew nor
// allocated are not listed.
#include <algorithm>
#include <cstdio>
#include <map>

#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/profile_view.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack growth FILE FILE [FILE...] [-n N] [--debug-dir DIR]... [--sysroot DIR]\n"
    "\n"
    "Compares dumps of ONE process taken over time (oldest first) and ranks the allocation\n"
    "stacks whose live bytes (inuse_space) grew: monotonic growth (leak suspects) first,\n"
    "then growth with dips, then steady churn (allocating, but live bytes flat). Prints the\n"
    "growth per dump and the full stack of each.\n"
    "\n"
    "  -n N   show at most N stacks (default 10; 0 = all)\n"
    "  --debug-dir DIR, --sysroot DIR   for raw dumps, as for 'leaktrack symbolize'\n"
    "\n"
    "Exit codes: 0 success, 1 unreadable or incompatible dump, 2 usage error.\n";

struct Series {
  std::vector<int64_t> inuse;  // one per dump
  std::vector<int64_t> alloc;
};

enum Kind { kSuspect = 0, kGrowing = 1, kChurn = 2, kNone = 3 };

Kind Classify(const Series& s) {
  int64_t growth = s.inuse.back() - s.inuse.front();
  bool monotonic = true;
  for (size_t i = 1; i < s.inuse.size(); ++i) monotonic &= s.inuse[i] >= s.inuse[i - 1];
  if (growth > 0) return monotonic ? kSuspect : kGrowing;
  if (s.alloc.back() > s.alloc.front()) return kChurn;
  return kNone;
}

}  // namespace

int GrowthCommand(int argc, char** argv, int first) {
  const std::string kCmd = "growth";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  std::vector<std::string> files;
  uint64_t limit = 10;
  ArgReader args(argc, argv, first);
  std::string value;
  NamingSources sources;
  while (!args.done()) {
    bool missing = false;
    std::string error;
    int code = kExitOk;
    if (ReadNamingOption(&args, &sources, &error, &code)) {
      if (!error.empty()) return Fail(kCmd, error, code);
    } else if (args.Option("-n", &value, &missing)) {
      if (missing || !ParseUint(value, &limit))
        return Fail(kCmd, "-n needs a non-negative number", kExitUsage);
    } else if (args.Peek()[0] == '-' && args.Peek()[1] != '\0') {
      return Fail(kCmd, std::string("unknown option ") + args.Peek(), kExitUsage);
    } else {
      files.push_back(args.Next());
    }
  }
  if (files.size() < 2) return Fail(kCmd, "needs at least two dumps (see --help)", kExitUsage);
  return ReportGrowth(kCmd, files, limit, sources);
}

int ReportGrowth(const std::string& cmd, const std::vector<std::string>& files, uint64_t limit,
                 const NamingSources& sources) {
  std::map<std::string, Series> stacks;
  const size_t n = files.size();
  for (size_t d = 0; d < n; ++d) {
    Result<Profile> p = LoadProfileForReport(cmd, files[d], sources);
    if (!p.ok()) return Fail(cmd, p.error());
    Result<size_t> inuse = SampleIndex(p.value(), "inuse_space");
    Result<size_t> alloc = SampleIndex(p.value(), "alloc_space");
    if (!inuse.ok() || !alloc.ok())
      return Fail(cmd, files[d] + ": not a heap profile (needs inuse_space and alloc_space)");
    for (const Sample& s : p.value().sample) {
      std::vector<std::string> frames = SampleStack(p.value(), s, /*with_address=*/true);
      std::string key;
      for (const std::string& f : frames) key += f + "\n";
      Series& series = stacks[key];
      series.inuse.resize(n, 0);
      series.alloc.resize(n, 0);
      series.inuse[d] += s.value[inuse.value()];
      series.alloc[d] += s.value[alloc.value()];
    }
  }

  struct Ranked {
    Kind kind;
    int64_t growth;
    const std::string* stack;
    const Series* series;
  };
  std::vector<Ranked> ranked;
  for (const auto& [key, series] : stacks) {
    Kind kind = Classify(series);
    if (kind == kNone) continue;
    int64_t growth = kind == kChurn ? series.alloc.back() - series.alloc.front()
                                    : series.inuse.back() - series.inuse.front();
    ranked.push_back({kind, growth, &key, &series});
  }
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& a, const Ranked& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.growth != b.growth) return a.growth > b.growth;
    return *a.stack < *b.stack;
  });

  printf("Live-byte growth across %zu dumps (oldest first):", n);
  for (const std::string& f : files) printf(" %s", f.c_str());
  printf("\n");
  if (ranked.empty()) {
    printf("No stack grew or kept allocating.\n");
    return kExitOk;
  }
  static const char* kLabels[] = {"LEAK SUSPECT (grew in every interval)",
                                  "growing (with dips)", "steady churn (live bytes flat)"};
  size_t shown = limit == 0 ? ranked.size() : std::min<size_t>(limit, ranked.size());
  for (size_t i = 0; i < shown; ++i) {
    const Ranked& r = ranked[i];
    const Series& s = *r.series;
    printf("\n#%zu %s: live %s -> %s (%s%s)", i + 1, kLabels[r.kind],
           FormatValue(s.inuse.front(), "bytes").c_str(),
           FormatValue(s.inuse.back(), "bytes").c_str(),
           s.inuse.back() >= s.inuse.front() ? "+" : "",
           FormatValue(s.inuse.back() - s.inuse.front(), "bytes").c_str());
    if (r.kind == kChurn) printf(", allocated +%s", FormatValue(r.growth, "bytes").c_str());
    printf("\n   per dump:");
    for (size_t d = 1; d < n; ++d) {
      int64_t delta = s.inuse[d] - s.inuse[d - 1];
      printf(" %s%s", delta >= 0 ? "+" : "", FormatValue(delta, "bytes").c_str());
    }
    printf("\n");
    size_t start = 0;
    const std::string& stack = *r.stack;
    while (start < stack.size()) {
      size_t end = stack.find('\n', start);
      printf("      %s\n", stack.substr(start, end - start).c_str());
      start = end + 1;
    }
  }
  if (shown < ranked.size()) printf("\n(%zu more; use -n 0 to see all)\n", ranked.size() - shown);
  return kExitOk;
}

}  // namespace leaktrack
