// Poisson and binomial counts from a source of uniforms, shared by the CPU
// kernels (cpu/random.cpp: the source is PyTorch's 53-bit MT19937 uniforms,
// and these are PyTorch's CPU samplers step for step, so a seed gives
// torch's counts) and the CUDA ones (cuda/random.cu: each element's own
// Philox stream). `uniform()` returns a double in [0, 1); a sampler calls it
// as many times as its rejections need.
//
// Each sampler performs the same operations in the same precision and order
// as PyTorch's (float arithmetic where PyTorch's template keeps a float,
// double elsewhere): the CPU's numbers depend on it, so keep the order when
// editing (cpu/random.cpp compiles this without FMA contraction). Constants
// are those of the published algorithms (Hormann 1993; Kachitvichyanukul and
// Schmeiser's BTRS as TensorFlow tuned it, which PyTorch adopted).
//
// Internal linkage (an anonymous namespace), as in cpu/vec_math.h: the CPU
// includes this in one file per SIMD level, and a shared inline function
// could be taken from the AVX-512 copy for a machine without AVX-512.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

#if defined(__CUDACC__)
#define FT_COUNTS_FN __host__ __device__ inline
#else
#define FT_COUNTS_FN inline
#endif

namespace ft::random_counts {
namespace {

// (int64_t) of a double as x86's cvttsd2si gives it: NaN and values outside
// the int64 range become INT64_MIN (what PyTorch returns for rates >= 2^63),
// on any processor and on the GPU (whose conversion saturates instead).
FT_COUNTS_FN int64_t to_int64_as_x86(double x) {
  return x >= -0x1p63 && x < 0x1p63 ? int64_t(x) : std::numeric_limits<int64_t>::min();
}

// A Poisson count of mean `rate` (>= 0, not NaN: the caller checks). Under
// 10: the number of uniforms whose running product stays above exp(-rate).
// From 10: transformed rejection with squeeze (PTRS): k = floor((2a / us +
// b) U + rate + 0.43) for U uniform in [-1/2, 1/2), us = 1/2 - |U|, accepted
// at once inside the box (us >= 0.07, V <= vr), else by the log-density
// test. The tests read the floor before its conversion to int64: the same
// for any count that fits, and for rates from 2^63 (whose counts overflow)
// it is what PyTorch's compiled kernel does, so the generator ends where
// torch's does. An infinite rate gives INT64_MIN too.
template <class Uniform>
FT_COUNTS_FN int64_t poisson_count(double rate, Uniform& uniform) {
  if (rate == 0) return 0;
  if (rate < 10) {
    const double threshold = std::exp(-rate);
    int64_t count = 0;
    for (double product = uniform(); product > threshold; product *= uniform()) ++count;
    return count;
  }
  const double log_rate = std::log(rate);
  const double b = 0.931 + 2.53 * std::sqrt(rate);
  const double a = -0.059 + 0.02483 * b;
  const double log_inv_alpha = std::log(1.1239 + 1.1328 / (b - 3.4));
  const double vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const double u = uniform() - 0.5;
    const double v = uniform();
    const double us = 0.5 - std::fabs(u);
    const double k = std::floor((2 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return to_int64_as_x86(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + log_inv_alpha - std::log(a / (us * us) + b) <= -rate + k * log_rate - std::lgamma(k + 1))
      return to_int64_as_x86(k);
  }
}

// log(k!) - (Stirling's series to its 1/(12 k) ... terms), tabulated below 10.
FT_COUNTS_FN double stirling_tail(double k) {
  static constexpr double kSmall[10] = {0.0810614667953272,  0.0413406959554092, 0.0276779256849983,
                                        0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                                        0.0118967099458917,  0.0104112652619720, 0.00925546218271273,
                                        0.00833056343336287};
  if (k < 10) return kSmall[size_t(k)];
  const double kp1_squared = (k + 1) * (k + 1);
  return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1_squared) / kp1_squared) / (k + 1);
}

// Successes in `count` trials of probability p (0 < p <= 1/2, count p < 10):
// geometric waiting times ceil(log u / log(1 - p)) summed until they pass count.
template <class T, class Uniform>
FT_COUNTS_FN T binomial_by_inversion(T count, T p, Uniform& uniform) {
  const double log_q = double(std::log1p(-p));  // in T: log1pf for float
  double trials = 0;
  T successes = 0;
  while (true) {
    trials += std::ceil(std::log(uniform()) / log_q);
    if (trials > double(count)) return successes;
    successes = successes + T(1);
  }
}

// The same for count p >= 10 by BTRS (transformed rejection with squeeze).
// The T-typed products (count * p, 1 - p, ...) round in T as PyTorch's do.
template <class T, class Uniform>
FT_COUNTS_FN T binomial_by_btrs(T count, T p, Uniform& uniform) {
  const double spq = double(std::sqrt(count * p * (T(1) - p)));
  const double b = 1.15 + 2.53 * spq;
  const double a = -0.0873 + 0.0248 * b + 0.01 * double(p);
  const double c = double(count * p) + 0.5;
  const double vr = 0.92 - 4.2 / b;
  const double r = double(p / (T(1) - p));
  const double alpha = (2.83 + 5.1 / b) * spq;
  const double m = double(std::floor((count + T(1)) * p));
  const double n = double(count);
  while (true) {
    const double u = uniform() - 0.5;
    double v = uniform();
    const double us = 0.5 - std::fabs(u);
    const T k = T(std::floor((2 * a / us + b) * u + c));
    if (k < 0 || k > count) continue;
    if (us >= 0.07 && v <= vr) return k;
    v = std::log(v * alpha / (a / (us * us) + b));
    const double n_minus_k = double(count - k);  // in T, then widened
    const double bound = (m + 0.5) * std::log((m + 1) / (r * (n - m + 1))) +
                         double(count + T(1)) * std::log((n - m + 1) / double(count - k + T(1))) +
                         (double(k) + 0.5) * std::log(r * double(count - k + T(1)) / double(k + T(1))) +
                         stirling_tail(m) + stirling_tail(n - m) - stirling_tail(double(k)) - stirling_tail(n_minus_k);
    if (v <= bound) return k;
  }
}

// Binomial(count, p) in T: 0 for count <= 0 or p <= 0, count for p >= 1, the
// p > 1/2 case as count minus the draw with 1 - p; NaN for a NaN p. A NaN
// count with 0 < p < 1 is NaN too, without a draw (PyTorch's inversion loop
// never ends there).
template <class T, class Uniform>
FT_COUNTS_FN T binomial_count(T count, T p, Uniform& uniform) {
  if (count <= 0.0 || p <= 0.0) return T(0);
  if (p >= 1.0) return count;
  if (std::isnan(count) || std::isnan(p)) return std::numeric_limits<T>::quiet_NaN();
  if (p <= 0.5) {
    return count * p >= 10.0 ? binomial_by_btrs(count, p, uniform) : binomial_by_inversion(count, p, uniform);
  }
  const T q = T(1.0 - p);
  return count - (count * q >= 10.0 ? binomial_by_btrs(count, q, uniform) : binomial_by_inversion(count, q, uniform));
}

}  // namespace
}  // namespace ft::random_counts
