// The HTTP routes of the demo service, including the bug under hunt.
//
//   POST /v0/cron      body "jobs=a,b,c": runs each job on the backend through a new BackendClient.
//                      Without --fixed the handler forgets to Close() that client: the leak.
//   GET  /debug/leaked the service's own truth: how many clients are still open and the exact
//                      heap their buffers and objects hold (text, one "key value" per line).
//   GET  /healthz      "ok".
// Handlers run on the HTTP server's single thread.
#ifndef LEAKTRACK_EXAMPLES_CRON_HANDLER_H_
#define LEAKTRACK_EXAMPLES_CRON_HANDLER_H_

#include <cstdint>

#include "http_message.h"

namespace cron {

struct CronConfig {
  uint16_t backend_port = 0;
  bool fixed = false;  // --fixed: close each client when the request is done
};

// Routes one request.
HttpResponse HandleRequest(const CronConfig& config, const HttpRequest& request);

// POST /v0/cron. A separate, non-inlined frame so that the profile names the handler.
HttpResponse CronHandler(const CronConfig& config, const HttpRequest& request);

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_CRON_HANDLER_H_
