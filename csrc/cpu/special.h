// Digamma and trigamma (the derivatives of lgamma), in double precision,
// shared by the CPU and CUDA kernels: the recurrence psi(x) = psi(x + 1) - 1/x
// up to x >= 10, then the asymptotic series (Bernoulli numbers, truncated
// where the next term is below 1e-15); the reflection formula below 0.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define FT_SPECIAL_FN __host__ __device__ inline
#else
#define FT_SPECIAL_FN inline
#endif

// Internal linkage (an anonymous namespace), as cpu/vec_math.h: the CPU
// compiles this into one file per SIMD level, and an inline function with
// external linkage could be taken from the AVX-512 copy.
namespace ft::special {
namespace {

constexpr double kPi = 3.14159265358979323846;

// psi(x) for x > 0: the recurrence, then the series.
FT_SPECIAL_FN double digamma_positive(double x) {
  double result = 0;
  for (; x < 10; x += 1) result -= 1 / x;
  const double f = 1 / (x * x);
  const double tail =
      f * (-1.0 / 12 + f * (1.0 / 120 + f * (-1.0 / 252 + f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760))))));
  return result + ::log(x) - 0.5 / x + tail;
}

// psi'(x) for x > 0.
FT_SPECIAL_FN double trigamma_positive(double x) {
  double result = 0;
  for (; x < 10; x += 1) result += 1 / (x * x);
  const double f = 1 / (x * x);
  const double series = 1.0 / 6 + f * (-1.0 / 30 + f * (1.0 / 42 + f * (-1.0 / 30 + f * (5.0 / 66 + f * (-691.0 / 2730)))));
  const double tail = 1 / x + f / 2 + f / x * series;
  return result + tail;
}

// psi(x) = d/dx lgamma(x). psi(+0) = -inf, psi(-0) = +inf, NaN at the negative integers, as PyTorch.
FT_SPECIAL_FN double digamma(double x) {
  if (x == 0) return 1 / x < 0 ? INFINITY : -INFINITY;  // 1 / -0 = -inf tells the zeros apart
  if (x != x || x == -INFINITY) return NAN;
  if (x == INFINITY) return INFINITY;
  if (x > 0) return digamma_positive(x);
  if (x == ::floor(x)) return NAN;
  return digamma_positive(1 - x) - kPi / ::tan(kPi * x);  // psi(1 - x) - psi(x) = pi cot(pi x)
}

// psi'(x), the derivative of digamma (infinite at 0 and the negative integers).
FT_SPECIAL_FN double trigamma(double x) {
  if (x != x || x == -INFINITY) return NAN;
  if (x == INFINITY) return 0;
  if (x <= 0 && x == ::floor(x)) return INFINITY;
  if (x > 0) return trigamma_positive(x);
  const double s = ::sin(kPi * x);
  return -trigamma_positive(1 - x) + kPi * kPi / (s * s);  // psi'(1 - x) + psi'(x) = pi^2 / sin^2(pi x)
}

}  // namespace
}  // namespace ft::special
