// See attach_plan.h.
#include "tools/attach_plan.h"

#include <dirent.h>
#include <gelf.h>
#include <linux/futex.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>

#include "symbolizer/elf_file.h"
#include "symbolizer/gzip_io.h"
#include "tools/process_maps.h"

namespace leaktrack {
namespace {

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The process's libc and libdl (by basename: "libc.so.6", or "libc-2.31.so" on old systems),
// each by its lowest mapping: enough to place the whole file.
std::map<std::string, MapsLine> GlibcMappings(const std::vector<MapsLine>& maps) {
  std::map<std::string, MapsLine> files;
  for (const MapsLine& m : maps) {
    if (m.path.empty() || m.path[0] != '/') continue;
    const std::string base = Basename(m.path);
    std::string key;
    if (base.rfind("libc.so", 0) == 0 || base.rfind("libc-", 0) == 0) key = "libc";
    if (base.rfind("libdl.so", 0) == 0 || base.rfind("libdl-", 0) == 0) key = "libdl";
    if (key.empty()) continue;
    auto it = files.find(key);
    if (it == files.end() || m.offset < it->second.offset) files[key] = m;
  }
  return files;
}

// The defined function or variable `name` in the dynamic symbols of `elf`, preferring the
// default version (dlopen@@GLIBC_2.34 over dlopen@GLIBC_2.2.5); 0 if absent.
uint64_t DynamicSymbol(Elf* elf, const char* name) {
  Elf_Scn* dynsym = nullptr;
  Elf_Scn* versym = nullptr;
  for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn; scn = elf_nextscn(elf, scn)) {
    GElf_Shdr sh;
    if (gelf_getshdr(scn, &sh) == nullptr) continue;
    if (sh.sh_type == SHT_DYNSYM) dynsym = scn;
    if (sh.sh_type == SHT_GNU_versym) versym = scn;
  }
  GElf_Shdr sh;
  Elf_Data* data = dynsym != nullptr ? elf_getdata(dynsym, nullptr) : nullptr;
  if (data == nullptr || gelf_getshdr(dynsym, &sh) == nullptr || sh.sh_entsize == 0) return 0;
  Elf_Data* versions = versym != nullptr ? elf_getdata(versym, nullptr) : nullptr;
  uint64_t found = 0;
  for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(data, static_cast<int>(i), &sym) == nullptr || sym.st_shndx == SHN_UNDEF ||
        sym.st_value == 0 ||
        (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_OBJECT))
      continue;
    const char* sym_name = elf_strptr(elf, sh.sh_link, sym.st_name);
    if (sym_name == nullptr || strcmp(sym_name, name) != 0) continue;
    GElf_Versym version = 0;
    const bool hidden = versions != nullptr &&
                        gelf_getversym(versions, static_cast<int>(i), &version) != nullptr &&
                        (version & 0x8000) != 0;
    if (!hidden) return sym.st_value;
    found = sym.st_value;
  }
  return found;
}

// The run-time address of the file's symbols: where the process mapped file offset `mapped`.
Result<uint64_t> LoadBias(const ElfFile& file, const MapsLine& mapped) {
  for (const LoadSegment& seg : file.load_segments()) {
    if (mapped.offset >= (seg.offset & ~4095ull) && mapped.offset < seg.offset + seg.filesz)
      return mapped.start - seg.vaddr + seg.offset - mapped.offset;
  }
  return MakeError(file.path() + ": no segment holds the mapped offset");
}

// Stack the calls in a stopped thread may use: dlopen and leaktrack_attach() ran on a 16 KiB
// thread stack in a test; four times that, for a margin.
constexpr uint64_t kStackNeeded = 64 * 1024;

// Bytes of stack below `sp`: down to the start of the mapping that holds it (a thread's stack;
// its guard page is a mapping of its own), unlimited on the main thread's [stack], which grows.
// 0 when no mapping holds it.
uint64_t StackRoom(const std::vector<MapsLine>& maps, uint64_t sp) {
  const MapsLine* m = MappingAt(maps, sp);
  if (m == nullptr) return 0;
  return m->path == "[stack]" ? UINT64_MAX : sp - m->start;
}

// What stopping a thread in a call does to it.
enum class StopEffect { kUnsafe, kRestarts, kSeesEintr };

StopEffect EffectOfStop(long nr, unsigned long long futex_op) {
  switch (nr) {
    case SYS_read: case SYS_readv: case SYS_pread64: case SYS_preadv: case SYS_preadv2:
    case SYS_recvfrom: case SYS_recvmsg: case SYS_accept: case SYS_accept4:
    case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_wait4: case SYS_waitid:
    case SYS_pause: case SYS_rt_sigsuspend: case SYS_msgrcv:
      return StopEffect::kRestarts;
    case SYS_futex:
      // pthread_cond_wait, sem_wait and pthread_join wait with FUTEX_WAIT_BITSET after releasing
      // their mutex; a contended mutex (glibc's arena lock, jemalloc's) waits with FUTEX_WAIT.
      return (futex_op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET ? StopEffect::kRestarts
                                                               : StopEffect::kUnsafe;
    case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_rt_sigtimedwait:
      return StopEffect::kSeesEintr;
    default:
      return StopEffect::kUnsafe;
  }
}

std::string CallName(long nr) {
  switch (nr) {
    case SYS_read: return "read";
    case SYS_poll: return "poll";
    case SYS_ppoll: return "ppoll";
    case SYS_select: return "select";
    case SYS_pselect6: return "pselect6";
    case SYS_nanosleep: return "nanosleep";
    case SYS_clock_nanosleep: return "clock_nanosleep";
    case SYS_accept: return "accept";
    case SYS_accept4: return "accept4";
    case SYS_wait4: return "wait4";
    case SYS_futex: return "futex";
    case SYS_epoll_wait: return "epoll_wait";
    case SYS_epoll_pwait: return "epoll_pwait";
    case SYS_rt_sigtimedwait: return "sigtimedwait";
    case SYS_recvfrom: return "recvfrom";
    case SYS_recvmsg: return "recvmsg";
    default: return "system call " + std::to_string(nr);
  }
}

}  // namespace

Status FindSymbols(const TargetProcess& target, const MapsLine& mapped,
                   const std::vector<std::pair<const char*, uint64_t*>>& names) {
  // The very file mapped (its map_files link needs CAP_SYS_ADMIN), else its path: /proc/PID/maps
  // gives it as seen from our root when we share the process's mounts (a chroot), else from
  // its own. Only a file with the mapping's device and inode will do: another libc's addresses
  // would be called blind.
  char link[96];
  snprintf(link, sizeof(link), "/proc/%d/map_files/%llx-%llx", target.pid,
           static_cast<unsigned long long>(mapped.start),
           static_cast<unsigned long long>(mapped.end));
  std::string chosen;
  for (const std::string& candidate : {std::string(link), target.Here(mapped.path), mapped.path}) {
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && st.st_ino == mapped.inode &&
        major(st.st_dev) == mapped.dev_major && minor(st.st_dev) == mapped.dev_minor) {
      chosen = candidate;
      break;
    }
  }
  if (chosen.empty())
    return MakeError("cannot reach " + mapped.path + " as process " + std::to_string(target.pid) +
                     " mapped it (replaced since, or in a root we cannot see)");
  Result<std::unique_ptr<ElfFile>> file = ElfFile::Open(chosen);
  if (!file.ok()) return MakeError(file.error());
  Result<uint64_t> bias = LoadBias(*file.value(), mapped);
  if (!bias.ok()) return MakeError(bias.error());
  for (const auto& [name, out] : names) {
    const uint64_t value = DynamicSymbol(file.value()->elf(), name);
    if (value != 0) *out = bias.value() + value;
  }
  return Status();
}

Result<LoaderFunctions> FindLoaderFunctions(const TargetProcess& target, const std::string& maps) {
  const std::string pid = std::to_string(target.pid);
  const std::map<std::string, MapsLine> files = GlibcMappings(ParseProcMaps(maps));
  const auto libc = files.find("libc");
  if (libc == files.end()) return MakeError("process " + pid + " has no glibc loaded");
  LoaderFunctions f;
  Status s = FindSymbols(target, libc->second, {{"dlopen", &f.dlopen}, {"dlsym", &f.dlsym},
                                           {"dlerror", &f.dlerror},
                                           {"__errno_location", &f.errno_location}});
  if (!s.ok()) return MakeError(s.error());
  const auto libdl = files.find("libdl");
  if (f.dlopen == 0 && libdl != files.end()) {  // glibc before 2.34
    s = FindSymbols(target, libdl->second,
               {{"dlopen", &f.dlopen}, {"dlsym", &f.dlsym}, {"dlerror", &f.dlerror}});
    if (!s.ok()) return MakeError(s.error());
  }
  if (f.dlopen == 0 || f.dlsym == 0 || f.dlerror == 0 || f.errno_location == 0)
    return MakeError("process " + pid + " has no dlopen loaded (glibc before 2.34 keeps it in "
                     "libdl.so.2, which this program does not use)");
  return f;
}

std::vector<StoppableThread> StoppableThreads(pid_t pid, std::string* seen) {
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  const Result<std::string> text = ReadWholeFile(ProcDir(pid) + "/maps");
  const std::vector<MapsLine> maps = ParseProcMaps(text.ok() ? text.value() : "");
  std::vector<StoppableThread> restarting, interrupted;
  std::map<std::string, int> others;
  if (DIR* dir = opendir(task.c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.') continue;
      Result<std::string> call = ReadWholeFile(task + "/" + e->d_name + "/syscall");
      if (!call.ok()) {
        others["unreadable"]++;
        continue;
      }
      long nr = -1;
      unsigned long long args[6] = {}, sp = 0;
      if (call.value().rfind("running", 0) == 0) {
        others["running"]++;
        continue;
      }
      if (sscanf(call.value().c_str(), "%ld %llx %llx %llx %llx %llx %llx %llx", &nr, &args[0],
                 &args[1], &args[2], &args[3], &args[4], &args[5], &sp) < 8 || nr < 0) {
        others["stopped"]++;
        continue;
      }
      // The calls run on the thread's own stack, below its stack pointer.
      if (text.ok() && StackRoom(maps, sp) < kStackNeeded) {
        others["on a small stack"]++;
        continue;
      }
      const StopEffect effect = EffectOfStop(nr, args[1]);
      StoppableThread t{static_cast<pid_t>(atoi(e->d_name)), nr, CallName(nr),
                        effect == StopEffect::kSeesEintr};
      if (effect == StopEffect::kRestarts) restarting.push_back(t);
      else if (effect == StopEffect::kSeesEintr) interrupted.push_back(t);
      else others["in " + (nr == SYS_futex ? std::string("a mutex wait") : t.call)]++;
    }
    closedir(dir);
  }
  // The main thread first among equals: it is the one a program's author knows best.
  auto by_tid = [](const StoppableThread& a, const StoppableThread& b) { return a.tid < b.tid; };
  std::sort(restarting.begin(), restarting.end(), by_tid);
  std::sort(interrupted.begin(), interrupted.end(), by_tid);
  restarting.insert(restarting.end(), interrupted.begin(), interrupted.end());
  seen->clear();
  for (const auto& [what, n] : others)
    *seen += (seen->empty() ? "" : ", ") + std::to_string(n) + " " + what;
  return restarting;
}

}  // namespace leaktrack
