// Device-side building blocks shared by the kernel files: launch sizes,
// 16-byte packs for vector loads, warp shuffles of any small type, and math
// overloads that pick the float or double CUDA function by type.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda/cuda_utils.h"

namespace ft::cuda {

constexpr int kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;
// Threads per block of the elementwise-style kernels.
constexpr int kThreads = 256;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for n work items with `threads` per block. Kernels loop with a grid
// stride, so the grid is capped (a few waves are as fast as one block per item).
inline unsigned grid_size(int64_t n_items, int threads = kThreads) {
  const int64_t blocks = ceil_div(std::max<int64_t>(n_items, 1), threads);
  return unsigned(std::min<int64_t>(blocks, int64_t(multiprocessor_count()) * 64));
}

__device__ __forceinline__ int64_t global_thread_index() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t global_thread_count() { return int64_t(gridDim.x) * blockDim.x; }

// V values of T that move as one 16-byte (or smaller) load or store.
template <class T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

// Stores a 16-byte pack of floats or doubles with one vector store. A plain
// store of the pack (or of a float4) is split by NVVM into scalar stores in
// some kernels (nvcc 13.0: the later packs of softmax_cached_kernel with a
// block per row), so this one is written in PTX.
template <class T, int V>
__device__ __forceinline__ void store_pack(T* dst, const Pack<T, V>& p) {
#ifndef FT_CUDA_EMULATOR
  if constexpr (std::is_same_v<T, float> && V == 4) {
    asm volatile("st.global.v4.f32 [%0], {%1, %2, %3, %4};" ::"l"(dst), "f"(p.v[0]), "f"(p.v[1]), "f"(p.v[2]),
                 "f"(p.v[3])
                 : "memory");
    return;
  } else if constexpr (std::is_same_v<T, double> && V == 2) {
    asm volatile("st.global.v2.f64 [%0], {%1, %2};" ::"l"(dst), "d"(p.v[0]), "d"(p.v[1]) : "memory");
    return;
  }
#endif
  *reinterpret_cast<Pack<T, V>*>(dst) = p;
}

// --- warp shuffles of any trivially copyable value ---------------------------
// The value moves as 4-byte words (a 1- or 2-byte value in one word), so a
// (value, index) pair shuffles as easily as a float.

template <class T, class Shuffle>
__device__ __forceinline__ T shuffle_words(T v, const Shuffle& shuffle) {
  static_assert(std::is_trivially_copyable_v<T>, "shuffle a trivially copyable value");
  constexpr int kWords = (sizeof(T) + 3) / 4;
  int words[kWords] = {};
  memcpy(words, &v, sizeof(T));
#pragma unroll
  for (int w = 0; w < kWords; ++w) words[w] = shuffle(words[w]);
  memcpy(&v, words, sizeof(T));
  return v;
}

template <class T>
__device__ __forceinline__ T shuffle_xor(T v, int lane_mask) {
  return shuffle_words(v, [&](int w) { return __shfl_xor_sync(kFullMask, w, lane_mask); });
}
template <class T>
__device__ __forceinline__ T shuffle_up(T v, int delta) {
  return shuffle_words(v, [&](int w) { return __shfl_up_sync(kFullMask, w, delta); });
}
template <class T>
__device__ __forceinline__ T shuffle_from(T v, int src_lane) {
  return shuffle_words(v, [&](int w) { return __shfl_sync(kFullMask, w, src_lane); });
}

// Combines v across the 32 lanes of a warp (butterfly: every lane gets the result).
template <class T, class Merge>
__device__ __forceinline__ T warp_all_reduce(T v, const Merge& merge) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) v = merge(v, shuffle_xor(v, offset));
  return v;
}

// Combines v across the whole block (blockDim.x a multiple of 32, at most
// 1024); every thread gets the result. Safe to call several times in a row.
template <class T, class Merge>
__device__ __forceinline__ T block_all_reduce(T v, const Merge& merge) {
  __shared__ T partial[kWarpSize];
  v = warp_all_reduce(v, merge);
  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x % kWarpSize;
  const int n_warps = blockDim.x / kWarpSize;
  __syncthreads();  // a previous call may still be reading `partial`
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  T r = partial[0];
  for (int w = 1; w < n_warps; ++w) r = merge(r, partial[w]);
  return r;
}

// --- math by type: the float function for float, the double one for double ---

#define FT_CUDA_MATH_OVERLOAD(NAME, FLOAT_FN, DOUBLE_FN)                \
  __device__ __forceinline__ float NAME(float x) { return FLOAT_FN(x); } \
  __device__ __forceinline__ double NAME(double x) { return DOUBLE_FN(x); }

namespace math {
FT_CUDA_MATH_OVERLOAD(exp, ::expf, ::exp)
FT_CUDA_MATH_OVERLOAD(log, ::logf, ::log)
FT_CUDA_MATH_OVERLOAD(log1p, ::log1pf, ::log1p)
FT_CUDA_MATH_OVERLOAD(sqrt, ::sqrtf, ::sqrt)
FT_CUDA_MATH_OVERLOAD(sin, ::sinf, ::sin)
FT_CUDA_MATH_OVERLOAD(cos, ::cosf, ::cos)
FT_CUDA_MATH_OVERLOAD(tanh, ::tanhf, ::tanh)
FT_CUDA_MATH_OVERLOAD(floor, ::floorf, ::floor)
FT_CUDA_MATH_OVERLOAD(ceil, ::ceilf, ::ceil)
FT_CUDA_MATH_OVERLOAD(trunc, ::truncf, ::trunc)
FT_CUDA_MATH_OVERLOAD(rint, ::rintf, ::rint)  // round half to even, as std::nearbyint
FT_CUDA_MATH_OVERLOAD(expm1, ::expm1f, ::expm1)
FT_CUDA_MATH_OVERLOAD(exp2, ::exp2f, ::exp2)
FT_CUDA_MATH_OVERLOAD(log2, ::log2f, ::log2)
FT_CUDA_MATH_OVERLOAD(log10, ::log10f, ::log10)
FT_CUDA_MATH_OVERLOAD(sinh, ::sinhf, ::sinh)
FT_CUDA_MATH_OVERLOAD(cosh, ::coshf, ::cosh)
FT_CUDA_MATH_OVERLOAD(tan, ::tanf, ::tan)
FT_CUDA_MATH_OVERLOAD(asin, ::asinf, ::asin)
FT_CUDA_MATH_OVERLOAD(acos, ::acosf, ::acos)
FT_CUDA_MATH_OVERLOAD(atan, ::atanf, ::atan)
FT_CUDA_MATH_OVERLOAD(erf, ::erff, ::erf)
FT_CUDA_MATH_OVERLOAD(erfc, ::erfcf, ::erfc)
FT_CUDA_MATH_OVERLOAD(asinh, ::asinhf, ::asinh)
FT_CUDA_MATH_OVERLOAD(acosh, ::acoshf, ::acosh)
FT_CUDA_MATH_OVERLOAD(atanh, ::atanhf, ::atanh)
FT_CUDA_MATH_OVERLOAD(lgamma, ::lgammaf, ::lgamma)
__device__ __forceinline__ float fmod(float x, float y) { return ::fmodf(x, y); }
__device__ __forceinline__ double fmod(double x, double y) { return ::fmod(x, y); }
__device__ __forceinline__ float pow(float x, float y) { return ::powf(x, y); }
__device__ __forceinline__ double pow(double x, double y) { return ::pow(x, y); }
__device__ __forceinline__ float fma(float x, float y, float z) { return ::fmaf(x, y, z); }
__device__ __forceinline__ double fma(double x, double y, double z) { return ::fma(x, y, z); }
__device__ __forceinline__ float copysign(float x, float y) { return ::copysignf(x, y); }
__device__ __forceinline__ double copysign(double x, double y) { return ::copysign(x, y); }
template <class T>
__device__ __forceinline__ T infinity() {
  return std::is_same_v<T, float> ? T(__int_as_float(0x7f800000)) : T(__longlong_as_double(0x7ff0000000000000ll));
}
}  // namespace math

#undef FT_CUDA_MATH_OVERLOAD

}  // namespace ft::cuda
