// Backend: an epoll loop answering "RUN <job>" lines; see backend.h.
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace cron {

namespace {

constexpr int kEpollTimeoutMs = 100;  // how quickly Stop() is noticed
constexpr char kReply[] = "OK\n";

}  // namespace

Backend::~Backend() { Stop(); }

bool Backend::Start(uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) < 0) return false;
  thread_ = std::thread(&Backend::Loop, this);
  return true;
}

void Backend::Stop() {
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_relaxed);  // polled by Loop(); join() orders the rest
    thread_.join();
  }
  // Connections still open are not tracked (see backend.h); process exit closes them.
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  epoll_fd_ = listen_fd_ = -1;
}

void Backend::Loop() {
  epoll_event events[64];
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = ::epoll_wait(epoll_fd_, events, 64, kEpollTimeoutMs);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == listen_fd_) {
        AcceptAll();
      } else {
        Answer(events[i].data.fd);
      }
    }
  }
}

void Backend::AcceptAll() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        // Out of fds (too many leaked connections): the peer waits in the backlog and times out.
        // Sleep briefly so the level-triggered listen fd does not spin this thread.
        std::fprintf(stderr, "cron_service: backend: accept: %s\n", std::strerror(errno));
        ::usleep(10 * 1000);
      }
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) < 0) ::close(fd);
  }
}

void Backend::Answer(int fd) {
  // Every request line is "RUN <job>\n" (at least 6 bytes), so one 4 KiB read holds at most 682
  // requests and their replies fit in the 3 KiB reply buffer below.
  char in[4096];
  char out[sizeof(in) / 6 * (sizeof(kReply) - 1) + 1];
  ssize_t n = ::read(fd, in, sizeof(in));
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    ::close(fd);  // EOF or error: the client closed (the --fixed path) or went away
    return;
  }
  std::size_t out_len = 0;
  for (ssize_t i = 0; i < n; ++i) {
    if (in[i] != '\n') continue;
    std::memcpy(out + out_len, kReply, sizeof(kReply) - 1);
    out_len += sizeof(kReply) - 1;
  }
  // Replies are tiny and the client reads each one before sending more, so the socket buffer
  // always has room; a short write could only happen to a client that stopped reading.
  if (out_len > 0 && ::write(fd, out, out_len) < 0 && errno != EAGAIN) ::close(fd);
}

}  // namespace cron
