/* A3 helper preload (libhostile.so): wraps open/openat/fopen/sigprocmask/pthread_sigmask/
 * localtime_r/pthread_getattr_np; every wrapper mallocs, calls dlsym and frees before calling the
 * real function. If the shim calls any of these on its allocation or dump path while holding a
 * lock, the wrapper's malloc re-enters the shim under that lock (self-deadlock or ABBA). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void Hostile(const char* name) {
  char* p = malloc(128);
  if (p) {
    strncpy(p, name, 127);
    p[127] = 0;
  }
  void* volatile sym = dlsym(RTLD_DEFAULT, "leaktrack_hostile_missing");
  (void)sym;
  free(p);
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = va_arg(ap, int);
  va_end(ap);
  Hostile("open");
  return NEXT(open)(path, flags, mode);
}
int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = va_arg(ap, int);
  va_end(ap);
  Hostile("open64");
  return NEXT(open64)(path, flags, mode);
}
int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = va_arg(ap, int);
  va_end(ap);
  Hostile("openat");
  return NEXT(openat)(dirfd, path, flags, mode);
}
FILE* fopen(const char* path, const char* mode) {
  Hostile("fopen");
  return NEXT(fopen)(path, mode);
}
int sigprocmask(int how, const sigset_t* set, sigset_t* old) {
  Hostile("sigprocmask");
  return NEXT(sigprocmask)(how, set, old);
}
int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) {
  Hostile("pthread_sigmask");
  return NEXT(pthread_sigmask)(how, set, old);
}
struct tm* localtime_r(const time_t* t, struct tm* out) {
  Hostile("localtime_r");
  return NEXT(localtime_r)(t, out);
}
int pthread_getattr_np(pthread_t th, pthread_attr_t* attr) {
  Hostile("pthread_getattr_np");
  return NEXT(pthread_getattr_np)(th, attr);
}
