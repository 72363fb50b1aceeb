// See sampler.h.
#include "sampler.h"

#include <time.h>

#include "sample_math.h"

namespace leaktrack {
namespace {

uint64_t NextRandom(uint64_t* state) {
  // xorshift64*: tiny, fast, good enough for gap lengths; never returns to 0.
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

uint64_t SeedFor(const ThreadState* ts) {
  // Distinct per thread (TLS address) and per process start (clock), never zero.
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t seed = reinterpret_cast<uintptr_t>(ts) * 0x9E3779B97F4A7C15ull ^
                  static_cast<uint64_t>(now.tv_nsec) ^ (static_cast<uint64_t>(now.tv_sec) << 32);
  return seed != 0 ? seed : 0x853c49e6748fea9bull;
}

}  // namespace

int64_t DrawExponentialGap(uint64_t* rng, uint64_t mean) {
  // u is uniform in (0, 1]; -log(u) is Exponential(1).
  const double u = (static_cast<double>(NextRandom(rng) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  const double gap = NegLog(u) * static_cast<double>(mean);
  if (gap < 1.0) return 1;
  if (gap > 4.0e18) return static_cast<int64_t>(4.0e18);
  return static_cast<int64_t>(gap);
}

bool ShouldSampleSlow(ThreadState* ts, size_t size, uint64_t rate) {
  if (rate <= 1) return rate == 1;
  const int64_t s = size < (1ull << 62) ? static_cast<int64_t>(size) : (1ll << 62);
  if (ts->rng == 0) {
    // First allocation on this thread: start with a real gap, not with a free sample.
    ts->rng = SeedFor(ts);
    ts->bytes_until_sample = DrawExponentialGap(&ts->rng, rate);
    const int64_t left = ts->bytes_until_sample - s;
    if (left > 0) {
      ts->bytes_until_sample = left;
      return false;
    }
  }
  // The allocation covers the sample point. Draw a fresh gap (discarding the overshoot, as Go
  // does) so that the next decision is independent of this one.
  ts->bytes_until_sample = DrawExponentialGap(&ts->rng, rate);
  return true;
}

double SampleScale(uint64_t size, uint64_t rate) {
  if (rate <= 1) return 1.0;
  if (size == 0) return 0.0;
  const double p = OneMinusExpNeg(static_cast<double>(size) / static_cast<double>(rate));
  return p > 0 ? 1.0 / p : 0.0;
}

}  // namespace leaktrack
