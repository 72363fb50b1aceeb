// See shim_target.h.
#include "tools/shim_target.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "symbolizer/elf_file.h"

namespace leaktrack {
namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string SelfDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  std::string path(buf);
  return path.substr(0, path.rfind('/'));
}

std::string FindShim() {
  std::string dir = SelfDir();
  if (dir.empty()) return "";
  for (const char* rel : {"/libleaktrack.so", "/../lib/libleaktrack.so",
                          "/../lib64/libleaktrack.so",
                          "/../lib/x86_64-linux-gnu/libleaktrack.so"}) {
    std::string candidate = dir + rel;
    if (IsRegularFile(candidate)) {
      char resolved[PATH_MAX];
      return realpath(candidate.c_str(), resolved) ? std::string(resolved) : candidate;
    }
  }
  return "";
}

std::string TrackingProblem(const std::string& path, const std::string& name) {
  Result<std::unique_ptr<ElfFile>> elf = ElfFile::Open(path);
  if (!elf.ok()) return "";
  const ElfFile& file = *elf.value();
  if (!file.has_interp()) return name + ": statically linked: allocation tracking impossible";
  // The loader would refuse the shim: a musl one with an error that stops the program, a
  // 32-bit one with a "wrong ELF class" line, running it untracked.
  if (file.interp().find("ld-musl") != std::string::npos)
    return name + ": uses musl libc (" + file.interp() + "); libleaktrack.so is built for glibc";
  if (!file.is_64bit()) return name + ": a 32-bit program; libleaktrack.so is 64-bit";
  for (const std::string& lib : file.needed())
    if (lib.rfind("libasan", 0) == 0 || lib.rfind("libtsan", 0) == 0 ||
        lib.rfind("libhwasan", 0) == 0)
      return name + ": linked against " + lib +
             ": the sanitizer owns malloc, allocation tracking impossible";
  return "";
}

}  // namespace leaktrack
