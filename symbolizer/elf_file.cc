// libelf reading of ELF identity and layout (see elf_file.h).
#include "symbolizer/elf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>

namespace leaktrack {
namespace {

std::string Hex(const unsigned char* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

// The Go linker's build ID note: owner "Go" (written "Go\0\0", namesz 4), type 4
// (cmd/link's ELF_NOTE_GOBUILDID_TAG).
constexpr uint32_t kGoBuildIdNote = 4;

// Scans one note buffer for NT_GNU_BUILD_ID (kept in *build_id if still empty) and Go's note.
void ScanNotes(Elf_Data* data, std::string* build_id, bool* is_go) {
  size_t offset = 0, name_off, desc_off;
  GElf_Nhdr nhdr;
  while ((offset = gelf_getnote(data, offset, &nhdr, &name_off, &desc_off)) > 0) {
    const char* base = static_cast<const char*>(data->d_buf);
    if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
        memcmp(base + name_off, "GNU", 4) == 0 && build_id->empty())
      *build_id = Hex(reinterpret_cast<const unsigned char*>(base + desc_off), nhdr.n_descsz);
    if (nhdr.n_type == kGoBuildIdNote && nhdr.n_namesz == 4 &&
        memcmp(base + name_off, "Go\0\0", 4) == 0)
      *is_go = true;
  }
}

}  // namespace

Result<std::unique_ptr<ElfFile>> ElfFile::Open(const std::string& path) {
  elf_version(EV_CURRENT);
  std::unique_ptr<ElfFile> f(new ElfFile());
  f->path_ = path;
  f->fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) return MakeError(path + ": " + strerror(errno));
  f->elf_ = elf_begin(f->fd_, ELF_C_READ_MMAP, nullptr);
  if (f->elf_ == nullptr || elf_kind(f->elf_) != ELF_K_ELF)
    return MakeError(path + ": not an ELF file");
  GElf_Ehdr ehdr;
  if (gelf_getehdr(f->elf_, &ehdr) == nullptr) return MakeError(path + ": bad ELF header");
  f->is_dyn_ = ehdr.e_type == ET_DYN;
  f->is_64bit_ = gelf_getclass(f->elf_) == ELFCLASS64;

  size_t phnum = 0;
  if (elf_getphdrnum(f->elf_, &phnum) != 0) phnum = 0;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (gelf_getphdr(f->elf_, static_cast<int>(i), &ph) == nullptr) continue;
    if (ph.p_type == PT_INTERP) {
      f->has_interp_ = true;
      size_t size = 0;
      const char* raw = elf_rawfile(f->elf_, &size);
      if (raw != nullptr && ph.p_offset < size && ph.p_filesz <= size - ph.p_offset)
        f->interp_.assign(raw + ph.p_offset, strnlen(raw + ph.p_offset, ph.p_filesz));
    }
    if (ph.p_type == PT_LOAD)
      f->segments_.push_back(
          {ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, (ph.p_flags & PF_X) != 0});
  }

  size_t shstrndx = 0;
  if (elf_getshdrstrndx(f->elf_, &shstrndx) != 0) shstrndx = 0;
  for (Elf_Scn* scn = elf_nextscn(f->elf_, nullptr); scn; scn = elf_nextscn(f->elf_, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    const char* name = elf_strptr(f->elf_, shstrndx, sh.sh_name);
    if (name == nullptr) continue;
    if (sh.sh_type == SHT_NOTE) {
      if (Elf_Data* d = elf_getdata(scn, nullptr)) ScanNotes(d, &f->build_id_, &f->is_go_);
    } else if (strcmp(name, ".gnu_debuglink") == 0) {
      Elf_Data* d = elf_getdata(scn, nullptr);
      if (d && d->d_size > 0)
        f->debuglink_ = std::string(static_cast<const char*>(d->d_buf),
                                    strnlen(static_cast<const char*>(d->d_buf), d->d_size));
    } else if ((strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0) &&
               sh.sh_type != SHT_NOBITS && sh.sh_size > 0) {
      f->has_dwarf_ = true;
    } else if (sh.sh_type == SHT_DYNAMIC) {
      Elf_Data* d = elf_getdata(scn, nullptr);
      size_t count = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
      for (size_t i = 0; d && i < count; ++i) {
        GElf_Dyn dyn;
        if (gelf_getdyn(d, static_cast<int>(i), &dyn) && dyn.d_tag == DT_NEEDED)
          if (const char* s = elf_strptr(f->elf_, sh.sh_link, dyn.d_un.d_val))
            f->needed_.emplace_back(s);
      }
    }
  }
  return f;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(elf_);
  if (fd_ >= 0) close(fd_);
}

bool ElfFile::RuntimeToFileAddress(uint64_t memory_start, uint64_t file_offset, uint64_t address,
                                   uint64_t* file_address) const {
  const uint64_t kPageMask = ~uint64_t{0xfff};
  const LoadSegment* match = nullptr;
  for (const LoadSegment& s : segments_) {
    if (!s.executable) continue;
    if ((s.offset & kPageMask) == file_offset) {
      match = &s;
      break;
    }
    if (match == nullptr && file_offset >= (s.offset & kPageMask) &&
        file_offset < s.offset + s.filesz)
      match = &s;
  }
  if (match == nullptr) {
    // A debug file's code segment has no contents (p_filesz 0) and its offset was not kept.
    const LoadSegment* only = nullptr;
    for (const LoadSegment& s : segments_) {
      if (!s.executable) continue;
      if (only != nullptr || s.filesz != 0) return false;
      only = &s;
    }
    if (only == nullptr) return false;
    *file_address = address - memory_start + (only->vaddr & kPageMask);
    return true;
  }
  // The mapping starts at the page holding p_offset, so memory_start corresponds to the file
  // address p_vaddr - (p_offset - file_offset).
  *file_address = address - memory_start + match->vaddr - (match->offset - file_offset);
  return true;
}

}  // namespace leaktrack
