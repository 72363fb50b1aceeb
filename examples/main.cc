// cron_service: the leak-hunt demo's patient. A loopback HTTP service whose POST /v0/cron handler
// makes a backend client per request and, unless --fixed, never closes it. See cron_handler.h for
// the routes and examples/run_demo.sh for the hunt.
//
// This file owns the command line, the fd limit and the process lifecycle. It installs handlers
// only for SIGINT/SIGTERM, never for SIGUSR2: that signal belongs to the heap profiler.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend.h"
#include "cron_handler.h"
#include "http_server.h"

namespace {

constexpr char kUsage[] =
    "usage: cron_service [--port N] [--fixed]\n"
    "  --port N   HTTP port on 127.0.0.1 (default 8080; 0 = any free port, printed at start)\n"
    "  --fixed    close each backend client after its request (without it, clients leak)\n";

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true, std::memory_order_relaxed); }

bool ParsePort(const char* text, uint16_t* port) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

// Each leaked client holds two fds (its socket and the backend's end). The default soft limit
// (often 1024) would run out near 500 leaked clients, so take everything the hard limit allows.
rlim_t RaiseFdLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 8080;
  cron::CronConfig config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--fixed") {
      config.fixed = true;
    } else if (arg == "--port" && i + 1 < argc) {
      if (!ParsePort(argv[++i], &port)) {
        std::fprintf(stderr, "cron_service: bad --port '%s': want 0..65535\n", argv[i]);
        return 2;
      }
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "cron_service: unknown argument '%s' (try --help)\n", arg.c_str());
      return 2;
    }
  }

  rlim_t fd_limit = RaiseFdLimit();
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  cron::Backend backend;
  if (!backend.Start(0)) {
    std::fprintf(stderr, "cron_service: cannot start backend: %s\n", std::strerror(errno));
    return 1;
  }
  config.backend_port = backend.port();
  cron::HttpServer server;
  if (!server.Listen(port)) {
    std::fprintf(stderr, "cron_service: cannot listen on 127.0.0.1:%u: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  // One line a script can wait for and parse: pid, port, mode. The room estimate keeps a few
  // dozen fds for stdio, listeners, the request in flight and the profiler.
  std::fprintf(stderr,
               "cron_service: pid %d listening on http://127.0.0.1:%u (backend 127.0.0.1:%u, "
               "mode %s, fd limit %llu: room for ~%llu leaked clients)\n",
               static_cast<int>(::getpid()), server.port(), backend.port(),
               config.fixed ? "fixed" : "leaky", static_cast<unsigned long long>(fd_limit),
               static_cast<unsigned long long>(fd_limit > 32 ? (fd_limit - 32) / 2 : 0));

  server.Serve(g_stop, [&config](const cron::HttpRequest& request) {
    return cron::HandleRequest(config, request);
  });
  backend.Stop();
  std::fprintf(stderr, "cron_service: stopped\n");
  return 0;
}
