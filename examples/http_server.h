// A minimal single-threaded HTTP/1.1 server on 127.0.0.1: one connection at a time, one request
// per connection (Connection: close). Enough for curl and for a deterministic demo: while the
// server is idle no request is half-handled, so a heap dump taken then sees only what persists.
#ifndef LEAKTRACK_EXAMPLES_HTTP_SERVER_H_
#define LEAKTRACK_EXAMPLES_HTTP_SERVER_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "http_message.h"

namespace cron {

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer() = default;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // Binds 127.0.0.1:port (0 = any free port). Returns false with errno set on failure.
  [[nodiscard]] bool Listen(uint16_t port);
  uint16_t port() const { return port_; }

  // Serves requests on the calling thread until stop is true (checked at least every 200 ms).
  void Serve(const std::atomic<bool>& stop, const Handler& handler);

 private:
  void ServeConnection(int fd, const Handler& handler);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_HTTP_SERVER_H_
