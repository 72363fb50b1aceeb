// Debug files from debuginfod servers: those DEBUGINFOD_URLS names, as for gdb and elfutils.
//
// A production host rarely has its binaries' debug packages installed, and Debian's binaries are
// stripped; distributions (debuginfod.debian.net, ...) and build farms serve the debug files by
// build ID instead. libdebuginfod (Debian: libdebuginfod1) is loaded with dlopen, and only when
// DEBUGINFOD_URLS is set: leaktrack neither links it nor needs it otherwise. It keeps what it
// fetched in its cache (DEBUGINFOD_CACHE_PATH, else ~/.cache/debuginfod_client), where later
// lookups find it without the network. A server that does not answer is given up after
// DEBUGINFOD_TIMEOUT seconds: 10 unless set (libdebuginfod's own default is 90, per file).
// Not thread-safe: one client per SymbolCache.
#ifndef LEAKTRACK_SYMBOLIZER_DEBUGINFOD_CLIENT_H_
#define LEAKTRACK_SYMBOLIZER_DEBUGINFOD_CLIENT_H_

#include <memory>
#include <string>

#include "symbolizer/result.h"

namespace leaktrack {

class DebuginfodClient {
 public:
  // A client of the servers in DEBUGINFOD_URLS, or nullptr when the variable is unset or empty,
  // or libdebuginfod.so.1 cannot be loaded (then *why says so; it stays "" when unset).
  static std::unique_ptr<DebuginfodClient> FromEnvironment(std::string* why);
  ~DebuginfodClient();
  DebuginfodClient(const DebuginfodClient&) = delete;
  DebuginfodClient& operator=(const DebuginfodClient&) = delete;

  // The path, in the client's cache, of the debug file of build ID `id` (lowercase hex), fetched
  // if need be. The error names the servers and why, e.g. "not found".
  Result<std::string> FindDebuginfo(const std::string& id);

 private:
  struct Api;
  DebuginfodClient() = default;
  std::string urls_;  // for messages
  std::unique_ptr<Api> api_;
  void* client_ = nullptr;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_DEBUGINFOD_CLIENT_H_
