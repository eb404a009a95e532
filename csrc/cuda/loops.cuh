// Elementwise loops on the GPU: out = f(in_1, ..., in_n) over one shape.
//
// The host side coalesces dims exactly as cpu/loops.h does (drops size-1
// dims, merges dims every operand steps across evenly), then picks one of
// two kernels:
//   vector:  every operand is contiguous or a broadcast scalar over the flat
//            index, and the contiguous ones are aligned: each thread moves V
//            elements with one 16-byte load per operand (V = 16 / largest
//            itemsize) - the MLX "vector-vector / vector-scalar" cases;
//   strided: anything else: each thread turns its flat index into per-operand
//            offsets (div/mod over at most kMaxDims coalesced dims).
// An input that is a CPU tensor (a Python number in a CUDA op) is read on
// the host and passed by value in the kernel arguments.
#pragma once

#include <array>
#include <cuda/std/tuple>
#include <utility>

#include "cuda/device_utils.cuh"

namespace ft::cuda {

// A value of any dtype, passed to a kernel by value.
union HostScalar {
  bool b;
  uint8_t u8;
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
};

template <class T>
__host__ __device__ __forceinline__ T scalar_as(const HostScalar& s) {
  if constexpr (std::is_same_v<T, bool>) return s.b;
  else if constexpr (std::is_same_v<T, uint8_t>) return s.u8;
  else if constexpr (std::is_same_v<T, int32_t>) return s.i32;
  else if constexpr (std::is_same_v<T, int64_t>) return s.i64;
  else if constexpr (std::is_same_v<T, float>) return s.f32;
  else return s.f64;
}

// The value of the first element of a CPU tensor, in its own dtype.
inline HostScalar read_host_scalar(const TensorImpl& t) {
  HostScalar s;
  s.i64 = 0;
  FT_DISPATCH_ALL_TYPES(t.dtype(), "cuda elementwise", [&] {
    const scalar_t v = *t.data_as<scalar_t>();
    if constexpr (std::is_same_v<scalar_t, bool>) s.b = v;
    else if constexpr (std::is_same_v<scalar_t, uint8_t>) s.u8 = v;
    else if constexpr (std::is_same_v<scalar_t, int32_t>) s.i32 = v;
    else if constexpr (std::is_same_v<scalar_t, int64_t>) s.i64 = v;
    else if constexpr (std::is_same_v<scalar_t, float>) s.f32 = v;
    else s.f64 = v;
  });
  return s;
}

// Kernel arguments of an elementwise op with N operands (operand 0 is the
// output). Dims are stored innermost first, strides in elements.
template <int N>
struct ElementwiseArgs {
  char* data[N];          // nullptr: a host scalar, its value in scalar[k]
  HostScalar scalar[N];
  uint32_t broadcast;     // bit k: operand k is one value for every element
  int ndim;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];
};

template <int N>
struct ElementwisePlan {
  ElementwiseArgs<N> args;
  int64_t numel = 0;
  int itemsize[N];
  bool flat = false;  // every operand contiguous or broadcast over the flat index
};

// Coalesces the operands of one op (all of `shape`, inputs already broadcast).
template <int N>
ElementwisePlan<N> plan_elementwise(const Shape& shape, const std::array<const TensorImpl*, N>& ops) {
  ElementwisePlan<N> p;
  ElementwiseArgs<N>& a = p.args;
  p.numel = shape.numel();
  a.broadcast = 0;
  int64_t sizes[kMaxDims], strides[N][kMaxDims];  // outermost first while merging
  int nd = 0;
  for (int d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    sizes[nd] = shape[d];
    for (int k = 0; k < N; ++k) strides[k][nd] = ops[k]->device().is_cpu() ? 0 : ops[k]->strides()[d];
    ++nd;
  }
  int merged = 0;
  for (int d = 0; d < nd; ++d) {
    if (merged > 0) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable = mergeable && strides[k][merged - 1] == strides[k][d] * sizes[d];
      if (mergeable) {
        sizes[merged - 1] *= sizes[d];
        for (int k = 0; k < N; ++k) strides[k][merged - 1] = strides[k][d];
        continue;
      }
    }
    sizes[merged] = sizes[d];
    for (int k = 0; k < N; ++k) strides[k][merged] = strides[k][d];
    ++merged;
  }
  a.ndim = merged;
  for (int d = 0; d < merged; ++d) {
    a.sizes[d] = sizes[merged - 1 - d];
    for (int k = 0; k < N; ++k) a.strides[k][d] = strides[k][merged - 1 - d];
  }
  p.flat = merged <= 1;
  for (int k = 0; k < N; ++k) {
    const TensorImpl* t = ops[k];
    p.itemsize[k] = int(t->itemsize());
    a.scalar[k].i64 = 0;
    bool all_zero = true;
    for (int d = 0; d < merged; ++d) all_zero = all_zero && a.strides[k][d] == 0;
    if (t->device().is_cpu()) {
      // Only a Python number (a 0-d CPU tensor, maybe broadcast) may join a CUDA op.
      bool one_value = true;
      for (int d = 0; d < shape.size(); ++d) one_value = one_value && (shape[d] == 1 || t->strides()[d] == 0);
      FT_CHECK(k > 0 && one_value, RuntimeError,
               "Expected all tensors to be on the same device, but found at least two devices, cuda and cpu "
               "(a CPU tensor of shape ", t->shape().str(), " reached a CUDA kernel)");
      a.data[k] = nullptr;
      a.scalar[k] = read_host_scalar(*t);
    } else {
      a.data[k] = static_cast<char*>(t->data());
    }
    if (all_zero) a.broadcast |= 1u << k;
    if (merged == 1 && !all_zero && a.strides[k][0] != 1) p.flat = false;
  }
  if (a.broadcast & 1u && p.numel > 1) p.flat = false;  // the output must be contiguous to be flat
  return p;
}

// --- loads -----------------------------------------------------------------

template <class T, int N>
__device__ __forceinline__ T load_flat(const ElementwiseArgs<N>& a, int k, int64_t i) {
  if (a.data[k] == nullptr) return scalar_as<T>(a.scalar[k]);
  const T* p = reinterpret_cast<const T*>(a.data[k]);
  return p[(a.broadcast >> k & 1u) ? 0 : i];
}

template <int V, class T, int N>
__device__ __forceinline__ Pack<T, V> load_pack(const ElementwiseArgs<N>& a, int k, int64_t first) {
  Pack<T, V> r;
  if (a.data[k] == nullptr || (a.broadcast >> k & 1u)) {
    const T s = load_flat<T>(a, k, 0);
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = s;
  } else {
    r = *reinterpret_cast<const Pack<T, V>*>(reinterpret_cast<const T*>(a.data[k]) + first);
  }
  return r;
}

// Element offsets of flat index i for every operand. The loop is unrolled
// over kMaxDims so the argument arrays are indexed by constants.
template <int N>
__device__ __forceinline__ void strided_offsets(const ElementwiseArgs<N>& a, int64_t i, bool index32,
                                                int64_t (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
  if (index32) {
    uint32_t rem = uint32_t(i);
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == a.ndim) break;
      const uint32_t size = uint32_t(a.sizes[d]);
      const uint32_t idx = rem % size;
      rem /= size;
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += int64_t(idx) * a.strides[k][d];
    }
  } else {
    int64_t rem = i;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == a.ndim) break;
      const int64_t idx = rem % a.sizes[d];
      rem /= a.sizes[d];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * a.strides[k][d];
    }
  }
}

template <class T, int N>
__device__ __forceinline__ T load_strided(const ElementwiseArgs<N>& a, int k, int64_t offset) {
  if (a.data[k] == nullptr) return scalar_as<T>(a.scalar[k]);
  return reinterpret_cast<const T*>(a.data[k])[offset];
}

// --- kernels -----------------------------------------------------------------

template <int V, class Out, class... In, class F, size_t... Is>
__device__ __forceinline__ void vector_body(const ElementwiseArgs<1 + sizeof...(In)>& a, int64_t n, const F& f,
                                            std::index_sequence<Is...>) {
  Out* out = reinterpret_cast<Out*>(a.data[0]);
  const int64_t n_packs = n / V;
  for (int64_t p = global_thread_index(); p < n_packs; p += global_thread_count()) {
    const int64_t first = p * V;
    // One pack per input (a scalar input is repeated V times).
    const auto packs = ::cuda::std::make_tuple(load_pack<V, In>(a, int(Is) + 1, first)...);
    Pack<Out, V> o;
#pragma unroll
    for (int j = 0; j < V; ++j) o.v[j] = f(::cuda::std::get<Is>(packs).v[j]...);
    *reinterpret_cast<Pack<Out, V>*>(out + first) = o;
  }
  // The last n % V elements, one per thread of the first block.
  const int64_t tail = n_packs * V + global_thread_index();
  if (global_thread_index() < V && tail < n) out[tail] = f(load_flat<In>(a, int(Is) + 1, tail)...);
}

// (A __global__ template's parameter pack must come last.)
template <int V, class F, class Out, class... In>
__global__ void __launch_bounds__(kThreads) elementwise_vector_kernel(ElementwiseArgs<1 + sizeof...(In)> a,
                                                                       int64_t n, F f) {
  vector_body<V, Out, In...>(a, n, f, std::index_sequence_for<In...>{});
}

template <class Out, class... In, class F, size_t... Is>
__device__ __forceinline__ void strided_body(const ElementwiseArgs<1 + sizeof...(In)>& a, int64_t n, const F& f,
                                             std::index_sequence<Is...>) {
  constexpr int N = 1 + sizeof...(In);
  const bool index32 = n <= int64_t(INT32_MAX);
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    int64_t off[N];
    strided_offsets(a, i, index32, off);
    reinterpret_cast<Out*>(a.data[0])[off[0]] = f(load_strided<In>(a, int(Is) + 1, off[Is + 1])...);
  }
}

template <class F, class Out, class... In>
__global__ void __launch_bounds__(kThreads) elementwise_strided_kernel(ElementwiseArgs<1 + sizeof...(In)> a,
                                                                        int64_t n, F f) {
  strided_body<Out, In...>(a, n, f, std::index_sequence_for<In...>{});
}

// Elements per thread of the vector kernel: one 16-byte load of the widest operand.
template <class Out, class... In>
constexpr int vector_width() {
  size_t widest = sizeof(Out);
  ((widest = sizeof(In) > widest ? sizeof(In) : widest), ...);
  return int(16 / widest);
}

// Runs f over a planned op: out (operand 0) of type Out, inputs of types In...
template <class Out, class... In, class F>
void launch_elementwise(const ElementwisePlan<1 + sizeof...(In)>& plan, const F& f) {
  constexpr int N = 1 + sizeof...(In);
  constexpr int V = vector_width<Out, In...>();
  const int64_t n = plan.numel;
  if (n == 0) return;
  bool aligned = plan.flat;
  for (int k = 0; k < N && aligned; ++k) {
    const bool contiguous = plan.args.data[k] != nullptr && !(plan.args.broadcast >> k & 1u);
    if (contiguous) aligned = reinterpret_cast<uintptr_t>(plan.args.data[k]) % (size_t(V) * plan.itemsize[k]) == 0;
  }
  if (aligned) {
    elementwise_vector_kernel<V, F, Out, In...><<<grid_size(ceil_div(n, V)), kThreads, 0, stream()>>>(plan.args, n, f);
  } else {
    elementwise_strided_kernel<F, Out, In...><<<grid_size(n), kThreads, 0, stream()>>>(plan.args, n, f);
  }
  FT_CUDA_CHECK_LAUNCH();
}

}  // namespace ft::cuda
