// The sampler's libm-free log and 1 - exp(-x) (sample_math.h), checked against libm over their
// whole domains: deterministic grids plus the edges and the branch boundaries.
#include "sample_math.h"

#include <math.h>

#include <gtest/gtest.h>

namespace leaktrack {
namespace {

constexpr double kMaxRelativeError = 1e-13;

double RelativeError(double got, double want) {
  if (want == 0) return fabs(got);
  return fabs(got - want) / fabs(want);
}

TEST(SampleMathTest, NegLogMatchesLibmOverTheSamplersRange) {
  // The sampler's u is (k + 1) / 2^53: from 2^-53 up to 1. Walk that range in steps of a
  // factor 1.0001 (about 367,000 points), so every mantissa region and both sides of the
  // sqrt(2) fold are covered, then the edges.
  double worst = 0;
  for (double u = 0x1p-53; u < 1.0; u *= 1.0001) {
    worst = fmax(worst, RelativeError(NegLog(u), -log(u)));
  }
  EXPECT_LT(worst, kMaxRelativeError);
  for (const double u : {0x1p-1022, 0x1p-53, 0.5, 0.70710678118654752, 0.70710678118654746,
                         1.41421356237309504880 / 2, 1 - 0x1p-53, 1 - 0x1p-40}) {
    EXPECT_LT(RelativeError(NegLog(u), -log(u)), kMaxRelativeError) << "u = " << u;
  }
  EXPECT_EQ(NegLog(1.0), 0.0);
}

TEST(SampleMathTest, OneMinusExpNegMatchesLibmFromTinyToSaturated) {
  // x = size / rate: from one byte at a 4 GiB rate (2^-32) up past where the result is 1.
  double worst = 0;
  for (double x = 0x1p-40; x < 60.0; x *= 1.0001) {
    worst = fmax(worst, RelativeError(OneMinusExpNeg(x), -expm1(-x)));
  }
  EXPECT_LT(worst, kMaxRelativeError);
  // Each side of the two branch points (ln2 / 2 and 40), and exact zero.
  for (const double x : {0.34657359027997264, nextafter(0.34657359027997264, 1.0), 0.35, 39.999,
                         40.0, 1e-300, 1.0}) {
    EXPECT_LT(RelativeError(OneMinusExpNeg(x), -expm1(-x)), kMaxRelativeError) << "x = " << x;
  }
  EXPECT_EQ(OneMinusExpNeg(0.0), 0.0);
  EXPECT_EQ(OneMinusExpNeg(1e6), 1.0);
}

TEST(SampleMathTest, RoundNonNegativeMatchesLlroundAwayFromTies) {
  for (const double x : {0.0, 0.4, 0.5, 0.6, 1.5, 2.5, 255.49, 255.51, 134217728.5, 4.5e15}) {
    EXPECT_EQ(RoundNonNegative(x), static_cast<uint64_t>(llround(x))) << "x = " << x;
  }
}

}  // namespace
}  // namespace leaktrack
