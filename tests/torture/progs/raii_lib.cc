// G1 helper (libraii.so, dlopened by cancel_raii): a thread blocks in read() while holding a
// RAII guard; pthread_cancel must run the guard's destructor (forced unwinding through
// libgcc_s). If libunwind's _Unwind_* exports shadow libgcc_s, the destructor is skipped.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace {

struct Guard {
  ~Guard() {
    void* p = malloc(77);  // allocation during forced unwinding
    free(p);
    printf("guard destructor ran\n");
    fflush(stdout);
  }
};

void* Blocker(void* arg) {
  int fd = *static_cast<int*>(arg);
  Guard g;
  char c;
  for (;;) {
    if (read(fd, &c, 1) <= 0) break;
  }
  return nullptr;
}

}  // namespace

extern "C" int RunCancelRaii() {
  int p[2];
  if (pipe(p) != 0) return 1;
  pthread_t t;
  if (pthread_create(&t, nullptr, Blocker, &p[0]) != 0) return 2;
  usleep(100 * 1000);
  pthread_cancel(t);
  void* r;
  pthread_join(t, &r);
  close(p[0]);
  close(p[1]);
  return r == PTHREAD_CANCELED ? 0 : 3;
}

extern "C" int RunThrowCatch(int n) {
  int caught = 0;
  for (int i = 0; i < n; i++) {
    try {
      if (i >= 0) throw i;  // __cxa_allocate_exception allocates: the shim unwinds mid-throw
    } catch (int v) {
      caught += (v == i);
    }
  }
  return caught;
}
