// See debuginfod_client.h.
#include "symbolizer/debuginfod_client.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace leaktrack {

// The three calls of libdebuginfod's C API we make (elfutils/debuginfod.h, stable since 0.178).
// Declared here rather than included: its -dev package is not needed to build leaktrack.
struct DebuginfodClient::Api {
  void* (*begin)();
  // Returns an open file descriptor (>= 0) and a malloc'd *path, or -errno. A build ID of
  // length 0 is taken as a hex string.
  int (*find_debuginfo)(void* client, const unsigned char* build_id, int build_id_len,
                        char** path);
  void (*end)(void* client);
};

std::unique_ptr<DebuginfodClient> DebuginfodClient::FromEnvironment(std::string* why) {
  why->clear();
  const char* urls = getenv("DEBUGINFOD_URLS");
  if (urls == nullptr || urls[0] == '\0') return nullptr;
  // libdebuginfod waits up to 90 s for a server that does not answer, per file: a dump taken
  // during an incident must not hang for minutes on a firewalled host. The user's value wins.
  setenv("DEBUGINFOD_TIMEOUT", "10", /*overwrite=*/0);
  void* library = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    *why = std::string("DEBUGINFOD_URLS is set, but libdebuginfod cannot be loaded (") +
           dlerror() + "); install libdebuginfod1";
    return nullptr;
  }
  auto api = std::make_unique<Api>();
  api->begin = reinterpret_cast<void* (*)()>(dlsym(library, "debuginfod_begin"));
  api->find_debuginfo = reinterpret_cast<int (*)(void*, const unsigned char*, int, char**)>(
      dlsym(library, "debuginfod_find_debuginfo"));
  api->end = reinterpret_cast<void (*)(void*)>(dlsym(library, "debuginfod_end"));
  void* client = api->begin && api->find_debuginfo && api->end ? api->begin() : nullptr;
  if (client == nullptr) {
    *why = "DEBUGINFOD_URLS is set, but libdebuginfod.so.1 gives no client";
    dlclose(library);
    return nullptr;
  }
  std::unique_ptr<DebuginfodClient> c(new DebuginfodClient());
  c->urls_ = urls;
  c->api_ = std::move(api);
  c->client_ = client;
  return c;
}

DebuginfodClient::~DebuginfodClient() {
  api_->end(client_);
  // The library stays loaded: libcurl, which it brought in, has exit-time handlers.
}

Result<std::string> DebuginfodClient::FindDebuginfo(const std::string& id) {
  char* path = nullptr;
  const int fd = api_->find_debuginfo(
      client_, reinterpret_cast<const unsigned char*>(id.c_str()), 0, &path);
  if (fd < 0) return MakeError(std::string(strerror(-fd)) + " at " + urls_);
  close(fd);
  std::string found = path != nullptr ? path : "";
  free(path);
  if (found.empty()) return MakeError("no path from libdebuginfod at " + urls_);
  return found;
}

}  // namespace leaktrack
