// CUDA random fills on Philox (cuda/philox.h), whose values do not depend on
// the launch shape (the CPU draws PyTorch's CPU numbers instead: cpu/random.cpp).
//
// Uniform, normal, integers: element i of a call is lane i % 4 of counter
// (offset + i / 4) under key `seed`; one thread per counter. Uniform: 24
// random bits (float) or 53 (double, two keys); normal: Box-Muller in double
// on lane pairs; integers: 64 random bits modulo the range.
//
// Poisson, binomial: the samplers of cpu/random_counts.h (the CPU's, which
// are PyTorch's: a product of uniforms / inversion for small means, PTRS /
// BTRS rejection from 10), one thread per element. A rejection sampler
// takes as many uniforms as it needs, so each element draws from a stream of
// its own: element i owns counter c = offset + i (the call reserves one
// counter per element), and its j-th Philox block is counter (j << 64) | c,
// the high 64 bits of the 128-bit counter stepping j = 0, 1, 2, ...; a block
// gives two 53-bit uniforms (lanes 0-1, then 2-3). The other fills use high
// bits 0 only, on counters of their own, so no two draws ever share a block,
// and an element's count depends on (seed, c, its parameters) alone: not on
// the launch shape, nor on how many draws its neighbours rejected. Counts of
// one seed are not the CPU's (nor PyTorch's CUDA ones).
#include <limits>

#include "cpu/random_counts.h"
#include "cuda/philox.h"
#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// Uniform in [0, 1) for lane k: 24 random bits for float, 53 (two streams) for double.
template <class T>
__device__ __forceinline__ T uniform_lane(const philox::Uint4& r, const philox::Uint4& r2, int k) {
  if constexpr (std::is_same_v<T, double>) return philox::uniform_double(philox::lane(r, k), philox::lane(r2, k));
  else return philox::uniform_float(philox::lane(r, k));
}

template <class T>
__device__ __forceinline__ void draw(int64_t c, uint64_t seed, uint64_t offset, philox::Uint4& r, philox::Uint4& r2) {
  r = philox::philox4x32_10(offset + uint64_t(c), seed);
  if constexpr (std::is_same_v<T, double>) r2 = philox::philox4x32_10(offset + uint64_t(c), seed ^ philox::kSecondKey);
  else r2 = {0, 0, 0, 0};
}

// No fused multiply-add: low + span * u rounds as the CPU's separate operations.
__device__ __forceinline__ float affine(float low, float span, float u) { return __fadd_rn(low, __fmul_rn(span, u)); }
__device__ __forceinline__ double affine(double low, double span, double u) { return __dadd_rn(low, __dmul_rn(span, u)); }

// dst (n,) contiguous.
template <class T>
__global__ void uniform_kernel(T* dst, int64_t n, T low, T span, T high, uint64_t seed, uint64_t offset) {
  for (int64_t c = global_thread_index(); c * 4 < n; c += global_thread_count()) {
    philox::Uint4 r, r2;
    draw<T>(c, seed, offset, r, r2);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      if (c * 4 + k >= n) break;
      const T v = affine(low, span, uniform_lane<T>(r, r2, k));
      dst[c * 4 + k] = v < high || span == 0 ? v : low;  // rounding must not reach `high`
    }
  }
}

// Box-Muller on lane pairs (0, 1) and (2, 3), in double as on the CPU.
template <class T>
__global__ void normal_kernel(T* dst, int64_t n, double mean, double std, uint64_t seed, uint64_t offset) {
  for (int64_t c = global_thread_index(); c * 4 < n; c += global_thread_count()) {
    philox::Uint4 r, r2;
    draw<T>(c, seed, offset, r, r2);
#pragma unroll
    for (int pair = 0; pair < 2; ++pair) {
      const double u1 = 1.0 - double(uniform_lane<T>(r, r2, 2 * pair));  // in (0, 1]: the log is finite
      const double u2 = double(uniform_lane<T>(r, r2, 2 * pair + 1));
      const double radius = ::sqrt(-2.0 * ::log(u1));
      const double angle = 6.283185307179586 * u2;
      const int64_t i0 = c * 4 + 2 * pair;
      if (i0 < n) dst[i0] = T(__dadd_rn(mean, __dmul_rn(__dmul_rn(std, radius), ::cos(angle))));
      if (i0 + 1 < n) dst[i0 + 1] = T(__dadd_rn(mean, __dmul_rn(__dmul_rn(std, radius), ::sin(angle))));
    }
  }
}

// Integers uniform in [low, low + range): 64 random bits modulo the range.
template <class T>
__global__ void int_kernel(T* dst, int64_t n, int64_t low, uint64_t range, uint64_t seed, uint64_t offset) {
  for (int64_t c = global_thread_index(); c * 4 < n; c += global_thread_count()) {
    const philox::Uint4 r = philox::philox4x32_10(offset + uint64_t(c), seed);
    const philox::Uint4 r2 = philox::philox4x32_10(offset + uint64_t(c), seed ^ philox::kSecondKey);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      if (c * 4 + k >= n) break;
      const uint64_t bits = (uint64_t(philox::lane(r, k)) << 32) | philox::lane(r2, k);
      dst[c * 4 + k] = T(int64_t((range ? bits % range : bits) + uint64_t(low)));  // range 0: all 64 bits
    }
  }
}

// The uniforms in [0, 1) of one element of a Poisson or binomial call: its
// own stream, block j at counter (j << 64) | counter under key `seed` (see
// the top of this file), two 53-bit values per block.
struct ElementUniforms {
  uint64_t seed, counter;
  uint64_t block = 0;
  philox::Uint4 words{};
  int next_lane = 4;  // 4: the next call computes the next block

  __host__ __device__ double operator()() {
    if (next_lane == 4) {
      words = philox::philox4x32_10(counter, seed, block++);
      next_lane = 0;
    }
    const double u = philox::uniform_double(philox::lane(words, next_lane), philox::lane(words, next_lane + 1));
    next_lane += 2;
    return u;
  }
};

// dst, rate (n,) contiguous; element i draws from counter offset + i. A
// negative or NaN rate sets error word 0 (the host raises) and gives NaN.
template <class T>
__global__ void poisson_kernel(T* dst, const T* rate, int64_t n, uint64_t seed, uint64_t offset, int64_t* error) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    const double rate_i = double(rate[i]);
    if (!(rate_i >= 0)) {
      error[0] = 1;
      dst[i] = std::numeric_limits<T>::quiet_NaN();
      continue;
    }
    ElementUniforms uniform{seed, offset + uint64_t(i)};
    dst[i] = T(random_counts::poisson_count(rate_i, uniform));
  }
}

// dst, count, prob (n,) contiguous; element i draws from counter offset + i.
template <class T>
__global__ void binomial_kernel(T* dst, const T* count, const T* prob, int64_t n, uint64_t seed, uint64_t offset) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    ElementUniforms uniform{seed, offset + uint64_t(i)};
    dst[i] = random_counts::binomial_count(count[i], prob[i], uniform);
  }
}

}  // namespace

void random_uniform(const Tensor& dst, double low, double high, uint64_t seed, uint64_t offset) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "uniform_", [&] {
    using T = scalar_t;
    uniform_kernel<T><<<grid_size(ceil_div(n, 4)), kThreads, 0, stream()>>>(dst->data_as<T>(), n, T(low),
                                                                             T(high - low), T(high), seed, offset);
    FT_CUDA_CHECK_LAUNCH();
  });
}

void random_normal(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t offset) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "normal_", [&] {
    normal_kernel<scalar_t><<<grid_size(ceil_div(n, 4)), kThreads, 0, stream()>>>(dst->data_as<scalar_t>(), n, mean,
                                                                                  std, seed, offset);
    FT_CUDA_CHECK_LAUNCH();
  });
}

void random_int(const Tensor& dst, int64_t low, int64_t high, uint64_t seed, uint64_t offset) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "random_", [&] {
    int_kernel<scalar_t><<<grid_size(ceil_div(n, 4)), kThreads, 0, stream()>>>(
        dst->data_as<scalar_t>(), n, low, uint64_t(high) - uint64_t(low), seed, offset);
    FT_CUDA_CHECK_LAUNCH();
  });
}

// Raises at once (one synchronization): the CPU's error, where PyTorch's
// CUDA kernel stops on a device-side assert.
void random_poisson(const Tensor& dst, const Tensor& rate, uint64_t seed, uint64_t offset) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "poisson_cuda", [&] {
    poisson_kernel<scalar_t><<<grid_size(n), kThreads, 0, stream()>>>(
        dst->data_as<scalar_t>(), rate->data_as<scalar_t>(), n, seed, offset, error_words());
    FT_CUDA_CHECK_LAUNCH();
  });
  FT_CHECK(!take_error_report().raised, RuntimeError, "invalid Poisson rate, expected rate to be non-negative");
}

void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, uint64_t seed, uint64_t offset) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "binomial_cuda", [&] {
    binomial_kernel<scalar_t><<<grid_size(n), kThreads, 0, stream()>>>(
        dst->data_as<scalar_t>(), count->data_as<scalar_t>(), prob->data_as<scalar_t>(), n, seed, offset);
    FT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace ft::cuda
