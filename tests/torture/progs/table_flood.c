/* E5: more live sampled allocations than the live table holds (LEAKTRACK_MAX_LIVE=4096 with
 * 100000 live 16-byte blocks at rate 1): no crash or hang, the dump counts dropped samples; after
 * freeing everything the table accepts new entries again (40 blocks of 9001 bytes leaked at the
 * end are in the at-exit dump), and churn keeps working. */
#include "torture_util.h"

int main(void) {
  enum { kN = 100000 };
  static void* blocks[kN];
  for (int i = 0; i < kN; i++) blocks[i] = malloc(16);
  TTriggerDump();
  TSleepMs(200);
  for (int i = 0; i < kN; i++) free(blocks[i]);
  double end = TNowSec() + 1.0;
  long churn = 0;
  while (TNowSec() < end) {
    free(malloc((size_t)(churn % 1000) + 1));
    churn++;
  }
  for (int i = 0; i < 40; i++) TEscape(malloc(9001));
  printf("flooded, freed, churned\n");
  return 0;
}
