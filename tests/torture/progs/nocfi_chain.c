/* G2 (b) helper: a call chain compiled with -fno-asynchronous-unwind-tables -fno-unwind-tables
 * -fomit-frame-pointer, so these frames have neither CFI nor a frame-pointer chain. */
#include <stdlib.h>

void* NoCfiLeaf(size_t n) { return malloc(n); }
void* NoCfiMid(size_t n) { return NoCfiLeaf(n + 1); }
void* NoCfiTop(size_t n) { return NoCfiMid(n + 1); }
