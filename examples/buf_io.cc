// Buffered socket I/O for the demo service; see buf_io.h. The two New* functions are the
// allocation sites the demo's profile must point at, so they are kept as real frames
// (noinline) and the example is built without sibling-call optimisation (examples/CMakeLists.txt).
#include "buf_io.h"

#include <errno.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace cron {

void FreeDeleter::operator()(char* p) const { std::free(p); }

// Both constructors zero their buffer, as Go's make([]byte) does. That touches every page, so a
// leak of these buffers also shows in the process's RSS, as it does in production.
BufWriter::BufWriter(int fd, BufferPtr buffer, std::size_t capacity)
    : fd_(fd), buffer_(std::move(buffer)), capacity_(capacity) {
  std::memset(buffer_.get(), 0, capacity_);
}

bool BufWriter::Write(const std::string& data) {
  if (used_ + data.size() > capacity_ && !Flush()) return false;
  if (data.size() > capacity_) {
    // Bigger than the whole buffer: send it directly, like bufio.Writer does.
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::write(fd_, data.data() + sent, data.size() - sent);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  std::memcpy(buffer_.get() + used_, data.data(), data.size());
  used_ += data.size();
  return true;
}

bool BufWriter::Flush() {
  std::size_t sent = 0;
  while (sent < used_) {
    ssize_t n = ::write(fd_, buffer_.get() + sent, used_ - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  used_ = 0;
  return true;
}

BufReader::BufReader(int fd, BufferPtr buffer, std::size_t capacity)
    : fd_(fd), buffer_(std::move(buffer)), capacity_(capacity) {
  std::memset(buffer_.get(), 0, capacity_);
}

bool BufReader::ReadLine(std::string* line) {
  for (;;) {
    char* start = buffer_.get() + begin_;
    if (void* nl = std::memchr(start, '\n', end_ - begin_)) {
      std::size_t len = static_cast<char*>(nl) - start;
      line->assign(start, len);
      begin_ += len + 1;
      return true;
    }
    if (begin_ > 0) {  // compact before reading more
      std::memmove(buffer_.get(), start, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == capacity_) return false;  // line longer than the buffer
    ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    end_ += static_cast<std::size_t>(n);
  }
}

// malloc is called right here, not in a shared helper: an inlined helper would become the leaf
// frame of the profile (symbolizers report inline frames) and hide which buffer leaked.
[[gnu::noinline]] std::unique_ptr<BufWriter> NewBufWriter(int fd) {
  BufferPtr buffer(static_cast<char*>(std::malloc(kConnBufferBytes)));
  if (buffer == nullptr) throw std::bad_alloc();
  return std::make_unique<BufWriter>(fd, std::move(buffer), kConnBufferBytes);
}

[[gnu::noinline]] std::unique_ptr<BufReader> NewBufReader(int fd) {
  BufferPtr buffer(static_cast<char*>(std::malloc(kConnBufferBytes)));
  if (buffer == nullptr) throw std::bad_alloc();
  return std::make_unique<BufReader>(fd, std::move(buffer), kConnBufferBytes);
}

}  // namespace cron
