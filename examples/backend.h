// The backend the cron service calls: a loopback TCP server on its own thread that answers every
// "RUN <job>" line with "OK". It stands in for the remote gRPC service of the Go story.
//
// It must never allocate per connection: connections that the cron handler leaks stay open here
// too, and any heap they held on this side would blur the demo's picture of the client-side leak.
// So it keeps no per-connection state at all (epoll carries the fd) and reads into a stack buffer.
#ifndef LEAKTRACK_EXAMPLES_BACKEND_H_
#define LEAKTRACK_EXAMPLES_BACKEND_H_

#include <atomic>
#include <cstdint>
#include <thread>

namespace cron {

class Backend {
 public:
  Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;
  ~Backend();

  // Listens on 127.0.0.1 (port 0 = any free port) and starts the serving thread. Returns false
  // with errno set if the socket cannot be set up.
  [[nodiscard]] bool Start(uint16_t port);
  // Stops the thread and closes every connection. Idempotent.
  void Stop();

  uint16_t port() const { return port_; }

 private:
  void Loop();
  void AcceptAll();
  void Answer(int fd);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_BACKEND_H_
