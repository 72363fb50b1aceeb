// E3: C++ operator new/delete semantics. new int; a new_handler that frees a reserve once and
// then throws a custom type, with new of 2^62 bytes; nothrow new of a huge size -> nullptr;
// 100000 alignas(4096) objects created and deleted; sized delete. At rate 1 exactly one live
// object of 4 bytes stays (the leaked `new int`), and 0 of the 4096-aligned ones.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "torture_util.h"

namespace {

struct OutOfMemory {};
void* g_reserve = malloc(1 << 20);
int g_handler_calls = 0;

void Handler() {
  g_handler_calls++;
  if (g_reserve) {
    free(g_reserve);
    g_reserve = nullptr;
    return;
  }
  throw OutOfMemory();
}

struct alignas(4096) Page {
  char bytes[8000];
};

}  // namespace

int main() {
  int* leak = new int(42);
  TEscape(leak);
  std::set_new_handler(Handler);
  try {
    char* huge = new char[size_t{1} << 62];
    TEscape(huge);
    printf("huge new succeeded?\n");
  } catch (const OutOfMemory&) {
    printf("custom exception caught after %d handler calls\n", g_handler_calls);
  }
  std::set_new_handler(nullptr);
  char* nt = new (std::nothrow) char[size_t{1} << 62];
  printf("nothrow huge new: %s\n", nt ? "ptr" : "nullptr");
  try {
    char* huge = new char[size_t{1} << 62];
    TEscape(huge);
  } catch (const std::bad_alloc&) {
    printf("bad_alloc caught\n");
  }
  long misaligned = 0;
  for (int i = 0; i < 100000; i++) {
    Page* p = new Page;
    misaligned += reinterpret_cast<uintptr_t>(p) % 4096 != 0;
    delete p;
  }
  printf("alignas(4096): %ld misaligned\n", misaligned);
  return 0;
}
