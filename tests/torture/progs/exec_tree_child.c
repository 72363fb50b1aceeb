/* C3 helper (exec_tree_child, and exec_tree_child_static built with -static): one child of the
 * exec_tree program. It reports on stdout, as one line, whether libleaktrack.so and
 * libexec_mark.so are mapped (/proc/self/maps) and named in its LD_PRELOAD, after a small
 * allocation workload whose checksum it also prints:
 *   REPORT <tag> static=S shim_mapped=M shim_in_env=E mark_mapped=M mark_in_env=E work=N
 * exec_tree checks the report and prints only the run-independent part of it. */
#include "torture_util.h"

static int Mapped(const char* name) {
  FILE* f = fopen("/proc/self/maps", "r");
  T_CHECK(f != NULL, "fopen /proc/self/maps: %s", strerror(errno));
  char line[4096];
  int found = 0;
  while (fgets(line, sizeof line, f) != NULL) found |= strstr(line, name) != NULL;
  fclose(f);
  return found;
}

static int InEnv(const char* name) {
  const char* p = getenv("LD_PRELOAD");
  return p != NULL && strstr(p, name) != NULL;
}

int main(int argc, char** argv) {
  T_CHECK(argc == 2, "usage: exec_tree_child TAG");
  long work = 0;
  for (int i = 0; i < 2000; i++) {
    char* p = malloc(32 + (size_t)i);
    memset(p, i & 0x7f, 32 + (size_t)i);
    work += p[i];
    free(p);
  }
#ifdef EXEC_TREE_STATIC
  int is_static = 1;
#else
  int is_static = 0;
#endif
  printf("REPORT %s static=%d shim_mapped=%d shim_in_env=%d mark_mapped=%d mark_in_env=%d "
         "work=%ld\n", argv[1], is_static, Mapped("libleaktrack"), InEnv("libleaktrack"),
         Mapped("libexec_mark"), InEnv("libexec_mark"), work);
  return 0;
}
