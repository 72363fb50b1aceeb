// See proc_maps.h.
#include "proc_maps.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "own_fd.h"
#include "proc_self.h"

namespace leaktrack {
namespace {

bool ParseHex(const char*& p, const char* end, uint64_t* out) {
  uint64_t v = 0;
  const char* start = p;
  while (p < end) {
    const char c = *p;
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else break;
    if (v >> 60) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
    ++p;
  }
  *out = v;
  return p > start;
}

bool SkipSpaces(const char*& p, const char* end) {
  const char* start = p;
  while (p < end && *p == ' ') ++p;
  return p > start;
}

bool SkipField(const char*& p, const char* end) {
  const char* start = p;
  while (p < end && *p != ' ') ++p;
  return p > start;
}

}  // namespace

bool ParseMapsLine(const char* line, size_t len, MapsEntry* out) {
  const char* p = line;
  const char* end = line + len;
  MapsEntry e;
  if (!ParseHex(p, end, &e.start) || p >= end || *p++ != '-') return false;
  if (!ParseHex(p, end, &e.limit) || !SkipSpaces(p, end)) return false;
  if (end - p < 4) return false;
  e.executable = p[2] == 'x';
  p += 4;
  if (!SkipSpaces(p, end) || !ParseHex(p, end, &e.offset) || !SkipSpaces(p, end)) return false;
  if (!SkipField(p, end) || !SkipSpaces(p, end)) return false;  // device
  if (!SkipField(p, end)) return false;                          // inode
  SkipSpaces(p, end);
  if (e.limit < e.start) return false;
  e.path = p;
  e.path_len = static_cast<size_t>(end - p);
  static const char kDeleted[] = " (deleted)";
  const size_t dl = sizeof(kDeleted) - 1;
  if (e.path_len >= dl && memcmp(end - dl, kDeleted, dl) == 0) {
    e.path_len -= dl;
    e.deleted = true;
  }
  *out = e;
  return true;
}

bool FindBuildIdInNotes(const uint8_t* notes, size_t len, char* hex, size_t hex_cap) {
  size_t pos = 0;
  while (len - pos >= sizeof(ElfW(Nhdr))) {
    ElfW(Nhdr) nh;
    memcpy(&nh, notes + pos, sizeof(nh));
    pos += sizeof(nh);
    const size_t name_size = (static_cast<size_t>(nh.n_namesz) + 3) & ~size_t{3};
    const size_t desc_size = (static_cast<size_t>(nh.n_descsz) + 3) & ~size_t{3};
    if (name_size > len - pos || desc_size > len - pos - name_size) return false;
    const uint8_t* name = notes + pos;
    const uint8_t* desc = notes + pos + name_size;
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
      if (nh.n_descsz == 0 || nh.n_descsz * 2 + 1 > hex_cap) return false;
      for (size_t i = 0; i < nh.n_descsz; ++i) {
        hex[2 * i] = "0123456789abcdef"[desc[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[desc[i] & 15];
      }
      hex[2 * nh.n_descsz] = '\0';
      return true;
    }
    pos += name_size + desc_size;
  }
  return false;
}

namespace {

// Finds the build ID of an ELF image through `read(buf, len, at)`: its header and program
// headers at `base` + their file offset; its notes at their file offset (`loaded` false: a
// file, base 0) or, in a loaded image whose offset-0 segment is at `base`, where the loader put
// them (load bias + p_vaddr). Program headers are read one at a time: a dump may run on a small
// alternate signal stack.
template <typename Read>
bool FindBuildId(Read read, uint64_t base, bool loaded, char* hex, size_t hex_cap) {
  ElfW(Ehdr) eh;
  if (!read(&eh, sizeof(eh), base) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ElfW(Phdr)) ||
      eh.e_phnum >= 256)
    return false;
  ElfW(Phdr) ph;
  auto read_phdr = [&](int i) { return read(&ph, sizeof(ph), base + eh.e_phoff + i * sizeof(ph)); };
  uint64_t bias = 0;
  if (loaded) {
    int i = 0;
    while (i < eh.e_phnum && read_phdr(i) && !(ph.p_type == PT_LOAD && ph.p_offset == 0)) ++i;
    if (i == eh.e_phnum || ph.p_type != PT_LOAD || ph.p_offset != 0) return false;
    bias = base - ph.p_vaddr;
  }
  for (int i = 0; i < eh.e_phnum; ++i) {
    if (!read_phdr(i)) return false;
    if (ph.p_type != PT_NOTE || ph.p_filesz == 0) continue;
    uint8_t notes[1024];  // build-id notes come first and are tiny; larger segments are cut
    const size_t want = ph.p_filesz < sizeof(notes) ? ph.p_filesz : sizeof(notes);
    if (read(notes, want, loaded ? bias + ph.p_vaddr : ph.p_offset) &&
        FindBuildIdInNotes(notes, want, hex, hex_cap))
      return true;
  }
  return false;
}

// Reads the build ID through `path`, opened here (a file, or /proc/self/mem).
bool ReadBuildIdVia(const char* path, uint64_t base, bool loaded, char* hex, size_t hex_cap) {
  const int fd = OpenOwnFd(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return false;
  auto read = [fd](void* buf, size_t len, uint64_t at) {
    return pread(fd, buf, len, static_cast<off_t>(at)) == static_cast<ssize_t>(len);
  };
  const bool found = FindBuildId(read, base, loaded, hex, hex_cap);
  close(fd);
  return found;
}

}  // namespace

bool ReadBuildIdFromFile(const char* path, char* hex, size_t hex_cap) {
  return ReadBuildIdVia(path, 0, /*loaded=*/false, hex, hex_cap);
}

bool ReadBuildIdFromMemory(uint64_t base, char* hex, size_t hex_cap) {
  // Through /proc/self/mem, an address unmapped meanwhile is a failed read, not a fault.
  char mem[40];
  ProcSelfPath("mem", mem, sizeof(mem));
  return ReadBuildIdVia(mem, base, /*loaded=*/true, hex, hex_cap);
}

int AddressWritable(uint64_t address) {
  char maps[40];
  ProcSelfPath("maps", maps, sizeof(maps));
  const int fd = OpenOwnFd(maps, O_RDONLY);
  if (fd < 0) return -1;
  // Small on the stack: this runs on the sampling path, maybe on a thread with a small stack.
  // Only each line's head ("start-limit perms") is kept; the rest is skipped to the newline.
  char chunk[512];
  char head[64];
  size_t head_len = 0;
  int answer = -1;
  ssize_t n;
  while (answer == -1 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (ssize_t i = 0; i < n && answer == -1; ++i) {
      if (chunk[i] != '\n') {
        if (head_len < sizeof(head)) head[head_len++] = chunk[i];
        continue;
      }
      const char* p = head;
      const char* end = head + head_len;
      uint64_t start, limit;
      if (ParseHex(p, end, &start) && p < end && *p++ == '-' && ParseHex(p, end, &limit) &&
          SkipSpaces(p, end) && end - p >= 4 && address >= start && address < limit) {
        answer = p[1] == 'w' ? 1 : 0;
      }
      head_len = 0;
    }
  }
  close(fd);
  return answer;
}

int ReadExecutableMappings(Arena* arena, Mapping** out) {
  // /proc/self/maps of a big service is a few hundred KB; grow by re-reading if it did not fit.
  size_t cap = 256 << 10;
  char maps_path[40], exe_link[40];
  ProcSelfPath("maps", maps_path, sizeof(maps_path));
  ProcSelfPath("exe", exe_link, sizeof(exe_link));
  char* text = nullptr;
  size_t len = 0;
  for (int attempt = 0; attempt < 4; ++attempt, cap *= 4) {
    text = static_cast<char*>(arena->Alloc(cap, 16));
    if (text == nullptr) return errno = ENOMEM, -1;
    const int fd = OpenOwnFd(maps_path, O_RDONLY);
    if (fd < 0) return -1;
    len = 0;
    ssize_t n;
    while (len < cap && (n = read(fd, text + len, cap - len)) != 0) {
      if (n < 0) {
        if (errno == EINTR) continue;
        const int err = errno;
        close(fd);
        return errno = err, -1;
      }
      len += static_cast<size_t>(n);
    }
    close(fd);
    if (len < cap) break;
  }
  // Kept off the stack: a dump may run on a small alternate signal stack.
  char* exe = static_cast<char*>(arena->Alloc(4096, 1));
  if (exe == nullptr) return errno = ENOMEM, -1;
  const ssize_t exe_len = readlink(exe_link, exe, 4095);
  exe[exe_len > 0 ? exe_len : 0] = '\0';
  static const char kDeleted[] = " (deleted)";
  if (exe_len > 10 && strcmp(exe + exe_len - 10, kDeleted) == 0) exe[exe_len - 10] = '\0';

  // Count executable lines for the array size.
  int count = 0;
  for (size_t i = 0; i < len; ++i) count += text[i] == '\n';
  Mapping* maps = arena->AllocArray<Mapping>(static_cast<size_t>(count) + 1);
  if (maps == nullptr) return errno = ENOMEM, -1;
  int n = 0;
  const char* line = text;
  const char* end = text + len;
  MapsEntry image;  // the last offset-0 line: where the current file's ELF header is mapped
  while (line < end) {
    const char* nl = static_cast<const char*>(memchr(line, '\n', end - line));
    if (nl == nullptr) nl = end;
    MapsEntry e;
    const bool parsed = ParseMapsLine(line, nl - line, &e);
    if (parsed && e.offset == 0 && e.path_len > 0) image = e;
    if (parsed && e.executable && e.path_len > 0) {
      Mapping& m = maps[n];
      m.start = e.start;
      m.limit = e.limit;
      m.offset = e.offset;
      m.path = static_cast<char*>(arena->Alloc(e.path_len + 1, 1));
      if (m.path == nullptr) return errno = ENOMEM, -1;
      memcpy(m.path, e.path, e.path_len);
      m.path[e.path_len] = '\0';
      m.build_id[0] = '\0';
      if (m.path[0] == '/') {
        // Several segments of one file share the ID; reuse the previous lookup.
        if (n > 0 && strcmp(maps[n - 1].path, m.path) == 0) {
          memcpy(m.build_id, maps[n - 1].build_id, sizeof(m.build_id));
        } else if (!e.deleted) {
          (void)ReadBuildIdFromFile(m.path, m.build_id, sizeof(m.build_id));
        } else if (image.path_len == e.path_len && memcmp(image.path, e.path, e.path_len) == 0) {
          // The path names another file now, or none: read the ID the loader mapped.
          (void)ReadBuildIdFromMemory(image.start, m.build_id, sizeof(m.build_id));
        }
      }
      ++n;
    }
    line = nl + 1;
  }
  // Stable partition: the main executable first. The text is already sorted by address.
  Mapping* sorted = arena->AllocArray<Mapping>(static_cast<size_t>(n) + 1);
  if (sorted == nullptr) return errno = ENOMEM, -1;
  int k = 0;
  for (int i = 0; i < n; ++i)
    if (exe[0] != '\0' && strcmp(maps[i].path, exe) == 0) sorted[k++] = maps[i];
  for (int i = 0; i < n; ++i)
    if (exe[0] == '\0' || strcmp(maps[i].path, exe) != 0) sorted[k++] = maps[i];
  *out = sorted;
  return n;
}

}  // namespace leaktrack
