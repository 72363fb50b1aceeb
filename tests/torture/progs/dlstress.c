/* G3: unwinder locks vs loader and allocator locks. 2 threads dlopen/dlclose libraries whose
 * constructors and destructors allocate (under the loader lock); 2 threads allocate with
 * 30-deep stacks; 1 thread loops on dl_iterate_phdr; the shim dumps on an interval and on
 * SIGUSR2 throughout. A deadlock shows up as a watchdog hit with backtraces. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>

#include "torture_util.h"

static atomic_int g_stop;
static const char* g_lib[2];

static void* Cycler(void* arg) {
  long which = (long)arg;
  long n = 0;
  while (!atomic_load(&g_stop)) {
    void* h = dlopen(g_lib[which], RTLD_NOW | RTLD_LOCAL);
    T_CHECK(h != NULL, "dlopen: %s", dlerror());
    void* (*leak)(size_t) = (void* (*)(size_t))dlsym(h, "Leak");
    free(leak(16));
    dlclose(h);
    n++;
  }
  return (void*)n;
}

static int Deep(int d) {
  if (d == 0) {
    void* p = malloc(48);
    TEscape(p);
    free(p);
    return 0;
  }
  return Deep(d - 1) + 1;
}

static void* Allocator(void* arg) {
  (void)arg;
  long n = 0;
  while (!atomic_load(&g_stop)) n += Deep(30) > 0;
  return (void*)n;
}

static int CountPhdr(struct dl_phdr_info* info, size_t size, void* data) {
  (void)info; (void)size;
  (*(long*)data)++;
  return 0;
}

static void* Iterator(void* arg) {
  (void)arg;
  long n = 0, objs = 0;
  while (!atomic_load(&g_stop)) {
    dl_iterate_phdr(CountPhdr, &objs);
    n++;
  }
  return (void*)n;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 3, "usage: dlstress SECONDS liba.so libb.so");
  double seconds = atof(argv[1]);
  g_lib[0] = argv[2];
  g_lib[1] = argv[3];
  pthread_t t[5];
  pthread_create(&t[0], NULL, Cycler, (void*)0);
  pthread_create(&t[1], NULL, Cycler, (void*)1);
  pthread_create(&t[2], NULL, Allocator, NULL);
  pthread_create(&t[3], NULL, Allocator, NULL);
  pthread_create(&t[4], NULL, Iterator, NULL);
  double end = TNowSec() + seconds;
  while (TNowSec() < end) {
    TSleepMs(250);
    TTriggerDump();
  }
  atomic_store(&g_stop, 1);
  int progress = 1;
  for (int i = 0; i < 5; i++) {
    void* r;
    pthread_join(t[i], &r);
    progress &= (long)r > 0;
  }
  printf("all 5 threads made progress: %d\n", progress);
  return 0;
}
