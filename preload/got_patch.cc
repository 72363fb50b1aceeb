// See got_patch.h.
#include "got_patch.h"

#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proc_maps.h"

namespace leaktrack {
namespace {

// What the dynamic section says about symbols and relocations, as addresses.
struct DynamicInfo {
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  uintptr_t strsz = 0;
  const ElfW(Rela)* jmprel = nullptr;
  uintptr_t jmprel_size = 0;
  bool plt_is_rela = false;
  const ElfW(Rela)* rela = nullptr;
  uintptr_t rela_size = 0;
};

// glibc adds the load base to the address entries of a writable dynamic section when it
// relocates the object; a read-only one (and the vDSO's) keeps the file's values.
uintptr_t Absolute(uintptr_t base, uintptr_t value) { return value < base ? base + value : value; }

bool ReadDynamic(uintptr_t base, const ElfW(Dyn)* dyn, DynamicInfo* info) {
  for (; dyn->d_tag != DT_NULL; dyn++) {
    const uintptr_t v = dyn->d_un.d_val;
    switch (dyn->d_tag) {
      case DT_SYMTAB: info->symtab = reinterpret_cast<const ElfW(Sym)*>(Absolute(base, v)); break;
      case DT_STRTAB: info->strtab = reinterpret_cast<const char*>(Absolute(base, v)); break;
      case DT_STRSZ: info->strsz = v; break;
      case DT_JMPREL: info->jmprel = reinterpret_cast<const ElfW(Rela)*>(Absolute(base, v)); break;
      case DT_PLTRELSZ: info->jmprel_size = v; break;
      case DT_PLTREL: info->plt_is_rela = v == DT_RELA; break;
      case DT_RELA: info->rela = reinterpret_cast<const ElfW(Rela)*>(Absolute(base, v)); break;
      case DT_RELASZ: info->rela_size = v; break;
      default: break;
    }
  }
  return info->symtab != nullptr && info->strtab != nullptr;
}

// [*lo, *hi): the addresses the object's PT_LOAD segments span ([UINTPTR_MAX, 0) if none).
void LoadRange(uintptr_t base, const ElfW(Phdr)* phdr, int phnum, uintptr_t* lo, uintptr_t* hi) {
  *lo = UINTPTR_MAX;
  *hi = 0;
  for (int i = 0; i < phnum; i++) {
    if (phdr[i].p_type != PT_LOAD) continue;
    const uintptr_t start = base + phdr[i].p_vaddr;
    if (start < *lo) *lo = start;
    if (start + phdr[i].p_memsz > *hi) *hi = start + phdr[i].p_memsz;
  }
}

// One object's pass: its load range (a lazy PLT stub points inside it), its RELRO pages, and
// whether we opened them.
class ObjectPatcher {
 public:
  ObjectPatcher(uintptr_t base, const ElfW(Phdr)* phdr, int phnum,
                const GotRedirect* redirects, int count, bool loader_locked,
                GotPatchCounts* counts)
      : base_(base), redirects_(redirects), count_(count), loader_locked_(loader_locked),
        counts_(counts) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    LoadRange(base, phdr, phnum, &lo_, &hi_);
    for (int i = 0; i < phnum; i++) {
      const ElfW(Phdr)& ph = phdr[i];
      if (ph.p_type == PT_GNU_RELRO) {
        // As ld.so's _dl_protect_relro: both ends rounded down.
        relro_start_ = (base + ph.p_vaddr) & ~(page - 1);
        relro_end_ = (base + ph.p_vaddr + ph.p_memsz) & ~(page - 1);
      }
    }
  }

  ~ObjectPatcher() {
    if (opened_) {
      mprotect(reinterpret_cast<void*>(relro_start_), relro_end_ - relro_start_, PROT_READ);
    }
    if (touched_) counts_->objects++;
  }

  void Run(const DynamicInfo& info) {
    if (info.jmprel != nullptr && info.plt_is_rela) Scan(info, info.jmprel, info.jmprel_size);
    if (info.rela != nullptr) Scan(info, info.rela, info.rela_size);
  }

 private:
  void Scan(const DynamicInfo& info, const ElfW(Rela)* rel, uintptr_t bytes) {
    const ElfW(Rela)* end = rel + bytes / sizeof(ElfW(Rela));
    for (; rel < end && !unsealed_; rel++) {
      const uint32_t type = ELF64_R_TYPE(rel->r_info);
      if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
      const uint32_t sym = ELF64_R_SYM(rel->r_info);
      if (sym == 0) continue;
      const uintptr_t name_offset = info.symtab[sym].st_name;
      if (info.strsz != 0 && name_offset >= info.strsz) continue;
      const char* name = info.strtab + name_offset;
      for (int i = 0; i < count_; i++) {
        if (name[0] == redirects_[i].name[0] && strcmp(name, redirects_[i].name) == 0) {
          Patch(reinterpret_cast<void**>(base_ + rel->r_offset), redirects_[i]);
          break;
        }
      }
    }
  }

  void Patch(void** slot, const GotRedirect& r) {
    const uintptr_t addr = reinterpret_cast<uintptr_t>(slot);
    if (addr < lo_ || addr + sizeof(void*) > hi_ || addr % sizeof(void*) != 0) return;
    touched_ = true;
    void* now = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (now == r.replacement) {
      counts_->already++;
      return;
    }
    const uintptr_t value = reinterpret_cast<uintptr_t>(now);
    const bool own_stub = value >= lo_ && value < hi_;
    if (!own_stub && now != r.expected[0] && now != r.expected[1]) {
      counts_->foreign++;
      return;
    }
    if (addr >= relro_start_ && addr < relro_end_ && !opened_) {
      if (!loader_locked_ && AddressWritable(relro_start_) != 0) {
        unsealed_ = true;  // ld.so may still be writing here: the whole object waits
        counts_->unsealed++;
        return;
      }
      if (mprotect(reinterpret_cast<void*>(relro_start_), relro_end_ - relro_start_,
                   PROT_READ | PROT_WRITE) != 0) {
        counts_->protect_failed++;
        return;
      }
      opened_ = true;
    }
    __atomic_store_n(slot, r.replacement, __ATOMIC_RELAXED);
    counts_->patched++;
  }

  const uintptr_t base_;  // the load base: r_offset is relative to it
  const GotRedirect* redirects_;
  int count_;
  const bool loader_locked_;
  GotPatchCounts* counts_;
  uintptr_t lo_ = UINTPTR_MAX;
  uintptr_t hi_ = 0;
  uintptr_t relro_start_ = 0;
  uintptr_t relro_end_ = 0;
  bool opened_ = false;
  bool touched_ = false;
  bool unsealed_ = false;
};

struct PassArgs {
  const GotRedirect* redirects;
  int count;
  const void* skip;
  bool loader_locked;
  GotPatchCounts counts;
};

int PatchOne(struct dl_phdr_info* info, size_t, void* arg) {
  PassArgs* pass = static_cast<PassArgs*>(arg);
  const uintptr_t base = info->dlpi_addr;
  uintptr_t lo, hi;
  LoadRange(base, info->dlpi_phdr, info->dlpi_phnum, &lo, &hi);
  const uintptr_t skip = reinterpret_cast<uintptr_t>(pass->skip);
  if (skip >= lo && skip < hi) return 0;
  if (base != 0 && (base == getauxval(AT_BASE) || base == getauxval(AT_SYSINFO_EHDR))) return 0;
  PatchObjectGot(base, info->dlpi_phdr, info->dlpi_phnum, pass->redirects, pass->count,
                 pass->loader_locked, &pass->counts);
  return 0;
}

}  // namespace

void PatchObjectGot(uintptr_t base, const ElfW(Phdr)* phdr, int phnum,
                    const GotRedirect* redirects, int count, bool loader_locked,
                    GotPatchCounts* counts) {
  const ElfW(Dyn)* dynamic = nullptr;
  for (int i = 0; i < phnum; i++) {
    if (phdr[i].p_type == PT_DYNAMIC) {
      dynamic = reinterpret_cast<const ElfW(Dyn)*>(base + phdr[i].p_vaddr);
    }
  }
  DynamicInfo info;
  if (dynamic == nullptr || !ReadDynamic(base, dynamic, &info)) return;
  ObjectPatcher patcher(base, phdr, phnum, redirects, count, loader_locked, counts);
  patcher.Run(info);
}

GotPatchCounts PatchLoadedObjects(const GotRedirect* redirects, int count, const void* skip,
                                  bool loader_locked) {
  PassArgs pass{redirects, count, skip, loader_locked, {}};
  dl_iterate_phdr(&PatchOne, &pass);
  return pass.counts;
}

}  // namespace leaktrack
