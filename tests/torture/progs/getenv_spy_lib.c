/* getenv spy (secure_preload.sh, torture row I1): listed in /etc/ld.so.preload next to the shim,
 * it defines getenv and secure_getenv ahead of libc, so the shim's calls reach it. Each call
 * made from code inside libleaktrack (or the libunwind it uses) prints one stderr line
 * "getenv-spy: <getenv|secure_getenv>(<name>) from <object>": in secure-execution mode there
 * must be none, in a normal process the shim's LEAKTRACK_* reads show up. Silent unless
 * GETENV_SPY=1 is in the environment: the helpers that start the probe (setpriv, env) get the
 * preload list too and share its stderr.
 * Looks the variable up in environ itself: no dlsym, no allocation, nothing that could call
 * back into the shim's malloc while it is initialising. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char** environ;

static char* Lookup(const char* name) {
  const size_t len = strlen(name);
  for (char** e = environ; e != NULL && *e != NULL; ++e) {
    if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') return *e + len + 1;
  }
  return NULL;
}

static void Report(const char* fn, const char* name, void* caller) {
  const char* on = Lookup("GETENV_SPY");
  if (on == NULL || strcmp(on, "1") != 0) return;
  Dl_info info;
  if (dladdr(caller, &info) == 0 || info.dli_fname == NULL) return;
  if (strstr(info.dli_fname, "libleaktrack") == NULL && strstr(info.dli_fname, "libunwind") == NULL)
    return;
  const char* parts[] = {"getenv-spy: ", fn, "(", name, ") from ", info.dli_fname, "\n"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    if (write(2, parts[i], strlen(parts[i])) < 0) return;
  }
}

__attribute__((visibility("default"))) char* getenv(const char* name) {
  Report("getenv", name, __builtin_return_address(0));
  return Lookup(name);
}

__attribute__((visibility("default"))) char* secure_getenv(const char* name) {
  Report("secure_getenv", name, __builtin_return_address(0));
  return getauxval(AT_SECURE) ? NULL : Lookup(name);
}
