// DWARF address -> (function, file, line) chains with inlined frames, via elfutils libdw.
//
// Owns one Dwarf handle over an ELF that carries .debug_info (the binary itself or its separate
// debug file) and two lazily built indexes: CU address ranges (so a PC is found without
// .debug_aranges, and `main` in .text.startup — a second line-table sequence — is found too),
// and per CU the address ranges of its subprograms. A lookup then descends only the one
// subprogram DIE that contains the PC. Not thread-safe (libdw handles are not).
#ifndef LEAKTRACK_SYMBOLIZER_DWARF_LINES_H_
#define LEAKTRACK_SYMBOLIZER_DWARF_LINES_H_

#include <elfutils/libdw.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace leaktrack {

// One source-level frame. `name` is the linkage (mangled) name when DWARF has one, else the
// plain name; `file` is the path as DWARF records it; line 0 means unknown.
struct SourceFrame {
  std::string name;       // the linkage (mangled) name, else DW_AT_name
  std::string qualified;  // without a linkage name: "ns::Class::name" from the scopes, else ""
  std::string file;
  int64_t line = 0;
  int64_t start_line = 0;  // DW_AT_decl_line of the function
};

class DwarfLines {
 public:
  // Returns nullptr if `elf` has no usable DWARF. `elf` must outlive the returned object.
  static std::unique_ptr<DwarfLines> Open(Elf* elf);
  ~DwarfLines();
  DwarfLines(const DwarfLines&) = delete;
  DwarfLines& operator=(const DwarfLines&) = delete;

  // Frames for `file_address`, innermost (inlined) first, the physical function last.
  // Empty if no subprogram covers the address.
  std::vector<SourceFrame> Symbolize(uint64_t file_address);

 private:
  struct Range {
    uint64_t low, high;
    size_t index;  // into cus_ or CuData::subprograms
  };
  struct CuData {
    Dwarf_Die die;
    bool indexed = false;
    std::vector<Dwarf_Die> subprograms;
    std::vector<Range> ranges;  // sorted by low
    Dwarf_Files* files = nullptr;
  };

  explicit DwarfLines(Dwarf* dwarf) : dwarf_(dwarf) {}
  void IndexCus();
  void IndexSubprograms(CuData* cu);
  void CollectSubprograms(Dwarf_Die* parent, CuData* cu, const std::string& scope,
                          Dwarf_Die* function, int depth);
  CuData* FindCu(uint64_t address);
  std::string CallFile(CuData* cu, Dwarf_Die* inlined);
  void NameFrame(Dwarf_Die* die, SourceFrame* frame);
  const std::string& ScopeOf(Dwarf_Die* declaring);

  Dwarf* dwarf_;
  bool cus_indexed_ = false;
  std::vector<CuData> cus_;
  std::unordered_map<Dwarf_Off, size_t> cu_index_;  // unit DIE offset -> index into cus_
  std::vector<Range> cu_ranges_;  // sorted by low
  // "ns::Class::" for each function DIE without a linkage name, by DIE offset: noted while its
  // unit's subprograms are indexed (ScopeOf indexes the unit when a frame needs it first).
  std::unordered_map<Dwarf_Off, std::string> scope_of_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_DWARF_LINES_H_
