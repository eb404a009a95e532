// CPU random fills with PyTorch's CPU numbers: the generator's MT19937 words
// (core/generator.h) become values exactly as PyTorch's CPU kernels make
// them, so a seed gives the same tensors (checked against torch in
// tests/test_random_torch.py):
//   uniform  float: (w & 0xFFFFFF) * 2^-24, one word; double: 53 bits of a
//            two-word draw (first word high) * 2^-53; then fma(u, hi - lo, lo).
//   integer  low + w % range (two words once the range reaches 2^28).
//   normal   `blocked` (PyTorch's normal_fill: a contiguous tensor of >= 16
//            elements): all uniforms first, then Box-Muller over blocks of 16,
//            element j with j + 8 (cos to j, sin to j + 8); when the size is
//            not a multiple of 16, the last 16 are drawn again and redone.
//            Float blocks use the Cephes-style single-precision log and
//            sin/cos of PyTorch's AVX2 kernel (below), bit for bit; double
//            blocks libm's log/cos/sin. Otherwise one normal at a time in
//            double: u1, u2 uniform, r = sqrt(-2 log1p(-u2)), t = 2 pi u1,
//            r cos t now and r sin t kept in the generator for the next one.
//   poisson, binomial  one element after another (in the order ops lays
//            the buffers out), from 53-bit uniforms, as PyTorch's sample_poisson / sample_binomial
//            (cpu/random_counts.h, shared with CUDA): a product of uniforms under rate 10,
//            Hormann's PTRS from 10; binomial by inversion under n p = 10, BTRS from there.
// Draws are serial (the stream is sequential), under the generator's mutex.
// This file is compiled without FMA contraction: every fused multiply-add
// below is written out, so all SIMD levels give the same bits.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <cmath>
#include <limits>
#include <mutex>

#include "cpu/kernels.h"
#include "cpu/random_counts.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

constexpr double kPi = 3.141592653589793;

inline float unit_float(Generator& g) { return float(g.random() & 0xFFFFFFu) * 0x1p-24f; }
inline double unit_double(Generator& g) { return double(g.random64() & ((uint64_t(1) << 53) - 1)) * 0x1p-53; }
template <class T> inline T unit(Generator& g) {
  if constexpr (std::is_same_v<T, double>) return unit_double(g);
  else return unit_float(g);
}

// ---------------------------------------------- single-precision Box-Muller --
// Lanes of float: eight with AVX, four below (no wider vectors without AVX's
// registers). Every operation is per lane, so the width changes nothing;
// fma8 rounds once per lane at every level.
#if defined(__AVX__)
constexpr int kBoxLanes = 8;
#else
constexpr int kBoxLanes = 4;
#endif
typedef float v8f __attribute__((vector_size(4 * kBoxLanes)));
typedef int32_t v8i __attribute__((vector_size(4 * kBoxLanes)));

inline v8f fma8(v8f a, v8f b, v8f c) {
#if defined(__FMA__)
  return (v8f)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
#else
  v8f r;
  for (int l = 0; l < kBoxLanes; ++l) r[l] = __builtin_fmaf(a[l], b[l], c[l]);
  return r;
#endif
}
inline v8f splat8(float x) { return v8f{} + x; }
inline v8i as_int(v8f v) { return __builtin_bit_cast(v8i, v); }
inline v8f as_float(v8i v) { return __builtin_bit_cast(v8f, v); }

// Natural log for u in (0, 1] (Cephes logf's reduction and polynomial, with
// the multiply-adds fused where PyTorch's compiled kernel fuses them):
// u = 2^e m, m in [sqrt(1/2), sqrt(2)), log u = e ln2 + log m with ln2 split
// into q2 + q1.
inline v8f log_unit8(v8f x) {
  v8i bits = as_int(x);
  v8i e_int = (bits >> 23) - 0x7f;  // positive x: the arithmetic shift is the exponent field
  x = as_float((bits & ~0x7f800000) | 0x3f000000);  // mantissa in [0.5, 1)
  v8f e = __builtin_convertvector(e_int, v8f) + 1.0f;
  const v8i small = x < 0.707106781186547524f;  // lanes of -1 where true
  const v8f x_if_small = as_float(as_int(x) & small);
  x = x - 1.0f;
  e = e - as_float(as_int(splat8(1.0f)) & small);
  x = x + x_if_small;
  const v8f z = x * x;
  v8f y = fma8(splat8(7.0376836292E-2f), x, splat8(-1.1514610310E-1f));
  y = fma8(y, x, splat8(1.1676998740E-1f));
  y = fma8(y, x, splat8(-1.2420140846E-1f));
  y = fma8(y, x, splat8(1.4249322787E-1f));
  y = fma8(y, x, splat8(-1.6668057665E-1f));
  y = fma8(y, x, splat8(2.0000714765E-1f));
  y = fma8(y, x, splat8(-2.4999993993E-1f));
  y = fma8(y, x, splat8(3.3333331174E-1f));
  y = y * x;
  y = fma8(y, z, e * -2.12194440e-4f);
  y = fma8(z, splat8(-0.5f), y);
  return fma8(e, splat8(0.693359375f), x + y);
}

// sin and cos of x in [0, 2 pi) (Cephes sinf/cosf: j = the octant rounded up
// to even, x - j pi/4 in three fused steps, one polynomial each).
inline void sincos8(v8f x, v8f& s, v8f& c) {
  v8i j = __builtin_convertvector(x * 1.27323954473516f, v8i);  // 4/pi, truncated
  j = (j + 1) & ~1;
  const v8f y = __builtin_convertvector(j, v8f);
  const v8i sin_sign = (j & 4) << 29;
  const v8i direct = (j & 2) == 0;  // lanes of -1 where sin takes the sine polynomial (cos the cosine one)
  const v8i cos_sign = (~(j - 2) & 4) << 29;
  x = fma8(y, splat8(-0.78515625f), x);
  x = fma8(y, splat8(-2.4187564849853515625e-4f), x);
  x = fma8(y, splat8(-3.77489497744594108e-8f), x);
  const v8f z = x * x;
  v8f pc = fma8(splat8(2.443315711809948E-005f), z, splat8(-1.388731625493765E-003f));
  pc = fma8(pc, z, splat8(4.166664568298827E-002f));
  pc = pc * z;
  pc = fma8(pc, z, -(z * 0.5f));
  pc = pc + 1.0f;
  v8f ps = fma8(splat8(-1.9515295891E-4f), z, splat8(8.3321608736E-3f));
  ps = fma8(ps, z, splat8(-1.6666654611E-1f));
  ps = ps * z;
  ps = fma8(ps, x, x);
  const v8f sin_abs = as_float((as_int(ps) & direct) | (as_int(pc) & ~direct));
  const v8f cos_abs = as_float((as_int(pc) & direct) | (as_int(ps) & ~direct));
  s = as_float(as_int(sin_abs) ^ sin_sign);
  c = as_float(as_int(cos_abs) ^ cos_sign);
}

// Box-Muller on 16 uniforms in place: element j (u1 = 1 - d[j]) with j + 8.
inline void normal_block16(float* d, float mean, float std) {
  for (int j = 0; j < 8; j += kBoxLanes) {
    v8f a, b;
    __builtin_memcpy(&a, d + j, sizeof(a));
    __builtin_memcpy(&b, d + j + 8, sizeof(b));
    const v8f u1 = 1.0f - a;
    v8f radius = -2.0f * log_unit8(u1);
    for (int l = 0; l < kBoxLanes; ++l) radius[l] = __builtin_sqrtf(radius[l]);
    v8f s, c;
    sincos8(b * float(2.0 * kPi), s, c);
    a = fma8(radius * c, splat8(std), splat8(mean));
    b = fma8(radius * s, splat8(std), splat8(mean));
    __builtin_memcpy(d + j, &a, sizeof(a));
    __builtin_memcpy(d + j + 8, &b, sizeof(b));
  }
}

inline void normal_block16(double* d, double mean, double std) {
  for (int j = 0; j < 8; ++j) {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - d[j]));
    const double theta = 2.0 * kPi * d[j + 8];
    d[j] = std::fma(radius * std::cos(theta), std, mean);
    d[j + 8] = std::fma(radius * std::sin(theta), std, mean);
  }
}

// One standard normal at a time, in double (PyTorch's normal_distribution).
double next_normal(Generator& g) {
  if (g.next_double_normal) {
    const double v = *g.next_double_normal;
    g.next_double_normal.reset();
    return v;
  }
  const double u1 = unit_double(g), u2 = unit_double(g);
  const double r = std::sqrt(-2.0 * std::log1p(-u2));
  const double theta = 2.0 * kPi * u1;
  g.next_double_normal = r * std::sin(theta);
  return r * std::cos(theta);
}

}  // namespace

void random_uniform(const Tensor& dst, double low, double high, Generator& g) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "uniform_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const T lo = T(low), span = T(high) - T(low);
    std::lock_guard<std::mutex> lock(g.mutex);
    for (int64_t i = 0, n = dst->numel(); i < n; ++i) o[i] = std::fma(unit<T>(g), span, lo);
  });
}

void random_normal(const Tensor& dst, double mean, double std, bool blocked, Generator& g) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "normal_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel();
    std::lock_guard<std::mutex> lock(g.mutex);
    if (!blocked) {
      for (int64_t i = 0; i < n; ++i) o[i] = T(std::fma(next_normal(g), std, mean));
      return;
    }
    for (int64_t i = 0; i < n; ++i) o[i] = unit<T>(g);
    for (int64_t i = 0; i + 16 <= n; i += 16) normal_block16(o + i, T(mean), T(std));
    if (n % 16) {
      T* tail = o + n - 16;
      for (int i = 0; i < 16; ++i) tail[i] = unit<T>(g);
      normal_block16(tail, T(mean), T(std));
    }
  });
}

void random_int(const Tensor& dst, int64_t low, int64_t high, Generator& g) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "random_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const uint64_t range = uint64_t(high) - uint64_t(low);
    std::lock_guard<std::mutex> lock(g.mutex);
    const int64_t n = dst->numel();
    if (range == 0) {  // [-2^63, 2^63): all 64 bits
      for (int64_t i = 0; i < n; ++i) o[i] = T(int64_t(g.random64()));
    } else if (range >= (uint64_t(1) << 28)) {
      for (int64_t i = 0; i < n; ++i) o[i] = T(int64_t(g.random64() % range + uint64_t(low)));
    } else {  // one word: a 32-bit remainder, the same value and a cheaper division
      const uint32_t r32 = uint32_t(range);
      for (int64_t i = 0; i < n; ++i) o[i] = T(int64_t(uint64_t(g.random() % r32) + uint64_t(low)));
    }
  });
}

void random_distribution(const Tensor& dst, RandomDistribution kind, double a, double b, Generator& g) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "random_distribution", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel();
    std::lock_guard<std::mutex> lock(g.mutex);
    switch (kind) {
      case RandomDistribution::Bernoulli:
        for (int64_t i = 0; i < n; ++i) o[i] = T(unit_double(g) < a ? 1 : 0);
        break;
      case RandomDistribution::Exponential:
        for (int64_t i = 0; i < n; ++i) {
          const double v = (-1.0 / a) * std::log1p(-unit_double(g));
          o[i] = T(v);
        }
        break;
      case RandomDistribution::Geometric:
        for (int64_t i = 0; i < n; ++i) o[i] = T(std::ceil(std::log(unit_double(g)) / std::log1p(-a)));
        break;
      case RandomDistribution::Cauchy:
        for (int64_t i = 0; i < n; ++i) o[i] = T(std::fma(b, std::tan(kPi * (unit_double(g) - 0.5)), a));
        break;
      case RandomDistribution::LogNormal:
        for (int64_t i = 0; i < n; ++i) o[i] = T(std::exp(std::fma(next_normal(g), b, a)));
        break;
      case RandomDistribution::Bits:
        for (int64_t i = 0; i < n; ++i) {
          if constexpr (std::is_same_v<T, bool>) o[i] = (g.random() & 1u) != 0;
          else if constexpr (std::is_same_v<T, double>) o[i] = T(g.random64() % ((uint64_t(1) << 53) + 1));
          else if constexpr (std::is_same_v<T, float>) o[i] = T(g.random() % ((uint64_t(1) << 24) + 1));
          else if constexpr (std::is_same_v<T, int64_t>) o[i] = T(g.random64() % (uint64_t(1) << 63));
          else o[i] = T(uint64_t(g.random()) % (uint64_t(std::numeric_limits<T>::max()) + 1));
        }
        break;
    }
  });
}

void random_poisson(const Tensor& dst, const Tensor& rate, Generator& g) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "poisson_cpu", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const T* lambda = rate->data_as<T>();
    auto uniform = [&g] { return unit_double(g); };
    std::lock_guard<std::mutex> lock(g.mutex);
    for (int64_t i = 0, n = dst->numel(); i < n; ++i) {
      const double rate_i = double(lambda[i]);
      FT_CHECK(rate_i >= 0, RuntimeError, "invalid Poisson rate, expected rate to be non-negative");
      o[i] = T(random_counts::poisson_count(rate_i, uniform));
    }
  });
}

void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, Generator& g) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "binomial_cpu", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const T* n = count->data_as<T>();
    const T* p = prob->data_as<T>();
    auto uniform = [&g] { return unit_double(g); };
    std::lock_guard<std::mutex> lock(g.mutex);
    for (int64_t i = 0, size = dst->numel(); i < size; ++i) o[i] = random_counts::binomial_count(n[i], p[i], uniform);
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
