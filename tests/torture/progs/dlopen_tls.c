/* B2: the static TLS budget when libraries are dlopened.
 * Mode "shim" (dlopen_shim): dlopens three DSOs with initial-exec TLS (they take all but ~300
 * bytes of glibc 2.36's 1664-byte static TLS surplus), then dlopen()s libleaktrack.so (path in
 * argv). In the baseline the shim is not preloaded, so this is a real dlopen that needs the
 * shim's own initial-exec TLS (32 bytes) from what is left; under the shim it returns the
 * preloaded copy. Either way it must give a handle or a clean dlerror, never a crash, and a
 * dlopened shim must stay passive: SIGUSR2 disposition and thread count unchanged by the dlopen,
 * its malloc/free (via dlsym) interchangeable with libc's, and 4 threads that touch every IE
 * block and allocate afterwards work. stdout says "handle" or the dlerror, so a shim whose
 * static TLS no longer fits fails the case (baseline error vs shim handle).
 * Mode "jemalloc" (dlopen_jemalloc): dlopen("libjemalloc.so.2") succeeds with the shim exactly
 * when it succeeds without; if it does, mallocx/dallocx and mallctl("version") work from 4
 * threads. Exit 77 when libjemalloc2 is not installed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>

#include "torture_util.h"

typedef int (*TouchFn)(int);
static TouchFn g_touch[3];
static void* (*g_shim_malloc)(size_t);
static void (*g_shim_free)(void*);
static void* (*g_mallocx)(size_t, int);
static void (*g_dallocx)(void*, int);

static int CountThreads(void) {
  DIR* d = opendir("/proc/self/task");
  T_CHECK(d != NULL, "opendir /proc/self/task: %s", strerror(errno));
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void* Worker(void* arg) {
  long id = (long)arg;
  long bad = 0;
  for (int i = 0; i < 20000; i++) {
    for (int k = 0; k < 3; k++)
      if (g_touch[k] != NULL && g_touch[k]((int)(id + i) & 63) != 2 * ((id + i) & 63) + 1) bad++;
    char* p = malloc(16 + (size_t)(i % 500));
    memset(p, 1, 16);
    if (g_shim_free != NULL) {  /* libc's block through the shim's free, and the reverse */
      g_shim_free(p);
      p = g_shim_malloc(24);
      T_CHECK(p != NULL, "shim malloc");
      memset(p, 2, 24);
    }
    if (g_mallocx != NULL) {
      void* q = g_mallocx(64 + (size_t)(i % 1000), 0);
      T_CHECK(q != NULL, "mallocx");
      memset(q, 3, 64);
      g_dallocx(q, 0);
    }
    free(p);
  }
  return (void*)bad;
}

static long RunWorkers(void) {
  pthread_t t[4];
  long bad = 0;
  for (long i = 0; i < 4; i++)
    T_CHECK(pthread_create(&t[i], NULL, Worker, (void*)i) == 0, "pthread_create");
  for (int i = 0; i < 4; i++) {
    void* r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  return bad;
}

static int Usr2IsDefault(void) {
  struct sigaction sa;
  T_CHECK(sigaction(SIGUSR2, NULL, &sa) == 0, "sigaction");
  return !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
}

static int ModeShim(int argc, char** argv) {
  T_CHECK(argc == 6, "usage: dlopen_tls shim SHIM.so IE1.so IE2.so IE3.so");
  int total = 0;
  for (int k = 0; k < 3; k++) {
    void* h = dlopen(argv[3 + k], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL && strstr(dlerror(), "static TLS") != NULL)
      T_SKIP("this glibc's static TLS surplus cannot hold the three test DSOs");
    T_CHECK(h != NULL, "dlopen %s: %s", argv[3 + k], dlerror());
    g_touch[k] = (TouchFn)dlsym(h, "TouchIeTls");
    int (*bytes)(void) = (int (*)(void))dlsym(h, "IeTlsBytes");
    T_CHECK(g_touch[k] != NULL && bytes != NULL, "dlsym in %s", argv[3 + k]);
    total += bytes();
  }
  printf("three IE-TLS DSOs dlopened: %d bytes of static TLS\n", total);
  int threads = CountThreads();
  int usr2_default = Usr2IsDefault();
  void* shim = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
  if (shim == NULL) {
    /* A clean failure is allowed by the row, but the shim run (already loaded) gets a handle,
     * so this line makes the case fail and names the reason. */
    printf("dlopen(libleaktrack.so): dlerror: %s\n", dlerror());
  } else {
    printf("dlopen(libleaktrack.so): handle\n");
    g_shim_malloc = (void* (*)(size_t))dlsym(shim, "malloc");
    g_shim_free = (void (*)(void*))dlsym(shim, "free");
    const char* (*version)(void) = (const char* (*)(void))dlsym(shim, "leaktrack_version");
    T_CHECK(g_shim_malloc != NULL && g_shim_free != NULL && version != NULL,
            "dlsym malloc/free/leaktrack_version in the shim: %s", dlerror());
    T_CHECK(version() != NULL && version()[0] != '\0', "leaktrack_version() empty");
  }
  printf("dlopen changed the thread count: %s\n", CountThreads() != threads ? "yes" : "no");
  printf("dlopen changed SIGUSR2: %s\n", Usr2IsDefault() != usr2_default ? "yes" : "no");
  printf("4 threads after the dlopen: %ld bad IE-TLS reads\n", RunWorkers());
  return 0;
}

static int ModeJemalloc(void) {
  void* h = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char* err = dlerror();
    if (strstr(err, "No such file") != NULL) T_SKIP("libjemalloc2 is not installed (%s)", err);
    printf("dlopen(libjemalloc.so.2): dlerror: %s\n", err);
    return 0;
  }
  printf("dlopen(libjemalloc.so.2): handle\n");
  g_mallocx = (void* (*)(size_t, int))dlsym(h, "mallocx");
  g_dallocx = (void (*)(void*, int))dlsym(h, "dallocx");
  int (*mallctl)(const char*, void*, size_t*, void*, size_t) =
      (int (*)(const char*, void*, size_t*, void*, size_t))dlsym(h, "mallctl");
  T_CHECK(g_mallocx != NULL && g_dallocx != NULL && mallctl != NULL, "dlsym jemalloc API");
  const char* version = NULL;
  size_t len = sizeof version;
  T_CHECK(mallctl("version", &version, &len, NULL, 0) == 0, "mallctl version");
  printf("jemalloc version %s\n", version);
  printf("4 threads using mallocx/dallocx and malloc/free: %ld errors\n", RunWorkers());
  return 0;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: dlopen_tls shim|jemalloc ...");
  if (strcmp(argv[1], "shim") == 0) return ModeShim(argc, argv);
  if (strcmp(argv[1], "jemalloc") == 0) return ModeJemalloc();
  T_CHECK(0, "unknown mode %s", argv[1]);
  return 2;
}
