// Routes of the demo service; see cron_handler.h.
#include "cron_handler.h"

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "backend_client.h"
#include "client_registry.h"

namespace cron {

namespace {

uint64_t g_requests = 0;  // served POST /v0/cron requests; only the server thread touches it

// "jobs=backup,rotate-logs" -> {"backup", "rotate-logs"}. Repeated "jobs" fields add up.
std::vector<std::string> ParseJobs(const std::string& body) {
  std::vector<std::string> jobs;
  for (const auto& [key, value] : ParseForm(body)) {
    if (key != "jobs") continue;
    std::istringstream list(value);
    std::string job;
    while (std::getline(list, job, ',')) {
      if (!job.empty() && job.find_first_of(" \r\n") == std::string::npos) jobs.push_back(job);
    }
  }
  return jobs;
}

HttpResponse DebugLeaked(const CronConfig& config) {
  // Between requests (the only time this single-threaded server answers) every open client is
  // one that a finished request forgot to close, so "open" here means "leaked".
  RegistryStats stats = GlobalClientRegistry().Stats();
  std::ostringstream out;
  out << "leaked_clients " << stats.open_clients << "\n"
      << "leaked_buffer_bytes " << stats.buffer_bytes << "\n"
      << "leaked_object_bytes " << stats.object_bytes << "\n"
      << "requests " << g_requests << "\n"
      << "mode " << (config.fixed ? "fixed" : "leaky") << "\n";
  return {200, "text/plain; charset=utf-8", out.str()};
}

}  // namespace

[[gnu::noinline]] HttpResponse CronHandler(const CronConfig& config, const HttpRequest& request) {
  std::vector<std::string> jobs = ParseJobs(request.body);
  if (jobs.empty()) return {400, "text/plain", "no jobs: send a body like jobs=backup,report\n"};
  ++g_requests;

  BackendClient* client = NewBackendClient(config.backend_port);
  if (client == nullptr) {
    return {503, "text/plain", std::string("cannot reach backend: ") + std::strerror(errno) + "\n"};
  }
  HttpResponse response;
  std::string reply;
  for (const std::string& job : jobs) {
    if (!client->Run(job, &reply)) {
      response = {502, "text/plain", "backend failed on job " + job + "\n"};
      break;
    }
    response.body += job + ": " + reply + "\n";
  }
  // The bug under hunt. Like the Go service that made a gRPC client per request and never closed
  // it, the leaky build drops the client here: its socket and both 32 KiB buffers stay alive in
  // the client registry for good. The fix is this one Close().
  if (config.fixed) client->Close();
  return response;
}

HttpResponse HandleRequest(const CronConfig& config, const HttpRequest& request) {
  if (request.path == "/v0/cron") {
    if (request.method != "POST") return {405, "text/plain", "use POST\n"};
    return CronHandler(config, request);
  }
  if (request.path == "/debug/leaked" && request.method == "GET") return DebugLeaked(config);
  if (request.path == "/healthz" && request.method == "GET") return {200, "text/plain", "ok\n"};
  return {404, "text/plain", "not found: try POST /v0/cron or GET /debug/leaked\n"};
}

}  // namespace cron
