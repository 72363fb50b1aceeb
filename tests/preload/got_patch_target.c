// A library for got_patch_test: a call to malloc through the PLT (a JUMP_SLOT), free's address
// taken (a GLOB_DAT; taking malloc's would turn its call into one through the GOT as well), and
// a call to a function the test binary defines. Built several
// times, with BIND_NOW (the GOT in RELRO, read-only) and with lazy binding.
#include <stdlib.h>

void* GotPatchProbe(void);  // defined by got_patch_test (exported from the executable)

void* GotTargetAlloc(size_t n) { return malloc(n); }
void* GotTargetFreeAddress(void) { return (void*)&free; }
void* GotTargetProbe(void) { return GotPatchProbe(); }
