/* Target for attach_test: its one waiting thread has a 32 KiB stack (too small to run dlopen in
 * safely, by attach's margin) and blocks in read() on stdin; the main thread spins. Nothing in
 * it may be stopped, so `leaktrack attach` must give up and leave it running. Spins for at most
 * 30 s. argv[1]: a file to write "ready" into once the thread waits. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void* Reader(void* arg) {
  (void)arg;
  char c;
  return (void*)(long)read(0, &c, 1);
}

int main(int argc, char** argv) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 32 * 1024);
  pthread_t t;
  if (pthread_create(&t, &attr, Reader, NULL) != 0) return 2;
  usleep(100 * 1000);
  if (argc > 1) {
    FILE* f = fopen(argv[1], "w");
    if (f) fputs("ready\n", f), fclose(f);
  }
  const time_t end = time(NULL) + 30;
  volatile unsigned long spins = 0;
  while (time(NULL) < end) spins++;
  return 0;
}
