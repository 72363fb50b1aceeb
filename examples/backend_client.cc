// BackendClient, Dial and NewBackendClient; see backend_client.h. Dial and NewBackendClient are
// frames of the demo's leak story (CronHandler -> NewBackendClient -> Dial -> NewBufWriter), so
// they are noinline: the story must read the same in every symbolizer, with or without inline
// frames.
#include "backend_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client_registry.h"

namespace cron {

namespace {

// A wedged backend must not wedge the HTTP server: replies are awaited at most this long.
constexpr int kReplyTimeoutSeconds = 5;

}  // namespace

Conn::~Conn() {
  if (fd >= 0) ::close(fd);
}

BackendClient::BackendClient(std::unique_ptr<Conn> conn) : conn_(std::move(conn)) {}

bool BackendClient::Run(const std::string& job, std::string* reply) {
  return conn_->writer->Write("RUN " + job + "\n") && conn_->writer->Flush() &&
         conn_->reader->ReadLine(reply);
}

void BackendClient::Close() {
  GlobalClientRegistry().Remove(this);
  delete this;
}

std::size_t BackendClient::BufferBytes() const {
  return conn_->writer->capacity() + conn_->reader->capacity();
}

std::size_t BackendClient::ObjectBytes() {
  return sizeof(BackendClient) + sizeof(Conn) + sizeof(BufWriter) + sizeof(BufReader);
}

[[gnu::noinline]] std::unique_ptr<Conn> Dial(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  auto conn = std::make_unique<Conn>();
  conn->fd = fd;  // from here on, conn closes fd on every path

  timeval timeout{kReplyTimeoutSeconds, 0};
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    int saved = errno;
    conn.reset();
    errno = saved;
    return nullptr;
  }
  conn->writer = NewBufWriter(fd);
  conn->reader = NewBufReader(fd);
  return conn;
}

[[gnu::noinline]] BackendClient* NewBackendClient(uint16_t backend_port) {
  std::unique_ptr<Conn> conn = Dial(backend_port);
  if (conn == nullptr) return nullptr;
  auto* client = new BackendClient(std::move(conn));
  GlobalClientRegistry().Add(client);
  return client;
}

}  // namespace cron
