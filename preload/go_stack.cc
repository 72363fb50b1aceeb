// See go_stack.h.
#include "go_stack.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "code_range.h"
#include "own_fd.h"

namespace leaktrack {
namespace {

// Go 1.17+ has two symbols: the assembly itself (runtime.asmcgocall.abi0, where the C function
// returns to) and a small wrapper for Go callers (runtime.asmcgocall). Set once at start-up,
// before any thread samples; read-only after.
CodeRange g_asmcgocall[2];
CodeRange g_executable_text;  // the main executable's code: every Go frame lies in it

constexpr uintptr_t kMaxFrameGap = 1 << 20;
// 2 KiB: what the chain is read by at a time, on whatever stack the unwind runs on.
constexpr size_t kWindowWords = 256;

// The main executable's load bias and program headers, from the auxiliary vector: the headers
// the kernel mapped, so no lock, file or allocation.
struct MainProgram {
  uintptr_t bias = 0;
  const ElfW(Phdr)* phdr = nullptr;
  size_t phnum = 0;
};

bool FindMainProgram(MainProgram* main) {
  main->phdr = reinterpret_cast<const ElfW(Phdr)*>(getauxval(AT_PHDR));
  main->phnum = getauxval(AT_PHNUM);
  if (main->phdr == nullptr) return false;
  for (size_t i = 0; i < main->phnum; ++i) {
    if (main->phdr[i].p_type == PT_PHDR) {
      main->bias = reinterpret_cast<uintptr_t>(main->phdr) - main->phdr[i].p_vaddr;
      return true;
    }
  }
  return false;
}

// Whether the program headers hold Go's build ID note (owner "Go", type 4), read as mapped.
bool HasGoNote(const MainProgram& main) {
  for (size_t i = 0; i < main.phnum; ++i) {
    if (main.phdr[i].p_type != PT_NOTE) continue;
    const uintptr_t align = main.phdr[i].p_align == 8 ? 8 : 4;
    const uintptr_t end = main.bias + main.phdr[i].p_vaddr + main.phdr[i].p_memsz;
    uintptr_t at = main.bias + main.phdr[i].p_vaddr;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
      const uintptr_t name = at + sizeof(ElfW(Nhdr));
      const uintptr_t desc = (name + note->n_namesz + align - 1) & ~(align - 1);
      if (note->n_type == 4 && note->n_namesz == 4 && name + 4 <= end &&
          memcmp(reinterpret_cast<const void*>(name), "Go\0\0", 4) == 0) {
        return true;
      }
      at = (desc + note->n_descsz + align - 1) & ~(align - 1);
    }
  }
  return false;
}

// Scans the symbol table of the ELF file mapped at `file` (`size` bytes) for asmcgocall's two
// symbols. Every offset is checked against the size: the file is not ours to trust.
void FindAsmCgoCall(const char* file, size_t size, uintptr_t bias) {
  const auto* ehdr = reinterpret_cast<const ElfW(Ehdr)*>(file);
  if (size < sizeof(*ehdr) || memcmp(ehdr->e_ident, ELFMAG, SELFMAG) != 0 ||
      ehdr->e_shentsize != sizeof(ElfW(Shdr)) || ehdr->e_shoff > size ||
      ehdr->e_shnum > (size - ehdr->e_shoff) / sizeof(ElfW(Shdr))) {
    return;
  }
  const auto* shdr = reinterpret_cast<const ElfW(Shdr)*>(file + ehdr->e_shoff);
  for (int i = 0; i < ehdr->e_shnum; ++i) {
    if (shdr[i].sh_type != SHT_SYMTAB || shdr[i].sh_link >= ehdr->e_shnum) continue;
    const ElfW(Shdr)& strtab = shdr[shdr[i].sh_link];
    if (shdr[i].sh_offset > size || shdr[i].sh_size > size - shdr[i].sh_offset ||
        strtab.sh_offset > size || strtab.sh_size > size - strtab.sh_offset) {
      return;
    }
    const auto* sym = reinterpret_cast<const ElfW(Sym)*>(file + shdr[i].sh_offset);
    const size_t count = shdr[i].sh_size / sizeof(ElfW(Sym));
    const char* names = file + strtab.sh_offset;
    static const char kName[] = "runtime.asmcgocall";
    static const char kAbi0[] = "runtime.asmcgocall.abi0";
    for (size_t s = 0; s < count; ++s) {
      if (ELF64_ST_TYPE(sym[s].st_info) != STT_FUNC || sym[s].st_name >= strtab.sh_size) continue;
      const char* name = names + sym[s].st_name;
      const size_t room = strtab.sh_size - sym[s].st_name;
      // Compared with their terminating NULs, so that nothing longer matches.
      int which;
      if (room >= sizeof kAbi0 && memcmp(name, kAbi0, sizeof kAbi0) == 0) {
        which = 0;
      } else if (room >= sizeof kName && memcmp(name, kName, sizeof kName) == 0) {
        which = 1;
      } else {
        continue;
      }
      g_asmcgocall[which].begin = bias + sym[s].st_value;
      g_asmcgocall[which].end = bias + sym[s].st_value + sym[s].st_size;
    }
    return;
  }
}

}  // namespace

bool MainProgramIsGo() {
  MainProgram main;
  return FindMainProgram(&main) && HasGoNote(main);
}

void InitGoStacks() {
  MainProgram main;
  if (!FindMainProgram(&main) || !HasGoNote(main)) return;
  // The symbol table is not mapped at run time: read it from the file the process runs.
  const int fd = OpenOwnFd("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  void* file = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size > 0)
    file = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (file == MAP_FAILED) return;
  FindAsmCgoCall(static_cast<const char*>(file), static_cast<size_t>(st.st_size), main.bias);
  munmap(file, static_cast<size_t>(st.st_size));
  g_executable_text = ExecutableSegments(main.phdr, main.phnum, main.bias);
}

bool InAsmCgoCall(uintptr_t ip) {
  return g_asmcgocall[0].Contains(ip) || g_asmcgocall[1].Contains(ip);
}

void SetGoCodeRangeForTesting(uintptr_t begin, uintptr_t end) {
  g_executable_text.begin = begin;
  g_executable_text.end = end;
}

int AppendGoFrames(uintptr_t bp, uint64_t* frames, int depth, int max_depth, bool* truncated) {
  // The chain is read a window at a time: Go's frames are small, so one system call usually
  // covers the whole chain (a call per frame made a cgo sample ~25 times dearer than another).
  // A window cut short by an unmapped page holds what was readable before it.
  uintptr_t window[kWindowWords];
  uintptr_t window_begin = 0;
  size_t window_bytes = 0;
  const pid_t self = getpid();
  while (bp != 0 && bp % sizeof(uintptr_t) == 0) {
    if (bp < window_begin || bp - window_begin + 2 * sizeof(uintptr_t) > window_bytes) {
      struct iovec local = {window, sizeof window};
      struct iovec remote = {reinterpret_cast<void*>(bp), sizeof window};
      const ssize_t got = process_vm_readv(self, &local, 1, &remote, 1, 0);
      if (got < static_cast<ssize_t>(2 * sizeof(uintptr_t))) break;
      window_begin = bp;
      window_bytes = static_cast<size_t>(got);
    }
    const uintptr_t* frame = &window[(bp - window_begin) / sizeof(uintptr_t)];
    const uintptr_t caller_bp = frame[0];
    const uintptr_t return_address = frame[1];
    if (!g_executable_text.Contains(return_address)) break;
    if (depth == max_depth) {
      *truncated = true;
      break;
    }
    frames[depth++] = return_address - 1;
    if (caller_bp <= bp || caller_bp - bp > kMaxFrameGap) break;
    bp = caller_bp;
  }
  return depth;
}

}  // namespace leaktrack
