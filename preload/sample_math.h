// The two transcendental functions the byte sampler needs, without libm.
//
// Each sample draws a gap (-log u) and tallies the block with 1 / (1 - exp(-size / rate)), once
// when it is allocated and once when it is freed. libm's log and expm1 cost about 250
// instructions and 20 first-level cache misses per sample (callgrind, bench/malloc_stress over
// jemalloc): large general-purpose code and tables that the sample path pulled in between two
// of the program's mallocs. These cover only the ranges the sampler uses, in a few dozen instructions
// each, and dropping them took libm off the shim's needed libraries, so a program that never
// loaded libm does not get it from us.
//
// Accuracy: a relative error below 1e-13 over their whole domains (tests/preload/
// sample_math_test.cc compares with libm), far inside the sampling error the results feed.
// Pure arithmetic: async-signal-safe, thread-safe.
#pragma once

#include <stdint.h>

namespace leaktrack {
namespace sample_math_internal {

inline constexpr double kLn2 = 0.69314718055994530942;
// ln 2 split in two: kLn2Hi's low 21 bits are 0, so k * kLn2Hi is exact for the k used here
// (|k| < 2^11), and kLn2Lo carries the rest.
inline constexpr double kLn2Hi = 6.93147180369123816490e-01;
inline constexpr double kLn2Lo = 1.90821492927058770002e-10;

inline double FromBits(uint64_t bits) {
  double d;
  __builtin_memcpy(&d, &bits, sizeof d);  // the shim builds with -fno-builtin
  return d;
}

inline uint64_t ToBits(double d) {
  uint64_t bits;
  __builtin_memcpy(&bits, &d, sizeof bits);
  return bits;
}

// c[0] + x (c[1] + x (c[2] + ...)): a polynomial by Horner's rule, unrolled into N - 1
// multiply-adds (GCC -O2 keeps a loop of 8 otherwise, twice the instructions).
template <int N>
inline double Horner(double x, const double (&c)[N]) {
  double p = c[N - 1];
#pragma GCC unroll 16
  for (int i = N - 2; i >= 0; --i) p = p * x + c[i];
  return p;
}

// expm1(y) / y = sum of y^k / (k + 1)!, to y^12 (the first term left out is below 2e-17
// relative for |y| <= 0.35).
inline constexpr double kExpM1OverY[] = {
    1.0,          1.0 / 2,          1.0 / 6,           1.0 / 24,
    1.0 / 120,    1.0 / 720,        1.0 / 5040,        1.0 / 40320,
    1.0 / 362880, 1.0 / 3628800,    1.0 / 39916800,    1.0 / 479001600,
    1.0 / 6227020800};

// atanh(s) / s = sum of s^2k / (2k + 1), to s^14.
inline constexpr double kAtanhOverS[] = {1.0,     1.0 / 3,  1.0 / 5,  1.0 / 7,
                                         1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15};

// expm1(y) for |y| <= 0.35.
inline double ExpM1Small(double y) { return y * Horner(y, kExpM1OverY); }

}  // namespace sample_math_internal

// -ln(u) for u in [2^-1022, 1] (normal numbers; the sampler's u is at least 2^-53).
// u = 2^e * m with m in [sqrt(1/2), sqrt(2)), and ln m = 2 atanh(s), s = (m - 1) / (m + 1),
// |s| <= 0.172: the odd series to s^15 leaves out less than 4e-14 of it.
inline double NegLog(double u) {
  using namespace sample_math_internal;
  const uint64_t bits = ToBits(u);
  int e = static_cast<int>(bits >> 52) - 1023;  // u > 0: no sign bit
  double m = FromBits((bits & ((uint64_t{1} << 52) - 1)) | (uint64_t{1023} << 52));
  if (m > 1.41421356237309504880) {
    m *= 0.5;
    ++e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double ln_m = 2.0 * s * Horner(s * s, kAtanhOverS);
  return -(static_cast<double>(e) * kLn2Hi + (ln_m + static_cast<double>(e) * kLn2Lo));
}

// 1 - exp(-x) for x >= 0, accurate relative to the result also when x is tiny (where
// 1.0 - exp(-x) would cancel): the probability that an allocation of x * rate bytes is sampled.
inline double OneMinusExpNeg(double x) {
  using namespace sample_math_internal;
  if (!(x > 0)) return 0.0;              // 0, and NaN
  if (x <= 0.34657359027997264) return -ExpM1Small(-x);  // |x| <= ln2 / 2
  if (x >= 40) return 1.0;               // exp(-40) < 2^-57: 1 - exp(-x) rounds to 1
  // exp(-x) = 2^-k exp(-r), x = k ln2 + r, |r| <= ln2 / 2 (1 <= k <= 58, so 2^-k is normal).
  const int k = static_cast<int>(x * (1.0 / kLn2) + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  const double exp_neg_x =
      (1.0 + ExpM1Small(-r)) * FromBits(static_cast<uint64_t>(1023 - k) << 52);
  return 1.0 - exp_neg_x;
}

// The nearest integer to x in [0, 2^63), halves up: llround without libm. (x + 0.5 can itself
// round, so a value within an ulp below a half may go up; the tallies need only that a block's
// allocation and its free round the same way, which they do.)
inline uint64_t RoundNonNegative(double x) { return static_cast<uint64_t>(x + 0.5); }

}  // namespace leaktrack
