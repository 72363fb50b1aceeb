// Target for attach_test: started without the shim, attached to while it works hard.
//
// Four workers allocate and free nonstop (malloc/free, new/delete, realloc, cross-thread frees
// through a shared ring), writing a pattern into every block and checking it before the free:
// an attach that handed a block to the wrong heap, or corrupted one, ends in a crash or a
// failed check. busy_leak() keeps 4 KiB every 2 ms. The main thread waits in read() on stdin,
// where the attach stops it. A line "load PATH" makes it dlopen PATH and call its plugin_leak()
// next to busy_leak() from then on; a line "go" makes it check that read() left errno
// untouched, stop the workers and exit 0. argv[1]: a file to write "ready" into once running.
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace {

std::atomic<bool> g_stop{false};
std::atomic<long> g_bad{0};
constexpr int kRing = 1024;
std::atomic<unsigned char*> g_ring[kRing];  // blocks handed from one worker to another

unsigned char* Fill(unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = static_cast<unsigned char>(n + i);
  return p;
}
void Check(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != static_cast<unsigned char>(n + i)) {
      g_bad++;
      return;
    }
}

void* Worker(void* arg) {
  uint64_t x = reinterpret_cast<uintptr_t>(arg) * 2654435761u + 1;
  while (!g_stop.load(std::memory_order_relaxed)) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const size_t n = 16 + (x % 8 == 0 ? x % 65536 : x % 512);
    switch (x % 4) {
      case 0: {  // malloc/free
        unsigned char* p = Fill(static_cast<unsigned char*>(malloc(n)), n);
        Check(p, n);
        free(p);
        break;
      }
      case 1: {  // new[]/delete[]
        unsigned char* p = Fill(new unsigned char[n], n);
        Check(p, n);
        delete[] p;
        break;
      }
      case 2: {  // realloc growth
        unsigned char* p = Fill(static_cast<unsigned char*>(malloc(n)), n);
        p = static_cast<unsigned char*>(realloc(p, 2 * n));
        Check(p, n);
        free(p);
        break;
      }
      default: {  // hand a block to whichever worker comes next: a cross-thread free
        // Its length first (n >= 16), the pattern after.
        unsigned char* p = static_cast<unsigned char*>(malloc(n));
        memcpy(p, &n, sizeof(n));
        Fill(p + sizeof(n), n - sizeof(n));
        unsigned char* old = g_ring[x % kRing].exchange(p);
        if (old != nullptr) {
          size_t old_n;
          memcpy(&old_n, old, sizeof(old_n));
          Check(old + sizeof(old_n), old_n - sizeof(old_n));
          free(old);
        }
      }
    }
  }
  return nullptr;
}

unsigned char* volatile g_sink;
std::atomic<void (*)()> g_plugin_leak{nullptr};

__attribute__((noinline)) void busy_leak() { g_sink = Fill(new unsigned char[4096], 4096); }

void* Leaker(void*) {
  while (!g_stop.load(std::memory_order_relaxed)) {
    busy_leak();
    if (void (*plugin)() = g_plugin_leak.load()) plugin();
    usleep(2000);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  pthread_t threads[5];
  for (int i = 0; i < 4; i++)
    pthread_create(&threads[i], nullptr, Worker, reinterpret_cast<void*>(uintptr_t{i + 1u}));
  pthread_create(&threads[4], nullptr, Leaker, nullptr);
  if (argc > 1) {
    FILE* f = fopen(argv[1], "w");
    if (f != nullptr) fputs("ready\n", f), fclose(f);
  }
  char line[512];
  ssize_t n;
  int err;
  for (;;) {
    errno = 1234;  // read() succeeds and leaves errno alone: what attach changed would show
    n = read(0, line, sizeof(line) - 1);
    err = errno;
    if (n <= 5 || strncmp(line, "load ", 5) != 0) break;
    line[n - 1] = '\0';
    void* plugin = dlopen(line + 5, RTLD_NOW);
    if (plugin == nullptr) return fprintf(stderr, "%s\n", dlerror()), 5;
    g_plugin_leak = reinterpret_cast<void (*)()>(dlsym(plugin, "plugin_leak"));
  }
  g_stop = true;
  for (pthread_t t : threads) pthread_join(t, nullptr);
  for (std::atomic<unsigned char*>& slot : g_ring) free(slot.load());
  if (n <= 0 || strncmp(line, "go\n", 3) != 0) return fprintf(stderr, "read %zd\n", n), 2;
  if (err != 1234) return fprintf(stderr, "errno changed to %d\n", err), 3;
  if (g_bad != 0) return fprintf(stderr, "%ld corrupted blocks\n", g_bad.load()), 4;
  puts("done");
  return 0;
}
