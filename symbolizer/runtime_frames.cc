// Charging runtime allocations to the program's function (see runtime_frames.h).
#include "symbolizer/runtime_frames.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "symbolizer/demangle.h"
#include "symbolizer/rust_v0.h"

namespace leaktrack {
namespace {

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool IsRustRuntimeCrate(const std::string& crate) {
  return crate == "std" || crate == "alloc" || crate == "core" || crate == "hashbrown";
}

bool IsRustRuntimePath(const std::string& path) {
  for (const char* crate : {"std::", "alloc::", "core::", "hashbrown::"})
    if (StartsWith(path, crate)) return true;
  return false;
}

// The self type of a qualified Rust name ("<u8 as alloc::vec::SpecFromElem>::from_elem" -> "u8",
// "<alloc::alloc::Global>::alloc_impl" -> "alloc::alloc::Global"), or "" when there is none.
std::string QualifiedSelf(const std::string& name) {
  if (name.empty() || name[0] != '<') return "";
  int depth = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<' || name[i] == '[' || name[i] == '(') ++depth;
    if (name[i] == '>' || name[i] == ']' || name[i] == ')') --depth;
    if (depth == 0) return name.substr(1, i - 1);
    if (depth == 1 && name.compare(i, 4, " as ") == 0) return name.substr(1, i - 1);
  }
  return "";
}

// Impls the standard library provides for types the program did not define: primitives,
// slices, references to those, trait objects of its traits, and generic parameters (an impl
// written for any T).
bool IsRustLibraryType(std::string type) {
  for (bool again = true; again;) {
    again = false;
    for (const char* p : {"&mut ", "&", "*const ", "*mut ", "[", "dyn "}) {
      if (StartsWith(type, p)) {
        type = type.substr(std::string(p).size());
        again = true;
      }
    }
  }
  static const std::unordered_set<std::string> kPrimitives = {
      "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
      "f32", "f64", "bool", "char", "str", "()"};
  const std::string head = type.substr(0, type.find_first_of(";]>, "));
  if (kPrimitives.count(head) != 0) return true;
  if (head.size() == 1 && head[0] >= 'A' && head[0] <= 'Z') return true;
  return IsRustRuntimePath(type);
}

}  // namespace

bool IsRuntimeObject(const std::string& path) {
  const std::string base = path.substr(path.rfind('/') + 1);
  for (const char* lib : {"libc.so", "libc-2.", "ld-linux", "libstdc++.so", "libc++.so",
                          "libc++abi.so", "libgcc_s.so", "libpthread.so"})
    if (StartsWith(base, lib)) return true;
  return false;
}

bool IsRuntimeFunction(const std::string& name, const std::string& system_name) {
  // Rust's allocator shims (__rust_alloc -> __rdl_alloc or a global allocator's __rg_alloc)
  // are plain C symbols.
  if (StartsWith(name, "__rust_") || StartsWith(name, "__rdl_") || StartsWith(name, "__rg_"))
    return true;
  if (IsRustSymbol(system_name)) {
    if (StartsWith(system_name, "_R") && name == system_name)  // not spelled out: by its crate
      return IsRustRuntimeCrate(RustV0Crate(system_name));
    const std::string self = QualifiedSelf(name);
    return self.empty() ? IsRustRuntimePath(name) : IsRustLibraryType(self);
  }
  return StartsWith(name, "std::") || StartsWith(name, "__gnu_cxx::") ||
         name == "operator new" || name == "operator new[]";
}

size_t FoldRuntimeFrames(Profile* p) {
  p->ReindexIds();
  std::unordered_map<uint64_t, bool> runtime_function;
  for (const Function& f : p->function)
    runtime_function[f.id] = IsRuntimeFunction(p->Str(f.name), p->Str(f.system_name));
  std::unordered_map<uint64_t, bool> runtime_mapping;
  for (const Mapping& m : p->mapping) runtime_mapping[m.id] = IsRuntimeObject(p->Str(m.filename));

  // A location's frames: its inlined ones, or one for an unsymbolized address.
  auto frames = [](const Location& loc) { return std::max<size_t>(loc.line.size(), 1); };
  // How many of them, innermost first, belong to the runtime.
  auto runtime_frames = [&](const Location& loc) -> size_t {
    if (loc.mapping_id != 0 && runtime_mapping[loc.mapping_id]) return frames(loc);
    size_t k = 0;
    while (k < loc.line.size() && runtime_function[loc.line[k].function_id]) ++k;
    return k;
  };

  uint64_t next_id = 1;
  for (const Location& l : p->location) next_id = std::max(next_id, l.id + 1);
  std::map<std::pair<uint64_t, size_t>, uint64_t> trimmed;  // (location, frames cut) -> copy
  std::vector<Location> copies;
  size_t changed = 0;
  for (Sample& s : p->sample) {
    size_t first = 0, cut = 0;
    for (; first < s.location_id.size(); ++first) {
      const Location* loc = p->FindLocation(s.location_id[first]);
      cut = 0;
      if (loc == nullptr) break;  // a dangling id (no valid profile has one): stop there
      cut = runtime_frames(*loc);
      if (cut < frames(*loc)) break;
    }
    if (first == s.location_id.size()) continue;  // runtime all the way: keep it whole
    if (first == 0 && cut == 0) continue;
    const uint64_t leaf = s.location_id[first];
    if (cut > 0) {
      auto [it, fresh] = trimmed.try_emplace({leaf, cut}, next_id);
      if (fresh) {
        Location copy = *p->FindLocation(leaf);
        copy.id = next_id++;
        copy.line.erase(copy.line.begin(), copy.line.begin() + static_cast<ptrdiff_t>(cut));
        copies.push_back(std::move(copy));
      }
      s.location_id[first] = it->second;
    }
    s.location_id.erase(s.location_id.begin(),
                        s.location_id.begin() + static_cast<ptrdiff_t>(first));
    ++changed;
  }
  if (changed == 0) return 0;
  for (Location& c : copies) p->location.push_back(std::move(c));

  std::unordered_set<uint64_t> used_locations, used_functions;
  for (const Sample& s : p->sample)
    used_locations.insert(s.location_id.begin(), s.location_id.end());
  auto unused_location = [&](const Location& l) { return used_locations.count(l.id) == 0; };
  p->location.erase(std::remove_if(p->location.begin(), p->location.end(), unused_location),
                    p->location.end());
  for (const Location& l : p->location)
    for (const Line& line : l.line) used_functions.insert(line.function_id);
  auto unused_function = [&](const Function& f) { return used_functions.count(f.id) == 0; };
  p->function.erase(std::remove_if(p->function.begin(), p->function.end(), unused_function),
                    p->function.end());
  p->comment.push_back(p->Intern(
      "leaktrack: allocations through the standard libraries are charged to the calling "
      "function (symbolize --all-frames keeps every frame)"));
  p->ReindexIds();
  return changed;
}

}  // namespace leaktrack
