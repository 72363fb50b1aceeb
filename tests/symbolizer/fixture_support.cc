// Fixture output parsing, raw profile building and golden rendering (see fixture_support.h).
#include "tests/symbolizer/fixture_support.h"

#include <limits.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>

namespace leaktrack {
namespace {

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// "libstdc++.so.6.0.30" -> "libstdc++.so": keeps goldens independent of library versions.
std::string LibName(const std::string& path) {
  std::string base = Basename(path);
  size_t so = base.find(".so");
  return so == std::string::npos ? base : base.substr(0, so + 3);
}

}  // namespace

Result<FixtureOutput> ParseFixtureOutput(const std::string& path) {
  std::ifstream in(path);
  if (!in) return MakeError(path + ": cannot open");
  FixtureOutput out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string kind;
    ss >> kind;
    if (kind == "exe") {
      ss >> out.exe;
    } else if (kind == "sample") {
      uint64_t size;
      ss >> size;
      std::vector<uint64_t> stack;
      std::string addr;
      while (ss >> addr) stack.push_back(std::stoull(addr, nullptr, 16));
      out.samples.emplace_back(size, stack);
    } else if (kind == "map") {
      FixtureOutput::Map m;
      std::string start, end, offset;
      ss >> start >> end >> offset;
      std::getline(ss >> std::ws, m.path);
      m.start = std::stoull(start, nullptr, 16);
      m.end = std::stoull(end, nullptr, 16);
      m.offset = std::stoull(offset, nullptr, 16);
      out.maps.push_back(m);
    } else if (kind == "buildid") {
      std::string file, hex;
      ss >> file >> hex;
      out.build_ids[RealPath(file)] = hex;
    }
  }
  if (out.exe.empty() || out.samples.empty() || out.maps.empty())
    return MakeError(path + ": incomplete fixture output");
  return out;
}

Profile BuildRawProfile(const FixtureOutput& out) {
  Profile p;
  for (const char* type : {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}) {
    std::string t(type);
    p.sample_type.push_back({p.Intern(t), p.Intern(t.find("space") != std::string::npos
                                                        ? "bytes" : "count")});
  }
  p.period_type = {p.Intern("space"), p.Intern("bytes")};
  p.period = 1;
  p.time_nanos = 1;
  p.comment.push_back(p.Intern("leaktrack fixture"));
  p.comment.push_back(p.Intern("rate=1"));

  // Mappings: the main executable's segments first.
  std::vector<FixtureOutput::Map> maps;
  for (const auto& m : out.maps) if (m.path == out.exe) maps.push_back(m);
  for (const auto& m : out.maps) if (m.path != out.exe) maps.push_back(m);
  for (const auto& m : maps) {
    Mapping mp;
    mp.id = p.mapping.size() + 1;
    mp.memory_start = m.start;
    mp.memory_limit = m.end;
    mp.file_offset = m.offset;
    mp.filename = p.Intern(m.path);
    auto id = out.build_ids.find(RealPath(m.path));
    if (id != out.build_ids.end()) mp.build_id = p.Intern(id->second);
    p.mapping.push_back(mp);
  }
  std::map<uint64_t, uint64_t> location_ids;
  std::map<std::pair<std::vector<uint64_t>, uint64_t>, size_t> buckets;
  for (const auto& [size, stack] : out.samples) {
    std::vector<uint64_t> ids;
    for (uint64_t addr : stack) {
      auto [it, inserted] = location_ids.emplace(addr, p.location.size() + 1);
      if (inserted) {
        Location l;
        l.id = it->second;
        l.address = addr;
        for (const Mapping& m : p.mapping)
          if (addr >= m.memory_start && addr < m.memory_limit) l.mapping_id = m.id;
        p.location.push_back(l);
      }
      ids.push_back(it->second);
    }
    auto [b, fresh] = buckets.emplace(std::make_pair(ids, size), p.sample.size());
    if (fresh) {
      Sample s;
      s.location_id = ids;
      s.value = {0, 0, 0, 0};
      s.label.push_back({p.Intern("bytes"), 0, static_cast<int64_t>(size), p.Intern("bytes")});
      p.sample.push_back(s);
    }
    std::vector<int64_t>& v = p.sample[b->second].value;
    v[0] += 1;
    v[1] += static_cast<int64_t>(size);
    v[2] += 1;
    v[3] += static_cast<int64_t>(size);
  }
  p.ReindexIds();
  return p;
}

std::string RenderStacks(const Profile& p, const std::string& fixture_dir, bool below_main) {
  std::ostringstream os;
  for (const Sample& s : p.sample) {
    os << "sample bytes=" << (s.label.empty() ? 0 : s.label[0].num) << " count=" << s.value[0]
       << "\n";
    bool past_main = false;
    for (uint64_t id : s.location_id) {
      if (past_main && !below_main) break;
      const Location* loc = p.FindLocation(id);
      const Mapping* m = p.FindMapping(loc->mapping_id);
      std::string file = m ? p.Str(m->filename) : "";
      bool ours = file.rfind(fixture_dir, 0) == 0;
      // libc's frame names depend on whether libc6-dbg is installed; show only the library.
      if (loc->line.empty() || LibName(file) == "libc.so") {
        os << "  [" << LibName(file) << "]\n";
        continue;
      }
      for (size_t i = 0; i < loc->line.size(); ++i) {
        const Function* f = p.FindFunction(loc->line[i].function_id);
        std::string name = p.Str(f->system_name);
        os << "  " << name;
        if (ours && f->filename != 0) {
          os << " " << Basename(p.Str(f->filename)) << ":" << loc->line[i].line;
        } else {
          os << " [" << LibName(file) << "]";
        }
        if (i + 1 < loc->line.size()) os << " (inline)";
        os << "\n";
        if (name == "main") past_main = true;
      }
    }
  }
  return os.str();
}

}  // namespace leaktrack
