// Test support: turns the symbolizer fixture's output into a raw leaktrack profile, and renders
// symbolized stacks as golden text.
//
// The raw profile follows the shim's recipe (a) from PPROF.md §3 exactly (four sample types,
// one sample per (stack, size) with a "bytes" label, one Mapping per executable segment with the
// main executable first, one Location per address, no Function table, has_* flags false), so
// the symbolizer is tested on the input it will get from the real shim.
#ifndef LEAKTRACK_TESTS_SYMBOLIZER_FIXTURE_SUPPORT_H_
#define LEAKTRACK_TESTS_SYMBOLIZER_FIXTURE_SUPPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "symbolizer/profile.h"
#include "symbolizer/result.h"

namespace leaktrack {

struct FixtureOutput {
  std::string exe;
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> samples;  // size, leaf-first stack
  struct Map {
    uint64_t start, end, offset;
    std::string path;
  };
  std::vector<Map> maps;
  std::map<std::string, std::string> build_ids;  // realpath -> hex
};

Result<FixtureOutput> ParseFixtureOutput(const std::string& path);

// Recipe (a) raw profile of the fixture's samples (each recorded allocation counted once,
// i.e. LEAKTRACK_RATE=1).
Profile BuildRawProfile(const FixtureOutput& out);

// One block per sample: frames leaf first, "name file:line" for frames in files under
// `fixture_dir` (file shown as basename, "(inline)" for all but a location's last line), and
// "name [lib]" / "? [lib]" for other libraries. Stops after main unless `below_main`.
std::string RenderStacks(const Profile& p, const std::string& fixture_dir, bool below_main);

}  // namespace leaktrack

#endif  // LEAKTRACK_TESTS_SYMBOLIZER_FIXTURE_SUPPORT_H_
