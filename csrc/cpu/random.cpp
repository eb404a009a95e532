// CPU random fills on Philox (see philox.h): uniform, normal (Box-Muller on
// element pairs), integers; the generator and the math run a block at a time.
#include <algorithm>
#include <cmath>

#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/philox.h"
#include "cpu/vec_math.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

// ------------------------------------------------ Philox, a block at a time --
// Counters [c, c + count) under `seed` into bits[4 * j + k] = lane k of counter
// c + j: element order, since element i is lane i % 4 of counter i / 4. The
// rounds run on vectors of counters (each 32-bit word in a 64-bit lane, so the
// 32x32->64 multiply is one instruction at every level), the scalar generator
// finishes the tail: both compute philox4x32_10 exactly.
inline vm::vu64 bcast(uint64_t x) { return vm::vu64{} + x; }

// 32x32 -> 64-bit products of the low words of each 64-bit lane (pmuludq).
inline vm::vu64 mul_wide(vm::vu64 a, vm::vu64 b) {
#if defined(__AVX512F__)
  // maskz: GCC 12's unmasked form reads an "undefined" vector and warns.
  return (vm::vu64)_mm512_maskz_mul_epu32(__mmask8(-1), (__m512i)a, (__m512i)b);
#elif defined(__AVX2__)
  return (vm::vu64)_mm256_mul_epu32((__m256i)a, (__m256i)b);
#else
  return (vm::vu64)_mm_mul_epu32((__m128i)a, (__m128i)b);
#endif
}

void philox_block(uint64_t c, int64_t count, uint64_t seed, uint32_t* bits) {
  using vm::vu64;
  constexpr int64_t W = sizeof(vu64) / sizeof(uint64_t);
  const vu64 m0 = bcast(0xD2511F53u), m1 = bcast(0xCD9E8D57u), low = bcast(0xFFFFFFFFu);
  int64_t j = 0;
  for (; j + W <= count; j += W) {
    vu64 c0, c1, c2 = bcast(0), c3 = c2;
    for (int64_t l = 0; l < W; ++l) {
      const uint64_t v = c + uint64_t(j + l);
      c0[l] = v & 0xFFFFFFFFu;
      c1[l] = v >> 32;
    }
    uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      const vu64 p0 = mul_wide(m0, c0), p1 = mul_wide(m1, c2);
      c0 = (p1 >> 32) ^ c1 ^ bcast(k0);
      c2 = (p0 >> 32) ^ c3 ^ bcast(k1);
      c1 = p1 & low;
      c3 = p0 & low;
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (int64_t l = 0; l < W; ++l) {
      uint32_t* o = bits + 4 * (j + l);
      o[0] = uint32_t(c0[l]);
      o[1] = uint32_t(c1[l]);
      o[2] = uint32_t(c2[l]);
      o[3] = uint32_t(c3[l]);
    }
  }
  for (; j < count; ++j) {
    const philox::Uint4 r = philox::philox4x32_10(c + uint64_t(j), seed);
    uint32_t* o = bits + 4 * j;
    o[0] = r.x;
    o[1] = r.y;
    o[2] = r.z;
    o[3] = r.w;
  }
}

// f(first, count, a, b) for consecutive runs of elements [first, first + count)
// of an n-element fill: a[i] (and, with `second`, b[i] from the second key)
// are element first + i's random bits.
constexpr int64_t kBlockCounters = 128, kBlockElements = 4 * kBlockCounters;

template <class F>
void for_blocks(int64_t n, uint64_t seed, uint64_t offset, bool second, const F& f) {
  parallel_for(0, (n + 3) / 4, 2048, [&](int64_t b, int64_t e) {
    alignas(64) uint32_t a[kBlockElements], a2[kBlockElements];
    for (int64_t c0 = b; c0 < e; c0 += kBlockCounters) {
      const int64_t cn = std::min(kBlockCounters, e - c0);
      philox_block(offset + uint64_t(c0), cn, seed, a);
      if (second) philox_block(offset + uint64_t(c0), cn, seed ^ philox::kSecondKey, a2);
      f(c0 * 4, std::min(n - c0 * 4, 4 * cn), a, a2);
    }
  });
}

template <class T>
inline T uniform_at(const uint32_t* a, const uint32_t* a2, int64_t i) {
  if constexpr (std::is_same_v<T, double>) return philox::uniform_double(a[i], a2[i]);
  else return philox::uniform_float(a[i]);
}

}  // namespace

void random_uniform(const Tensor& dst, double low, double high, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "uniform_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const T lo = T(low), span = T(high - low);
    for_blocks(dst->numel(), seed, offset, std::is_same_v<T, double>,
               [&](int64_t first, int64_t count, const uint32_t* a, const uint32_t* a2) {
                 T* out = o + first;
                 for (int64_t i = 0; i < count; ++i) {
                   const T v = lo + span * uniform_at<T>(a, a2, i);
                   out[i] = v < T(high) || span == 0 ? v : lo;  // rounding must not reach `high`
                 }
               });
  });
}

// Box-Muller on element pairs (2p, 2p + 1): the block's uniforms are drawn
// first, then log, sqrt, sin and cos run vectorized over it (vec_math.h). This
// file is compiled without FMA contraction, so the vector kernels compute the
// same numbers at every SIMD level (and the float results, rounded once from
// double, are those of the scalar libm formula but for a rare last bit).
void random_normal(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "normal_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    constexpr int64_t kPairs = kBlockElements / 2;
    for_blocks(dst->numel(), seed, offset, std::is_same_v<T, double>,
               [&](int64_t first, int64_t count, const uint32_t* a, const uint32_t* a2) {
                 alignas(64) double u1[kPairs], angle[kPairs], radius[kPairs], cosv[kPairs], sinv[kPairs];
                 const int64_t pairs = (count + 1) / 2;
                 for (int64_t p = 0; p < pairs; ++p) {
                   // u1 in (0, 1] so the log is finite.
                   u1[p] = 1.0 - double(uniform_at<T>(a, a2, 2 * p));
                   angle[p] = 6.283185307179586 * double(uniform_at<T>(a, a2, 2 * p + 1));
                 }
                 vec_log(u1, radius, pairs);
                 for (int64_t p = 0; p < pairs; ++p) radius[p] = __builtin_sqrt(-2.0 * radius[p]);
                 vec_cos(angle, cosv, pairs);
                 vec_sin(angle, sinv, pairs);
                 T* out = o + first;
                 for (int64_t i = 0; i < count; ++i) {
                   const double v = (i & 1) ? sinv[i >> 1] : cosv[i >> 1];
                   out[i] = T(mean + std * radius[i >> 1] * v);
                 }
               });
  });
}

void random_int(const Tensor& dst, int64_t low, int64_t high, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "random_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const uint64_t range = uint64_t(high - low);
    for_blocks(dst->numel(), seed, offset, true,
               [&](int64_t first, int64_t count, const uint32_t* a, const uint32_t* a2) {
                 T* out = o + first;
                 for (int64_t i = 0; i < count; ++i) {
                   const uint64_t bits = (uint64_t(a[i]) << 32) | a2[i];
                   out[i] = T(low + int64_t(bits % range));
                 }
               });
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
