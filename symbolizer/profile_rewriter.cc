// Raw -> symbolized profile rewriting (see profile_rewriter.h).
#include "symbolizer/profile_rewriter.h"

#include <map>
#include <tuple>
#include <unordered_map>

#include "symbolizer/demangle.h"
#include "symbolizer/runtime_frames.h"

namespace leaktrack {
namespace {

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// pprof never symbolizes these either (vdso, anonymous and special mappings).
bool IsPseudoFile(const std::string& path) {
  std::string base = Basename(path);
  return (!base.empty() && base[0] == '[') || base.rfind("linux-vdso", 0) == 0 ||
         path.rfind("/dev/", 0) == 0 || path.rfind("/memfd:", 0) == 0;
}

class FunctionTable {
 public:
  explicit FunctionTable(Profile* p) : p_(p) {
    for (const Function& f : p->function) {
      next_id_ = std::max(next_id_, f.id + 1);
      index_.emplace(std::make_tuple(f.name, f.system_name, f.filename, f.start_line), f.id);
    }
  }
  uint64_t Get(const SourceFrame& frame) {
    int64_t system_name = p_->Intern(frame.name);
    // A bare DWARF name's display form is its qualified name ("std::_Function_handler::
    // _M_invoke" for "_M_invoke"). Then name != system_name, as for a mangled symbol, and pprof
    // shows the name as it is (it rewrites a name equal to its system_name that looks like C++,
    // cutting "operator()" to "operator").
    const std::string& source = frame.qualified.empty() ? frame.name : frame.qualified;
    int64_t source_index = frame.qualified.empty() ? system_name : p_->Intern(source);
    // Demangling is the costliest step per frame; do it once per distinct symbol.
    auto [short_it, fresh_name] = short_names_.try_emplace(source_index, 0);
    if (fresh_name) short_it->second = p_->Intern(ShortDisplayName(source));
    int64_t name = short_it->second;
    int64_t file = frame.file.empty() ? 0 : p_->Intern(frame.file);
    auto key = std::make_tuple(name, system_name, file, frame.start_line);
    auto [it, inserted] = index_.emplace(key, next_id_);
    if (inserted) {
      Function f;
      f.id = next_id_++;
      // Short demangled name + mangled system_name (PPROF.md §4): pprof shows `name` as is, so
      // the output is the same with and without -symbolize=none.
      f.name = name;
      f.system_name = system_name;
      f.filename = file;
      f.start_line = frame.start_line;
      p_->function.push_back(f);
    }
    return it->second;
  }

 private:
  Profile* p_;
  uint64_t next_id_ = 1;
  std::map<std::tuple<int64_t, int64_t, int64_t, int64_t>, uint64_t> index_;
  std::unordered_map<int64_t, int64_t> short_names_;  // source name -> name string index
};

// What to tell about a module whose stripped code left addresses without a name.
std::string NoDebugInfo(const std::string& path, const std::string& build_id, size_t unnamed,
                        size_t total, const Module& module, const SymbolCache& cache) {
  std::string line = path + ": " + std::to_string(unnamed) + " of " + std::to_string(total) +
                     " addresses have no name: it has no debug info";
  if (!build_id.empty()) line += ", and none was found for build ID " + build_id;
  if (!module.debuginfod_error().empty())
    return line + " (debuginfod: " + module.debuginfod_error() + ")";
  if (cache.asks_debuginfod()) return line;
  return line + " (install its debug symbols, as Debian's -dbgsym packages, or set "
                "DEBUGINFOD_URLS to fetch them)";
}

}  // namespace

std::string MappedPath(const std::string& filename) {
  const std::string kDeleted = " (deleted)";
  if (filename.size() > kDeleted.size() &&
      filename.compare(filename.size() - kDeleted.size(), kDeleted.size(), kDeleted) == 0)
    return filename.substr(0, filename.size() - kDeleted.size());
  return filename;
}

SymbolizeReport SymbolizeProfile(Profile* profile, SymbolCache* cache) {
  SymbolizeReport report;
  if (!cache->debuginfod_problem().empty()) report.warnings.push_back(cache->debuginfod_problem());
  std::map<uint64_t, std::vector<size_t>> by_mapping;  // mapping id -> location indexes
  for (size_t i = 0; i < profile->location.size(); ++i) {
    const Location& l = profile->location[i];
    if (l.mapping_id != 0 && l.line.empty()) by_mapping[l.mapping_id].push_back(i);
  }
  FunctionTable functions(profile);
  for (Mapping& m : profile->mapping) {
    auto group = by_mapping.find(m.id);
    if (group == by_mapping.end()) continue;
    if (m.has_functions || m.has_filenames || m.has_line_numbers) continue;
    const std::vector<size_t>& locations = group->second;
    report.locations_considered += locations.size();
    const std::string path = MappedPath(profile->Str(m.filename));
    if (IsPseudoFile(path)) continue;
    if (path.empty()) {
      report.warnings.push_back("mapping " + std::to_string(m.id) + " has no file name; " +
                                std::to_string(locations.size()) +
                                " addresses left unsymbolized");
      continue;
    }
    Result<Module*> module = cache->Get(path, profile->Str(m.build_id));
    if (!module.ok()) {
      report.warnings.push_back(module.error() + "; " + std::to_string(locations.size()) +
                                " addresses left unsymbolized");
      continue;
    }
    bool any_name = false, any_file = false, any_line = false, any_dwarf = false;
    size_t unnamed = 0;
    for (size_t index : locations) {
      Location& loc = profile->location[index];
      const ResolvedAddress& r =
          module.value()->Resolve(m.memory_start, m.file_offset, loc.address);
      if (r.frames.empty()) {
        ++unnamed;
        continue;
      }
      ++report.locations_symbolized;
      any_name = true;
      any_dwarf |= r.from_dwarf;
      for (const SourceFrame& f : r.frames) {
        any_file |= !f.file.empty();
        any_line |= f.line > 0;
        Line line;
        line.function_id = functions.Get(f);
        line.line = f.line;
        loc.line.push_back(line);
      }
    }
    // Not for the C and C++ runtimes (stripped on Debian, debug packages rarely installed):
    // their frames at the allocating end are trimmed, and the program's own are what is hunted.
    if (unnamed > 0 && !module.value()->has_dwarf() && !IsRuntimeObject(path))
      report.warnings.push_back(NoDebugInfo(path, profile->Str(m.build_id), unnamed,
                                            locations.size(), *module.value(), *cache));
    // pprof's meaning of the flags: this kind of information was found for the mapping.
    m.has_functions = any_name;
    m.has_filenames = any_file;
    m.has_line_numbers = any_line;
    m.has_inline_frames = any_dwarf;
  }
  profile->ReindexIds();
  return report;
}

}  // namespace leaktrack
