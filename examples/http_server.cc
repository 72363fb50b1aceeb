// HttpServer; see http_server.h. Every blocking call retries on EINTR: the profiler's dump signal
// (SIGUSR2) may land on this thread at any moment.
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace cron {

namespace {

constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;
constexpr int kPollMs = 200;
constexpr int kClientTimeoutSeconds = 5;

void WriteAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away; nothing to tell it
    sent += static_cast<std::size_t>(n);
  }
}

// Appends whatever the socket has to *data. False on EOF, error or timeout.
bool ReadSome(int fd, std::string* data) {
  char chunk[8192];
  for (;;) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data->append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

}  // namespace

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool HttpServer::Listen(uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return false;
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      ::listen(listen_fd_, SOMAXCONN) < 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    return false;
  }
  port_ = ntohs(addr.sin_port);
  return true;
}

void HttpServer::Serve(const std::atomic<bool>& stop, const Handler& handler) {
  while (!stop.load(std::memory_order_relaxed)) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, kPollMs);
    if (ready <= 0) continue;  // timeout or EINTR: re-check stop
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        std::fprintf(stderr, "cron_service: accept: %s\n", std::strerror(errno));
        ::usleep(10 * 1000);  // the level-triggered poll would otherwise spin
      }
      continue;
    }
    ServeConnection(fd, handler);
    ::close(fd);
  }
}

void HttpServer::ServeConnection(int fd, const Handler& handler) {
  timeval timeout{kClientTimeoutSeconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  std::string data;
  std::size_t head_end;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kMaxHeadBytes) {
      WriteAll(fd, FormatResponse({413, "text/plain", "request head too large\n"}));
      return;
    }
    if (!ReadSome(fd, &data)) return;
  }
  HttpRequest request;
  std::size_t body_len;
  if (!ParseRequestHead(data.substr(0, head_end + 2), &request) ||
      !ContentLength(request, &body_len)) {
    WriteAll(fd, FormatResponse({400, "text/plain", "malformed HTTP request\n"}));
    return;
  }
  if (body_len > kMaxBodyBytes) {
    WriteAll(fd, FormatResponse({413, "text/plain", "request body too large\n"}));
    return;
  }
  request.body = data.substr(head_end + 4);
  while (request.body.size() < body_len) {
    if (!ReadSome(fd, &request.body)) return;
  }
  request.body.resize(body_len);
  WriteAll(fd, FormatResponse(handler(request)));
}

}  // namespace cron
