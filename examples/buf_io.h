// Buffered reader and writer over a socket: the connection buffers of the demo service.
//
// This file owns the two big per-connection allocations that the leak-hunt demo is about:
// every BufWriter and BufReader holds kConnBufferBytes of heap, allocated in NewBufWriter and
// NewBufReader. They play the part of gRPC's transport.newBufWriter in the Go story. The buffers
// are allocated with malloc (not new[]) so that the allocation site a heap profiler sees is
// NewBufWriter/NewBufReader itself, whether or not the profiler also interposes operator new.
// Nothing here closes the socket: the fd belongs to the Conn that owns these objects.
#ifndef LEAKTRACK_EXAMPLES_BUF_IO_H_
#define LEAKTRACK_EXAMPLES_BUF_IO_H_

#include <cstddef>
#include <memory>
#include <string>

namespace cron {

// 32 KiB each, as in gRPC's default write buffer: 500 leaked clients hold 500 * 64 KiB = 31.25 MiB;
// at the default 512 KiB sampling rate that is about 61 expected samples, far above the noise.
inline constexpr std::size_t kConnBufferBytes = 32 * 1024;

struct FreeDeleter {
  void operator()(char* p) const;
};
using BufferPtr = std::unique_ptr<char[], FreeDeleter>;

// Collects writes in a buffer and sends them on Flush. Not thread-safe.
class BufWriter {
 public:
  BufWriter(int fd, BufferPtr buffer, std::size_t capacity);
  // Appends data, flushing first if it does not fit. Returns false on a socket error.
  [[nodiscard]] bool Write(const std::string& data);
  // Sends everything buffered. Returns false on a socket error (errno is kept).
  [[nodiscard]] bool Flush();
  std::size_t capacity() const { return capacity_; }

 private:
  int fd_;
  BufferPtr buffer_;
  std::size_t capacity_;
  std::size_t used_ = 0;
};

// Reads a socket through a buffer, a line at a time. Not thread-safe.
class BufReader {
 public:
  BufReader(int fd, BufferPtr buffer, std::size_t capacity);
  // Reads up to and excluding the next '\n'. Returns false on EOF, error, timeout or a line
  // longer than the buffer.
  [[nodiscard]] bool ReadLine(std::string* line);
  std::size_t capacity() const { return capacity_; }

 private:
  int fd_;
  BufferPtr buffer_;
  std::size_t capacity_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last byte read from the socket
};

// Allocate a writer/reader with a kConnBufferBytes buffer for fd. They abort on out-of-memory,
// like operator new would.
std::unique_ptr<BufWriter> NewBufWriter(int fd);
std::unique_ptr<BufReader> NewBufReader(int fd);

}  // namespace cron

#endif  // LEAKTRACK_EXAMPLES_BUF_IO_H_
