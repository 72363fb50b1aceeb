// Separate debug-file lookup (see debug_finder.h).
#include "symbolizer/debug_finder.h"

#include <unistd.h>

namespace leaktrack {

DebugFinder::DebugFinder(std::vector<std::string> debug_dirs, std::string system_dir,
                         std::string sysroot, DebuginfodClient* debuginfod)
    : dirs_(std::move(debug_dirs)), sysroot_(std::move(sysroot)), debuginfod_(debuginfod) {
  if (system_dir.empty()) return;
  if (!sysroot_.empty()) dirs_.push_back(sysroot_ + system_dir);
  dirs_.push_back(std::move(system_dir));
}

std::unique_ptr<ElfFile> DebugFinder::TryCandidate(const std::string& path,
                                                   const std::string& id) const {
  if (access(path.c_str(), R_OK) != 0) return nullptr;
  Result<std::unique_ptr<ElfFile>> f = ElfFile::Open(path);
  if (!f.ok() || !f.value()->has_dwarf()) return nullptr;
  if (!id.empty() && !f.value()->build_id().empty() && f.value()->build_id() != id) return nullptr;
  return std::move(f).value();
}

std::unique_ptr<ElfFile> DebugFinder::FindInDirs(const std::string& id) const {
  if (id.size() <= 2) return nullptr;
  for (const std::string& dir : dirs_) {
    std::string path = dir + "/.build-id/" + id.substr(0, 2) + "/" + id.substr(2) + ".debug";
    if (auto f = TryCandidate(path, id)) return f;
  }
  return nullptr;
}

std::unique_ptr<ElfFile> DebugFinder::FetchFromDebuginfod(const std::string& id,
                                                         std::string* error) const {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  error->clear();
  if (debuginfod_ == nullptr || id.size() <= 2) return nullptr;
  Result<std::string> path = debuginfod_->FindDebuginfo(id);
  if (!path.ok()) {
    *error = path.error();
    return nullptr;
  }
  if (auto f = TryCandidate(path.value(), id)) return f;
  *error = path.value() + " holds no DWARF for build ID " + id;
  return nullptr;
}

std::unique_ptr<ElfFile> DebugFinder::FindByBuildId(const std::string& id,
                                                    std::string* debuginfod_error) const {
  if (auto f = FindInDirs(id)) return f;
  return FetchFromDebuginfod(id, debuginfod_error);
}

std::unique_ptr<ElfFile> DebugFinder::Find(const ElfFile& binary, const std::string& path,
                                           std::string* debuginfod_error) const {
  if (auto f = FindInDirs(binary.build_id())) return f;
  if (auto f = FindByDebuglink(binary, path)) return f;
  return FetchFromDebuginfod(binary.build_id(), debuginfod_error);
}

std::unique_ptr<ElfFile> DebugFinder::FindByDebuglink(const ElfFile& binary,
                                                      const std::string& path) const {
  const std::string& link = binary.debuglink();
  if (link.empty()) return nullptr;
  std::string bindir = path.substr(0, path.rfind('/') + 1);
  if (bindir.empty()) bindir = "./";
  std::vector<std::string> candidates = {sysroot_ + bindir + link,
                                         sysroot_ + bindir + ".debug/" + link};
  for (const std::string& dir : dirs_) candidates.push_back(dir + bindir + link);
  for (const std::string& c : candidates)
    if (auto f = TryCandidate(c, binary.build_id())) return f;
  return nullptr;
}

}  // namespace leaktrack
