// ELF symbol-table lookup (see symbol_table.h).
#include "symbolizer/symbol_table.h"

#include <gelf.h>

#include <algorithm>
#include <cstring>

namespace leaktrack {
namespace {

Elf_Scn* FindSection(Elf* elf, Elf64_Word type) {
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) && sh.sh_type == type) return scn;
  }
  return nullptr;
}

}  // namespace

SymbolTable::SymbolTable(Elf* elf) {
  Elf_Scn* scn = FindSection(elf, SHT_SYMTAB);
  if (scn == nullptr) {
    scn = FindSection(elf, SHT_DYNSYM);
    from_dynsym_ = scn != nullptr;
  }
  if (scn == nullptr) return;
  GElf_Shdr sh;
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (gelf_getshdr(scn, &sh) == nullptr || data == nullptr || sh.sh_entsize == 0) return;
  size_t count = sh.sh_size / sh.sh_entsize;
  struct Ranked {
    Symbol symbol;
    int rank;  // lower wins among aliases at one address
  };
  std::vector<Ranked> all;
  for (size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr) continue;
    int type = GELF_ST_TYPE(sym.st_info);
    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
        sym.st_value == 0)
      continue;
    const char* name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (name == nullptr || *name == '\0') continue;
    int bind = GELF_ST_BIND(sym.st_info);
    // Prefer global over weak over local names, and names without a leading underscore pair,
    // so aliases like __libc_malloc/malloc resolve to the public one.
    int rank = (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 2 : 4) + (strncmp(name, "__", 2) == 0);
    all.push_back({{sym.st_value, sym.st_size, name}, rank});
  }
  std::sort(all.begin(), all.end(), [](const Ranked& a, const Ranked& b) {
    if (a.symbol.address != b.symbol.address) return a.symbol.address < b.symbol.address;
    if ((a.symbol.size == 0) != (b.symbol.size == 0)) return a.symbol.size != 0;
    return a.rank < b.rank;
  });
  for (Ranked& r : all) {
    if (!symbols_.empty() && symbols_.back().address == r.symbol.address) continue;
    symbols_.push_back(std::move(r.symbol));
  }
}

const std::string* SymbolTable::Lookup(uint64_t file_address) const {
  auto it = std::upper_bound(
      symbols_.begin(), symbols_.end(), file_address,
      [](uint64_t addr, const Symbol& s) { return addr < s.address; });
  if (it == symbols_.begin()) return nullptr;
  const Symbol& s = *(it - 1);
  if (s.size != 0 && file_address >= s.address + s.size) return nullptr;
  return &s.name;
}

}  // namespace leaktrack
