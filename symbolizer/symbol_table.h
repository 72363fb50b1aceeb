// Function symbols of one ELF object, for names when there is no DWARF (or DWARF misses a PC).
//
// Owns a sorted copy of the STT_FUNC/STT_GNU_IFUNC symbols of .symtab, or of .dynsym when the
// file was stripped (Debian's libraries keep only .dynsym). Names are kept mangled: pprof
// demangles system_name itself. Immutable after construction; safe to share across threads.
#ifndef LEAKTRACK_SYMBOLIZER_SYMBOL_TABLE_H_
#define LEAKTRACK_SYMBOLIZER_SYMBOL_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

typedef struct Elf Elf;

namespace leaktrack {

class SymbolTable {
 public:
  // Reads .symtab if present, else .dynsym. `elf` is only used during construction.
  explicit SymbolTable(Elf* elf);
  SymbolTable() = default;

  bool empty() const { return symbols_.empty(); }
  size_t size() const { return symbols_.size(); }
  bool from_dynsym() const { return from_dynsym_; }

  // The function containing `file_address`, or nullptr. A symbol with size 0 covers up to the
  // next symbol; an address past the end of a sized symbol is not attributed to it (it would
  // name a static function the stripped table does not list).
  const std::string* Lookup(uint64_t file_address) const;

 private:
  struct Symbol {
    uint64_t address;
    uint64_t size;
    std::string name;
  };
  std::vector<Symbol> symbols_;
  bool from_dynsym_ = false;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_SYMBOL_TABLE_H_
