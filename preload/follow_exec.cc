// See follow_exec.h.
#include "follow_exec.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "raw_log.h"

extern char** environ;

namespace leaktrack {
namespace {

constexpr char kVar[] = "LD_PRELOAD=";
constexpr size_t kVarLen = sizeof(kVar) - 1;
constexpr size_t kMaxEntry = 4096;  // longer entries are kept as they are

bool IsSeparator(char c) { return c == ' ' || c == ':'; }  // ld.so's strcspn(p, " :")

// Who we are: the path the loader recorded for us, and that file's identity.
struct Self {
  const char* path;
  const char* base;  // after the last '/'
  bool have_stat;
  struct stat st;
};

// An entry with a '/' is opened by ld.so as given (relative to the working directory), so compare
// the files; one without is searched for on the library path, so compare the names. One with a
// token ("/usr/$LIB/libleaktrack.so") names no file until ld.so expands it.
bool IsSelfEntry(const char* entry, void* ctx) {
  const Self& self = *static_cast<const Self*>(ctx);
  if (strchr(entry, '$') != nullptr) return TokenEntryMatchesPath(entry, self.path);
  if (strchr(entry, '/') == nullptr) return strcmp(entry, self.base) == 0;
  struct stat st;
  if (self.have_stat && stat(entry, &st) == 0) {
    return st.st_dev == self.st.st_dev && st.st_ino == self.st.st_ino;
  }
  return strcmp(entry, self.path) == 0;
}

}  // namespace

bool TokenEntryMatchesPath(const char* entry, const char* path) {
  const char* token = strchr(entry, '$');
  const char* entry_name = strrchr(entry, '/');
  const char* path_name = strrchr(path, '/');
  if (token == nullptr || entry_name == nullptr || path_name == nullptr) return false;
  if (strchr(entry_name, '$') != nullptr) return false;  // a token in the file name itself
  const size_t prefix = static_cast<size_t>(token - entry);
  return strncmp(entry, path, prefix) == 0 && strcmp(entry_name, path_name) == 0;
}

namespace {

// g_value holds "LD_PRELOAD=<edited list>" for the rest of the process's life.
char g_value[kVarLen + 8192];

}  // namespace

int StripPreloadList(const char* list, bool (*is_self)(const char* entry, void* ctx), void* ctx,
                     char* out, size_t cap) {
  if (cap == 0) return -1;
  size_t n = 0;
  int removed = 0;
  const char* p = list;
  while (*p != '\0') {
    const char* sep = p;  // the separators before this entry
    while (IsSeparator(*p)) ++p;
    const char* entry = p;
    while (*p != '\0' && !IsSeparator(*p)) ++p;
    const size_t len = static_cast<size_t>(p - entry);
    if (len == 0) {  // trailing separators: kept as they were
      const size_t add = static_cast<size_t>(p - sep);
      if (n + add >= cap) return -1;
      memmove(out + n, sep, add);
      n += add;
      break;
    }
    char name[kMaxEntry];
    bool self = false;
    if (len < sizeof(name)) {
      memcpy(name, entry, len);
      name[len] = '\0';
      self = is_self(name, ctx);
    }
    if (self) {
      ++removed;
      continue;
    }
    // A kept entry keeps the separators before it, except at the very start when everything
    // before it was removed ("self:a" becomes "a", not ":a").
    if (n == 0 && removed > 0) sep = entry;
    const size_t add = static_cast<size_t>(p - sep);
    if (n + add >= cap) return -1;
    memmove(out + n, sep, add);  // out may be list itself: n never passes the read position
    n += add;
  }
  out[n] = '\0';
  return removed;
}

void StopFollowingExec() {
  if (environ == nullptr) return;
  int index = -1;
  for (int i = 0; environ[i] != nullptr; ++i) {
    if (strncmp(environ[i], kVar, kVarLen) == 0) {
      index = i;
      break;
    }
  }
  if (index < 0) return;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&StopFollowingExec), &info) == 0 ||
      info.dli_fname == nullptr) {
    return;
  }
  Self self{};
  self.path = info.dli_fname;
  const char* slash = strrchr(self.path, '/');
  self.base = slash != nullptr ? slash + 1 : self.path;
  self.have_stat = stat(self.path, &self.st) == 0;

  memcpy(g_value, kVar, kVarLen);
  const int removed = StripPreloadList(environ[index] + kVarLen, &IsSelfEntry, &self,
                                       g_value + kVarLen, sizeof(g_value) - kVarLen);
  if (removed < 0) {
    RawLog(
        "LD_PRELOAD is longer than %zu bytes; programs this one runs will load leaktrack too "
        "(LEAKTRACK_FOLLOW_EXEC=0 ignored)",
        sizeof(g_value) - kVarLen - 1);
    return;
  }
  if (removed == 0) return;  // we were loaded some other way (/etc/ld.so.preload, dlopen)
  bool empty = true;
  for (const char* c = g_value + kVarLen; *c != '\0'; ++c) empty = empty && IsSeparator(*c);
  if (empty) {
    unsetenv("LD_PRELOAD");  // as if it had never been set; glibc's unsetenv does not allocate
  } else {
    char* value = g_value;
    __atomic_store_n(&environ[index], value, __ATOMIC_RELEASE);
  }
}

}  // namespace leaktrack
