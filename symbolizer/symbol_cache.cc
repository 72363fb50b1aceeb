// Module opening and cached address resolution (see symbol_cache.h).
#include "symbolizer/symbol_cache.h"

namespace leaktrack {

Result<std::unique_ptr<Module>> Module::Open(const std::string& path,
                                             const std::string& expected_build_id,
                                             const DebugFinder& finder) {
  Result<std::unique_ptr<ElfFile>> bin = ElfFile::Open(path);
  if (!bin.ok()) return MakeError(bin.error());
  std::unique_ptr<Module> m(new Module());
  m->binary_ = std::move(bin).value();
  const std::string& actual = m->binary_->build_id();
  if (!expected_build_id.empty() && !actual.empty() && actual != expected_build_id)
    return MakeError(path + ": build ID mismatch (profile " + expected_build_id + ", file " +
                     actual + ")");
  Elf* dwarf_elf = nullptr;
  if (m->binary_->has_dwarf()) {
    dwarf_elf = m->binary_->elf();
  } else if ((m->debug_ = finder.Find(*m->binary_))) {
    dwarf_elf = m->debug_->elf();
    m->debug_path_ = m->debug_->path();
  }
  if (dwarf_elf) m->dwarf_ = DwarfLines::Open(dwarf_elf);
  m->symbols_ = SymbolTable(m->binary_->elf());
  if (m->symbols_.from_dynsym() && m->debug_) {
    // The debug file from objcopy --only-keep-debug still has the full .symtab.
    SymbolTable full(m->debug_->elf());
    if (!full.empty() && !full.from_dynsym()) m->symbols_ = std::move(full);
  }
  return m;
}

const ResolvedAddress& Module::Resolve(uint64_t memory_start, uint64_t file_offset,
                                       uint64_t address) {
  uint64_t file_address;
  if (!binary_->RuntimeToFileAddress(memory_start, file_offset, address, &file_address)) {
    static const ResolvedAddress kUnresolved;
    return kUnresolved;
  }
  auto [it, inserted] = cache_.try_emplace(file_address);
  if (!inserted) return it->second;
  ResolvedAddress& r = it->second;
  if (dwarf_) {
    r.frames = dwarf_->Symbolize(file_address);
    r.from_dwarf = !r.frames.empty();
  }
  if (r.frames.empty()) {
    // Code without DWARF (crt files, hand-written assembly, stripped libraries).
    if (const std::string* name = symbols_.Lookup(file_address)) {
      SourceFrame f;
      f.name = *name;
      r.frames.push_back(std::move(f));
    }
  }
  return r;
}

SymbolCache::SymbolCache(std::vector<std::string> debug_dirs) : finder_(std::move(debug_dirs)) {}

Result<Module*> SymbolCache::Get(const std::string& path, const std::string& build_id) {
  auto key = std::make_pair(path, build_id);
  if (auto it = modules_.find(key); it != modules_.end()) return it->second.get();
  if (auto it = failures_.find(key); it != failures_.end()) return MakeError(it->second);
  Result<std::unique_ptr<Module>> m = Module::Open(path, build_id, finder_);
  if (!m.ok()) {
    failures_[key] = m.error();
    return MakeError(m.error());
  }
  Module* raw = m.value().get();
  modules_[key] = std::move(m).value();
  return raw;
}

}  // namespace leaktrack
