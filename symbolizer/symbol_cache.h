// Per-module symbolization state and an address cache, keyed by binary path and build ID.
//
// Owns the opened ELF files (binary + separate debug file), their DwarfLines and SymbolTable,
// and a map from file address to the resulting frames, so each module is opened once and each
// distinct address is resolved once however many profiles or locations mention it.
// Not thread-safe; one cache per symbolizing thread.
#ifndef LEAKTRACK_SYMBOLIZER_SYMBOL_CACHE_H_
#define LEAKTRACK_SYMBOLIZER_SYMBOL_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "symbolizer/debug_finder.h"
#include "symbolizer/dwarf_lines.h"
#include "symbolizer/elf_file.h"
#include "symbolizer/result.h"
#include "symbolizer/symbol_table.h"

namespace leaktrack {

// What resolving one address produced. `frames` is innermost first; empty if unresolved.
struct ResolvedAddress {
  std::vector<SourceFrame> frames;
  bool from_dwarf = false;
};

class Module {
 public:
  // Opens `file`, checks its build ID against `expected_build_id` (skipped when either is
  // empty) and finds debug info for the binary the profile calls `path` (debuglink files are
  // looked for beside `path`). Errors are one line, e.g. "build ID mismatch (...)".
  static Result<std::unique_ptr<Module>> Open(const std::string& file, const std::string& path,
                                              const std::string& expected_build_id,
                                              const DebugFinder& finder);

  // A module read from a separate debug file alone, for a binary that is gone or replaced:
  // its DWARF, its full .symtab, and its segments' addresses (ElfFile::RuntimeToFileAddress).
  static std::unique_ptr<Module> FromDebugFile(std::unique_ptr<ElfFile> debug);

  // Resolves a runtime address of the mapping (memory_start, file_offset). Cached.
  const ResolvedAddress& Resolve(uint64_t memory_start, uint64_t file_offset, uint64_t address);

  bool has_dwarf() const { return dwarf_ != nullptr; }
  const std::string& debug_file() const { return debug_path_; }
  // Why the debuginfod servers had no debug file for it, when they were asked; else "".
  const std::string& debuginfod_error() const { return debuginfod_error_; }

 private:
  Module() = default;
  std::unique_ptr<ElfFile> binary_;
  std::unique_ptr<ElfFile> debug_;  // null when DWARF is in the binary or absent
  std::string debug_path_;
  std::string debuginfod_error_;
  std::unique_ptr<DwarfLines> dwarf_;
  SymbolTable symbols_;        // binary .symtab, else debug file .symtab, else .dynsym
  std::unordered_map<uint64_t, ResolvedAddress> cache_;  // by file address
};

// Where the binaries a profile names are read from, when that is not this machine's `/`: the
// profiled process ran in a container, or its files have been replaced since it mapped them.
struct BinarySource {
  // Prefix of every path in the profile: a container's root as /proc/PID/root, or an unpacked
  // image. Its /usr/lib/debug is searched for debug files too. Empty: this machine's /.
  std::string sysroot;
  // Path in the profile -> a file known to be the very object the process mapped under that
  // path (its /proc/PID/map_files link): tried first, so a binary upgraded or deleted on disk
  // while the process runs is still read. Build IDs are checked all the same.
  std::map<std::string, std::string> mapped_files;
};

class SymbolCache {
 public:
  // Debug files are also fetched from the servers of DEBUGINFOD_URLS, when it is set
  // (debuginfod_client.h).
  explicit SymbolCache(std::vector<std::string> debug_dirs, BinarySource source = {});

  // The module for (path, build_id), opened on first use from, in order: the mapped file,
  // sysroot + path, (with a sysroot, when the profile has the build ID to check it) path on
  // this machine, and last the debug file of that build ID alone (a symbol store outlives the
  // binaries). A failure is cached too, so a missing binary is reported once; its error names
  // sysroot + path.
  Result<Module*> Get(const std::string& path, const std::string& build_id);

  // Why DEBUGINFOD_URLS is set but no server can be asked (libdebuginfod missing); else "".
  const std::string& debuginfod_problem() const { return debuginfod_problem_; }
  bool asks_debuginfod() const { return debuginfod_ != nullptr; }

 private:
  BinarySource source_;
  std::string debuginfod_problem_;
  std::unique_ptr<DebuginfodClient> debuginfod_;  // before finder_, which points to it
  DebugFinder finder_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Module>> modules_;
  std::map<std::pair<std::string, std::string>, std::string> failures_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_SYMBOL_CACHE_H_
