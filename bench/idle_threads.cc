// A service at rest, for the interval thread's idle cost (bench/lib/idle.sh): N threads blocked
// for good, and a main thread that sleeps for the given seconds and exits. Nothing allocates
// after start-up, so whatever CPU the shim's interval thread uses is what leaktrack costs a
// process that is doing nothing.
//
// Usage: bench_idle_threads THREADS SECONDS
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: bench_idle_threads THREADS SECONDS\n");
    return 2;
  }
  const int threads = atoi(argv[1]);
  const int seconds = atoi(argv[2]);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  for (int i = 0; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, &attr, [](void*) -> void* {
          for (;;) pause();
        }, nullptr) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  sleep(seconds);
  return 0;
}
