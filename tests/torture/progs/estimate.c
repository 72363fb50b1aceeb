/* E1 accounting at the sampling rate: leaks 4000 blocks of 300000 + 24*i bytes (mmap'd, never
 * touched: ~1.39 GB of address space, little RSS). The dump's unbiased in-use estimate for
 * objects of 300000..396000 bytes must be within 10% of the true 1,391,952,000 bytes.
 * Tolerance: with Poisson sampling at a 512 KiB mean each block is sampled with p >= 0.44 and
 * the estimate's relative standard deviation is about 1.6%, so 10% is > 6 sigma (false-failure
 * odds below 1e-9); at rate 1 the estimate is exact. */
#include "torture_util.h"

int main(void) {
  for (int i = 0; i < 4000; i++) TEscape(malloc(300000 + (size_t)i * 24));
  printf("4000 large blocks leaked\n");
  return 0;
}
