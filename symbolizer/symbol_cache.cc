// Module opening and cached address resolution (see symbol_cache.h).
#include "symbolizer/symbol_cache.h"

namespace leaktrack {

Result<std::unique_ptr<Module>> Module::Open(const std::string& file, const std::string& path,
                                             const std::string& expected_build_id,
                                             const DebugFinder& finder) {
  Result<std::unique_ptr<ElfFile>> bin = ElfFile::Open(file);
  if (!bin.ok()) return MakeError(bin.error());
  std::unique_ptr<Module> m(new Module());
  m->binary_ = std::move(bin).value();
  const std::string& actual = m->binary_->build_id();
  if (!expected_build_id.empty() && !actual.empty() && actual != expected_build_id)
    return MakeError(file + ": build ID mismatch (profile " + expected_build_id + ", file " +
                     actual + ")");
  Elf* dwarf_elf = nullptr;
  if (m->binary_->has_dwarf()) {
    dwarf_elf = m->binary_->elf();
  } else if ((m->debug_ = finder.Find(*m->binary_, path, &m->debuginfod_error_))) {
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

std::unique_ptr<Module> Module::FromDebugFile(std::unique_ptr<ElfFile> debug) {
  std::unique_ptr<Module> m(new Module());
  m->binary_ = std::move(debug);
  m->debug_path_ = m->binary_->path();
  m->dwarf_ = DwarfLines::Open(m->binary_->elf());
  m->symbols_ = SymbolTable(m->binary_->elf());
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

SymbolCache::SymbolCache(std::vector<std::string> debug_dirs, BinarySource source)
    : source_(std::move(source)),
      debuginfod_(DebuginfodClient::FromEnvironment(&debuginfod_problem_)),
      finder_(std::move(debug_dirs), "/usr/lib/debug", source_.sysroot, debuginfod_.get()) {}

Result<Module*> SymbolCache::Get(const std::string& path, const std::string& build_id) {
  auto key = std::make_pair(path, build_id);
  if (auto it = modules_.find(key); it != modules_.end()) return it->second.get();
  if (auto it = failures_.find(key); it != failures_.end()) return MakeError(it->second);
  std::vector<std::string> files;
  if (auto it = source_.mapped_files.find(path); it != source_.mapped_files.end())
    files.push_back(it->second);
  const std::string rooted = source_.sysroot + path;
  files.push_back(rooted);
  if (!source_.sysroot.empty() && !build_id.empty()) files.push_back(path);
  std::unique_ptr<Module> module;
  std::string error;
  for (const std::string& file : files) {
    Result<std::unique_ptr<Module>> m = Module::Open(file, path, build_id, finder_);
    if (m.ok()) {
      module = std::move(m).value();
      break;
    }
    if (file == rooted) error = m.error();
  }
  if (module == nullptr) {
    std::string debuginfod_error;
    if (std::unique_ptr<ElfFile> debug = finder_.FindByBuildId(build_id, &debuginfod_error))
      module = Module::FromDebugFile(std::move(debug));
    else if (!debuginfod_error.empty())
      error += " (debuginfod: " + debuginfod_error + ")";
  }
  if (module == nullptr) {
    failures_[key] = error;
    return MakeError(error);
  }
  Module* raw = module.get();
  modules_[key] = std::move(module);
  return raw;
}

}  // namespace leaktrack
