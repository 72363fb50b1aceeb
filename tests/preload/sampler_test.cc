// Statistical tests of the byte sampler (sampler.h).
//
// Each test compares a count with its exact expectation and allows 5 standard deviations. For a
// sum of many independent draws (normal by the central limit theorem) the odds of a false
// failure are 5.7e-7 per check; the generator is seeded from the clock, so runs differ.
#include "sampler.h"

#include <math.h>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

TEST(SamplerTest, GapMeanMatchesRate) {
  const uint64_t rate = 524288;
  const int n = 200000;
  uint64_t rng = 0x1234567 ^ static_cast<uint64_t>(time(nullptr));
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += static_cast<double>(DrawExponentialGap(&rng, rate));
  // Exponential: sd = mean, so the sd of the average of n draws is mean / sqrt(n).
  const double tolerance = 5.0 * rate / sqrt(n);
  EXPECT_NEAR(sum / n, static_cast<double>(rate), tolerance);
}

TEST(SamplerTest, SamplesEachAllocationWithProbabilityOneMinusExp) {
  const uint64_t rate = 4096;
  const size_t size = 1024;
  const int n = 200000;
  ThreadState ts{};
  int sampled = 0;
  for (int i = 0; i < n; ++i) sampled += ShouldSample(&ts, size, rate);
  const double p = 1.0 - exp(-static_cast<double>(size) / rate);
  const double sd = sqrt(n * p * (1 - p));
  EXPECT_NEAR(sampled, n * p, 5 * sd) << "p=" << p;
}

TEST(SamplerTest, LargeAllocationsAreAlmostAlwaysSampled) {
  ThreadState ts{};
  int sampled = 0;
  // p(16 * rate) = 1 - e^-16 = 0.9999999: 1000 draws all sampled except with odds 1.1e-4.
  for (int i = 0; i < 1000; ++i) sampled += ShouldSample(&ts, 16 * 4096, 4096);
  EXPECT_GE(sampled, 999);
}

TEST(SamplerTest, RateOneSamplesEverythingAndRateZeroNothing) {
  ThreadState ts{};
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(ShouldSample(&ts, i, 1));
  ThreadState off{};
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(ShouldSample(&off, 1 << 20, 0));
}

TEST(SamplerTest, UnbiasedEstimateOfMixedSizes) {
  // Long-tailed mix: many small, some medium, a few large allocations.
  const uint64_t rate = 65536;
  const size_t sizes[] = {16, 32, 48, 100, 256, 1000, 4096, 20000, 100000, 1 << 20};
  const int weights[] = {4000, 3000, 2000, 2000, 1000, 500, 200, 50, 10, 2};
  ThreadState ts{};
  double truth = 0, estimate = 0, variance = 0;
  for (int round = 0; round < 20; ++round) {
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); ++k) {
      for (int i = 0; i < weights[k]; ++i) {
        const double s = static_cast<double>(sizes[k]);
        truth += s;
        const double p = 1.0 - exp(-s / rate);
        variance += s * s * (1 - p) / p;  // variance of the Horvitz-Thompson term s/p * [sampled]
        if (ShouldSample(&ts, sizes[k], rate)) estimate += s * SampleScale(sizes[k], rate);
      }
    }
  }
  EXPECT_NEAR(estimate, truth, 5 * sqrt(variance)) << "relative sd " << sqrt(variance) / truth;
}

TEST(SamplerTest, ScaleMatchesGoForKnownSizes) {
  // PPROF.md §5: scale factors at R = 524288.
  EXPECT_NEAR(SampleScale(16, 524288), 32768.5, 0.01);
  EXPECT_NEAR(SampleScale(2048, 524288), 256.5, 0.01);
  EXPECT_NEAR(SampleScale(65536, 524288), 8.510, 0.001);
  EXPECT_EQ(SampleScale(100, 1), 1.0);
}

}  // namespace
}  // namespace leaktrack
