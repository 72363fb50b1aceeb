// One opened ELF file (libelf): identity, layout and the facts the symbolizer and `run` need.
//
// Owns the file descriptor and the Elf handle for its lifetime. Reads only headers and small
// sections eagerly (build ID, debuglink, program headers, dynamic NEEDED list); symbol tables
// and DWARF are opened by their own classes from elf(). Not thread-safe.
#ifndef LEAKTRACK_SYMBOLIZER_ELF_FILE_H_
#define LEAKTRACK_SYMBOLIZER_ELF_FILE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "symbolizer/result.h"

typedef struct Elf Elf;

namespace leaktrack {

struct LoadSegment {
  uint64_t vaddr = 0;
  uint64_t memsz = 0;
  uint64_t offset = 0;
  uint64_t filesz = 0;
  bool executable = false;
};

class ElfFile {
 public:
  // Opens `path` read-only. Fails with a one-line message for missing or non-ELF files.
  static Result<std::unique_ptr<ElfFile>> Open(const std::string& path);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  const std::string& path() const { return path_; }
  Elf* elf() const { return elf_; }
  // NT_GNU_BUILD_ID descriptor as lowercase hex; "" when the file has none.
  const std::string& build_id() const { return build_id_; }
  // .gnu_debuglink file name and CRC; name is "" when absent.
  const std::string& debuglink() const { return debuglink_; }
  bool is_shared_or_pie() const { return is_dyn_; }
  bool has_interp() const { return has_interp_; }
  // The program interpreter (PT_INTERP) named by the file, e.g. /lib64/ld-linux-x86-64.so.2.
  const std::string& interp() const { return interp_; }
  bool is_64bit() const { return is_64bit_; }
  // True if a .debug_info section with contents exists (not SHT_NOBITS).
  bool has_dwarf() const { return has_dwarf_; }
  // True for a program the Go linker made (its build ID note). Its runtime installs a handler
  // for every signal and passes on none that another process sends (even with cgo).
  bool is_go() const { return is_go_; }
  const std::vector<LoadSegment>& load_segments() const { return segments_; }
  const std::vector<std::string>& needed() const { return needed_; }

  // Maps a runtime address inside a mapping (memory_start, file_offset) to the file's virtual
  // address space: the executable PT_LOAD whose page-aligned offset equals file_offset (or
  // contains it). A separate debug file (objcopy --only-keep-debug) keeps the segments'
  // addresses but not their offsets: there the mapping is taken to start at its one executable
  // segment, as a mapping of an unmodified binary's code does. Returns false if no segment
  // matches.
  bool RuntimeToFileAddress(uint64_t memory_start, uint64_t file_offset, uint64_t address,
                            uint64_t* file_address) const;

 private:
  ElfFile() = default;
  std::string path_;
  int fd_ = -1;
  Elf* elf_ = nullptr;
  std::string build_id_;
  std::string debuglink_;
  bool is_dyn_ = false;
  bool has_interp_ = false;
  std::string interp_;
  bool is_64bit_ = false;
  bool has_dwarf_ = false;
  bool is_go_ = false;
  std::vector<LoadSegment> segments_;
  std::vector<std::string> needed_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_ELF_FILE_H_
