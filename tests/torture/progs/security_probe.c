/* Security probe (run by security.sh). Modes:
 *   maps      prints whether libleaktrack is mapped and the real/effective uid, then asks for a
 *             dump if it is mapped (secure-execution check: as a setuid copy run by nobody)
 *   sockets   allocates, dumps twice, then prints how many sockets the process holds (the
 *             shim must never open a socket, let alone a listener)
 *   occupied  a regular file already sits at leaktrack.<pid>.<0..31>.pb.gz: dumping must not
 *             overwrite or truncate it
 *   secure    the shim installed through /etc/ld.so.preload (secure_preload.sh): prints what a
 *             passive shim must leave as it was. Lines starting "shim " depend on the shim being
 *             there; every other line must be the same with and without it. Asks for a dump
 *             (signal, leaktrack_dump) only where the shim took the signal / exports the API */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "torture_util.h"

static int ShimMapped(void) {
  FILE* f = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) found |= strstr(line, "libleaktrack") != NULL;
  if (f) fclose(f);
  return found;
}

static int CountSockets(void) {
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  int n = 0;
  while ((e = readdir(d)) != NULL) {
    char path[300], target[300];
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    ssize_t len = readlink(path, target, sizeof target - 1);
    if (len > 0) {
      target[len] = 0;
      n += strncmp(target, "socket:", 7) == 0;
    }
  }
  closedir(d);
  return n;
}

static int CountThreads(void) {
  DIR* d = opendir("/proc/self/task");
  struct dirent* e;
  int n = 0;
  while (d != NULL && (e = readdir(d)) != NULL) n += e->d_name[0] != '.';
  if (d != NULL) closedir(d);
  return n;
}

static int Secure(void) {
  setvbuf(stdout, NULL, _IONBF, 0);  // a dump signal that kills us must not lose lines
  printf("shim mapped=%d\n", ShimMapped());
  printf("ids uid=%d euid=%d gid=%d egid=%d at_secure=%lu\n", (int)getuid(), (int)geteuid(),
         (int)getgid(), (int)getegid(), getauxval(AT_SECURE));
  // ld.so strips only its own list of unsafe variables in secure mode: LEAKTRACK_* stay
  // visible, so a shim that read them would find them.
  printf("env LEAKTRACK_DIR=%s LD_PRELOAD=%s\n", getenv("LEAKTRACK_DIR") ? "set" : "unset",
         getenv("LD_PRELOAD") ? "set" : "unset");
  struct sigaction old;
  T_CHECK(sigaction(SIGUSR2, NULL, &old) == 0, "sigaction");
  const int handled = (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL;
  printf("SIGUSR2 handler=%s\n", handled ? "installed" : "default");
  printf("threads=%d\n", CountThreads());
  int (*api)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "leaktrack_dump");
  if (api != NULL) printf("shim leaktrack_dump()=%d\n", api());
  if (handled) {
    printf("shim SIGUSR2 sent\n");
    kill(getpid(), SIGUSR2);
  }
  for (int i = 0; i < 2000; i++) TEscape(malloc((size_t)(i % 100) * 64 + 1));
  TSleepMs(300);
  return 0;
}

int main(int argc, char** argv) {
  T_CHECK(argc > 1, "usage: security_probe maps|sockets|occupied|secure");
  if (strcmp(argv[1], "secure") == 0) return Secure();
  for (int i = 0; i < 2000; i++) TEscape(malloc((size_t)(i % 100) * 64 + 1));
  if (strcmp(argv[1], "maps") == 0) {
    int mapped = ShimMapped();
    printf("shim mapped=%d uid=%d euid=%d\n", mapped, (int)getuid(), (int)geteuid());
    if (mapped) kill(getpid(), SIGUSR2);
    TSleepMs(300);
    return 0;
  }
  if (strcmp(argv[1], "sockets") == 0) {
    TTriggerDump();
    TSleepMs(300);
    TTriggerDump();
    TSleepMs(300);
    printf("sockets held: %d\n", CountSockets());
    return 0;
  }
  const char* dir = getenv("LEAKTRACK_DIR");
  T_CHECK(dir != NULL, "LEAKTRACK_DIR");
  for (int seq = 0; seq < 32; seq++) {
    char name[4200];
    snprintf(name, sizeof name, "%s/leaktrack.%d.%d.pb.gz", dir, (int)getpid(), seq);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    T_CHECK(fd >= 0, "create %s", name);
    T_CHECK(write(fd, "precious\n", 9) == 9, "write");
    close(fd);
  }
  TTriggerDump();
  TSleepMs(500);
  int intact = 1;
  for (int seq = 0; seq < 32; seq++) {
    char name[4200], buf[32] = {0};
    snprintf(name, sizeof name, "%s/leaktrack.%d.%d.pb.gz", dir, (int)getpid(), seq);
    int fd = open(name, O_RDONLY);
    intact &= fd >= 0 && read(fd, buf, sizeof buf) == 9 && strcmp(buf, "precious\n") == 0;
    if (fd >= 0) close(fd);
    unlink(name);
  }
  printf("pre-existing files intact: %d\n", intact);
  return 0;
}
