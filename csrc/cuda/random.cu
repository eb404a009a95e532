// CUDA random fills on Philox (cuda/philox.h): element i of a call is lane
// i % 4 of counter (offset + i / 4) under key `seed`, so the values do not
// depend on the launch shape. One thread per counter. Uniform: 24 random bits
// (float) or 53 (double, two keys); normal: Box-Muller in double on lane
// pairs; integers: 64 random bits modulo the range. (The CPU draws PyTorch's
// CPU numbers instead: cpu/random.cpp.)
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

}  // namespace ft::cuda
