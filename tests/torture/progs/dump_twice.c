/* I5 with fault injection: the first dump's open() or write() fails with EIO
 * (LEAKTRACK_TEST_FAIL_OPEN=1 / LEAKTRACK_TEST_FAIL_WRITE=1); the program must not notice, no
 * partial or temporary file may stay, and the second dump must succeed. */
#include "torture_util.h"

int main(void) {
  for (int i = 0; i < 1000; i++) TEscape(malloc((size_t)(i % 64) * 100 + 1));
  TTriggerDump();
  TSleepMs(300);
  TTriggerDump();
  if (TShimLoaded()) T_CHECK(TWaitDumps(getenv("LEAKTRACK_DIR"), 1, 3000) >= 1, "no dump");
  TSleepMs(100);
  printf("two dump requests survived\n");
  return 0;
}
