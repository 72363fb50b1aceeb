// Byte-based sampling: which allocations get their stack recorded.
//
// Each thread counts down a gap drawn from an exponential distribution with mean `rate` bytes
// (Go's MemProfileRate, jemalloc's lg_prof_sample, tcmalloc's sampler). An allocation of s bytes
// that does not fit in the remaining gap is sampled and a fresh gap is drawn. Because the
// exponential distribution is memoryless, every allocation is then sampled independently with
//     p(s) = 1 - exp(-s / rate),
// which is what the dump's unbiasing divides by (PPROF.md §5). rate == 1 samples everything;
// rate == 0 samples nothing. The fast path is one subtraction and a branch.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "thread_state.h"

namespace leaktrack {

// Slow path of ShouldSample: seeds the thread's generator on first use and draws gaps.
bool ShouldSampleSlow(ThreadState* ts, size_t size, uint64_t rate);

// True when this allocation of `size` bytes is to be sampled. Thread-safe by construction
// (touches only *ts); async-signal-safe; never allocates.
inline bool ShouldSample(ThreadState* ts, size_t size, uint64_t rate) {
  // Sizes above 2^62 cannot be allocated anyway; clamp so the subtraction cannot overflow.
  const int64_t s = size < (1ull << 62) ? static_cast<int64_t>(size) : (1ll << 62);
  const int64_t left = ts->bytes_until_sample - s;
  if (__builtin_expect(left > 0, 1)) {
    ts->bytes_until_sample = left;
    return false;
  }
  return ShouldSampleSlow(ts, size, rate);
}

// Draws one exponential gap (>= 1) with the given mean, advancing *rng. Exposed for tests.
int64_t DrawExponentialGap(uint64_t* rng, uint64_t mean);

// The reciprocal of p(size) at this rate: how many allocations of this size one sample stands
// for. 1 when rate <= 1. Pure arithmetic (sample_math.h): async-signal-safe.
double SampleScale(uint64_t size, uint64_t rate);

}  // namespace leaktrack
