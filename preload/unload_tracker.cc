// See unload_tracker.h.
#include "unload_tracker.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "internal_alloc.h"
#include "proc_maps.h"
#include "profiler.h"
#include "recycled_code.h"
#include "unwind.h"

namespace leaktrack {
namespace {

using DlcloseFn = int (*)(void*);
DlcloseFn g_real_dlclose;

constexpr int kMaxSegments = 4;      // executable PT_LOADs per object (normally one)
constexpr uint32_t kMaxObjects = 8192;
constexpr size_t kNamesBytes = 1 << 20;
constexpr size_t kPathBytes = 4096;

struct Segment {
  uint64_t start;
  uint64_t limit;
  uint64_t offset;
};

struct LoadedObject {
  uint64_t base;  // dlpi_addr
  uint32_t name;  // offset into Snapshot::names
  uint32_t n_segments;
  Segment segments[kMaxSegments];
  bool still_loaded;
};

// The loaded objects before the real dlclose, in one scratch mapping (pages are touched only as
// far as they are used; nothing goes through the tracked allocator).
struct Snapshot {
  LoadedObject* objects;
  uint32_t count;
  char* names;
  size_t names_used;
  char* path;  // kPathBytes of room to make a relative name absolute
  unsigned long long subs;

  static size_t Bytes() { return kMaxObjects * sizeof(LoadedObject) + kNamesBytes + kPathBytes; }
  void Init(char* memory) {
    objects = reinterpret_cast<LoadedObject*>(memory);
    names = memory + kMaxObjects * sizeof(LoadedObject);
    path = names + kNamesBytes;
    count = 0;
    names_used = 0;
    subs = 0;
  }
};

unsigned long long Subs(const dl_phdr_info* info, size_t size) {
  return size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs) ? info->dlpi_subs
                                                                             : 0;
}

// Only objects named by a path can be unloaded; the executable ("") and the vDSO cannot.
bool Unloadable(const char* name) { return name != nullptr && strchr(name, '/') != nullptr; }

int Collect(dl_phdr_info* info, size_t size, void* data) {
  Snapshot* s = static_cast<Snapshot*>(data);
  s->subs = Subs(info, size);
  if (!Unloadable(info->dlpi_name) || s->count == kMaxObjects) return 0;
  const size_t len = strlen(info->dlpi_name) + 1;
  if (s->names_used + len > kNamesBytes) return 0;
  LoadedObject& o = s->objects[s->count];
  o.base = info->dlpi_addr;
  o.name = static_cast<uint32_t>(s->names_used);
  o.n_segments = 0;
  o.still_loaded = false;
  memcpy(s->names + s->names_used, info->dlpi_name, len);
  s->names_used += len;
  // As /proc/self/maps shows them: page-rounded, offset of the first page.
  const uint64_t page = static_cast<uint64_t>(getpagesize());
  for (int i = 0; i < info->dlpi_phnum && o.n_segments < kMaxSegments; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0 || ph.p_memsz == 0) continue;
    const uint64_t begin = info->dlpi_addr + ph.p_vaddr;
    Segment& seg = o.segments[o.n_segments++];
    seg.start = begin & ~(page - 1);
    seg.limit = (begin + ph.p_memsz + page - 1) & ~(page - 1);
    seg.offset = ph.p_offset & ~(page - 1);
  }
  ++s->count;
  return 0;
}

int ReadSubs(dl_phdr_info* info, size_t size, void* data) {
  *static_cast<unsigned long long*>(data) = Subs(info, size);
  return 1;  // the counter is the same in every callback: stop after the first
}

int MarkStillLoaded(dl_phdr_info* info, size_t, void* data) {
  Snapshot* s = static_cast<Snapshot*>(data);
  if (!Unloadable(info->dlpi_name)) return 0;
  for (uint32_t i = 0; i < s->count; ++i) {
    LoadedObject& o = s->objects[i];
    if (o.base == info->dlpi_addr && strcmp(s->names + o.name, info->dlpi_name) == 0) {
      o.still_loaded = true;
      break;
    }
  }
  return 0;
}

// The name as /proc/self/maps would show it: the loader keeps a relative name as dlopen got it.
const char* AbsolutePath(Snapshot* s, const char* name) {
  if (name[0] == '/') return name;
  if (getcwd(s->path, kPathBytes) == nullptr) return name;
  const size_t cwd = strlen(s->path);
  if (cwd + 1 + strlen(name) + 1 > kPathBytes) return name;
  s->path[cwd] = '/';
  strcpy(s->path + cwd + 1, name);
  return s->path;
}

void RecordDepartures(Snapshot* s) {
  ForgetCachedUnwindRules();  // first: code was unmapped, and new code may already be mapped there
  uint32_t generation = 0;
  const bool tracked = g_profiler.departed.Advance(&generation);
  dl_iterate_phdr(&MarkStillLoaded, s);
  for (uint32_t i = 0; i < s->count; ++i) {
    const LoadedObject& o = s->objects[i];
    if (o.still_loaded || o.n_segments == 0) continue;
    for (uint32_t k = 0; k < o.n_segments; ++k)
      g_recycled_code.Add(o.segments[k].start, o.segments[k].limit);
    if (!tracked) continue;
    const char* path = AbsolutePath(s, s->names + o.name);
    char build_id[65] = "";
    if (!ReadBuildIdFromFile(path, build_id, sizeof(build_id))) build_id[0] = '\0';
    for (uint32_t k = 0; k < o.n_segments; ++k) {
      const Segment& seg = o.segments[k];
      g_profiler.departed.Record(generation, seg.start, seg.limit, seg.offset, path, build_id);
    }
  }
}

}  // namespace

int HookDlclose(void* handle) {
  DlcloseFn real = __atomic_load_n(&g_real_dlclose, __ATOMIC_ACQUIRE);
  if (real == nullptr) {
    real = reinterpret_cast<DlcloseFn>(dlsym(RTLD_NEXT, "dlclose"));
    if (real == nullptr) return -1;  // cannot happen with glibc; dlerror() says why
    __atomic_store_n(&g_real_dlclose, real, __ATOMIC_RELEASE);
  }
  if (g_profiler.state.load(std::memory_order_acquire) != State::kActive) return real(handle);
  char* memory = static_cast<char*>(MapMemory(Snapshot::Bytes()));
  if (memory == nullptr) return real(handle);  // unload untracked; nothing else to do
  Snapshot snapshot;
  snapshot.Init(memory);
  dl_iterate_phdr(&Collect, &snapshot);
  // The real dlclose runs without our guard: the library's destructors allocate like any code.
  const int rc = real(handle);
  const int saved_errno = errno;  // the program sees dlclose's errno, not our bookkeeping's
  unsigned long long subs = snapshot.subs;
  dl_iterate_phdr(&ReadSubs, &subs);
  if (subs != snapshot.subs) RecordDepartures(&snapshot);
  UnmapMemory(memory, Snapshot::Bytes());
  errno = saved_errno;
  return rc;
}

}  // namespace leaktrack
