// The client the cron handler uses to reach the backend: one TCP connection with its own read and
// write buffers, in the image of a gRPC ClientConn.
//
// Ownership is the point of the demo. A client, once made by NewBackendClient, is owned by the
// process-wide client registry (client_registry.h), the way a gRPC connection stays referenced by
// its transport goroutines: dropping the pointer does NOT free it, only Close() does. Forgetting
// Close() therefore leaks a socket and kConnBufferBytes * 2 of heap that every pointer-reachability
// leak checker calls "still reachable" and that only a heap profile attributes to a call site.
// Not thread-safe: one client is used by one thread at a time.
#ifndef LEAKTRACK_EXAMPLES_BACKEND_CLIENT_H_
#define LEAKTRACK_EXAMPLES_BACKEND_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "buf_io.h"

namespace cron {

// A connected socket with its buffers. Closes the socket when destroyed.
struct Conn {
  int fd = -1;
  std::unique_ptr<BufWriter> writer;
  std::unique_ptr<BufReader> reader;
  ~Conn();
};

class BackendClient {
 public:
  explicit BackendClient(std::unique_ptr<Conn> conn);
  BackendClient(const BackendClient&) = delete;
  BackendClient& operator=(const BackendClient&) = delete;

  // Sends one "RUN <job>" request and waits (at most the socket timeout) for its reply line.
  // Returns false on a connection error or timeout.
  [[nodiscard]] bool Run(const std::string& job, std::string* reply);

  // Closes the connection, removes the client from the registry and frees it. The pointer is
  // invalid afterwards.
  void Close();

  // Heap held by this client's connection buffers, and by the client's own objects.
  std::size_t BufferBytes() const;
  static std::size_t ObjectBytes();

 private:
  friend class ClientRegistry;  // owns the intrusive list links below
  ~BackendClient() = default;

  std::unique_ptr<Conn> conn_;
  BackendClient* prev_ = nullptr;
  BackendClient* next_ = nullptr;
};

// Connects to 127.0.0.1:port and wraps the socket in NewBufWriter/NewBufReader. Returns nullptr
// with errno set when the socket cannot be opened or connected (EMFILE once fds run out).
std::unique_ptr<Conn> Dial(uint16_t port);

// Dials the backend and registers the new client. Returns nullptr with errno set on failure.
// The caller must Close() the client; see the file comment.
BackendClient* NewBackendClient(uint16_t backend_port);

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_BACKEND_CLIENT_H_
