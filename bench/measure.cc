// bench_measure: runs one command and records its wall time and peak RSS, the two numbers
// bench/run.sh needs for programs that do not report them themselves (the compile workload).
//
// Usage: bench_measure --out FILE -- COMMAND [ARGS...]
// FILE gets "wall_seconds <s>", "cpu_seconds <s>" (user + system) and "maxrss_kib <kib>" lines. The peak RSS is the one wait4()
// reports for the child, which on Linux is the largest of the child and the descendants it
// waited for (so a wrapper script such as heaptrack's counts its helper processes too). The exit
// status is the command's own; a command killed by a signal gives 128 + signal.
// It owns nothing else and must not touch the command's environment or standard streams.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace leaktrack {
namespace {

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int Main(int argc, char** argv) {
  if (argc < 5 || strcmp(argv[1], "--out") != 0 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "bench_measure: usage: bench_measure --out FILE -- COMMAND [ARGS...]\n");
    return 2;
  }
  const char* out_path = argv[2];
  double start = Now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("bench_measure: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[4], argv + 4);
    fprintf(stderr, "bench_measure: cannot run '%s': %s\n", argv[4], strerror(errno));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) != pid) {
    perror("bench_measure: wait4");
    return 2;
  }
  double wall = Now() - start;
  FILE* out = fopen(out_path, "w");
  if (out == nullptr) {
    fprintf(stderr, "bench_measure: cannot write '%s': %s\n", out_path, strerror(errno));
    return 2;
  }
  const double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                     (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  fprintf(out, "wall_seconds %.6f\ncpu_seconds %.4f\nmaxrss_kib %ld\n", wall, cpu, ru.ru_maxrss);
  fclose(out);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace
}  // namespace leaktrack

int main(int argc, char** argv) { return leaktrack::Main(argc, argv); }
