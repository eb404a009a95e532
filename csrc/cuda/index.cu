// CUDA advanced indexing: gather and scatter at precomputed element offsets
// (semantics of cpu/index.cpp), and nonzero.
//
// out / values are contiguous (B, n, A); src / dst are strided views of the
// dims that are not indexed, split at `pos` into B (before) and A (after):
//   gather:  out[b, i, a] = src[b, a] shifted by offsets[i]
//   scatter: dst[b, a] shifted by offsets[i] (+)= values[b, i, a]
// Accumulating scatters (floating types: the gradient of indexing, the one
// caller) use atomicAdd, so repeated offsets add up; plain scatters let one
// of the writes win, as on the CPU.
#include <vector>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// Sizes and strides of one group of dims, innermost first.
struct DimList {
  int n = 0;
  int64_t size[kMaxDims];
  int64_t stride[kMaxDims];
  int64_t numel = 1;
};

struct Split {
  DimList before, after;  // B and A
};

Split split_at(const Tensor& t, int pos) {
  Split s;
  for (int d = t->dim() - 1; d >= 0; --d) {
    DimList& l = d < pos ? s.before : s.after;
    l.size[l.n] = t->shape()[d];
    l.stride[l.n] = t->strides()[d];
    l.numel *= t->shape()[d];
    ++l.n;
  }
  return s;
}

// Element offset of linear position i (row-major) of a dim list.
__device__ __forceinline__ int64_t offset_of(const DimList& l, int64_t i) {
  int64_t off = 0;
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k == l.n) break;
    off += (i % l.size[k]) * l.stride[k];
    i /= l.size[k];
  }
  return off;
}

// out (B, n, A) contiguous, one thread per element.
template <class T>
__global__ void gather_kernel(T* out, const T* src, const int64_t* offsets, int64_t n, Split s) {
  const int64_t total = s.before.numel * n * s.after.numel;
  for (int64_t e = global_thread_index(); e < total; e += global_thread_count()) {
    const int64_t a = e % s.after.numel, rest = e / s.after.numel;
    const int64_t i = rest % n, b = rest / n;
    out[e] = src[offset_of(s.before, b) + offsets[i] + offset_of(s.after, a)];
  }
}

// values (B, n, A) contiguous, one thread per value.
template <class T>
__global__ void scatter_kernel(T* dst, const T* values, const int64_t* offsets, int64_t n, Split s, bool accumulate) {
  const int64_t total = s.before.numel * n * s.after.numel;
  for (int64_t e = global_thread_index(); e < total; e += global_thread_count()) {
    const int64_t a = e % s.after.numel, rest = e / s.after.numel;
    const int64_t i = rest % n, b = rest / n;
    T* to = dst + offset_of(s.before, b) + offsets[i] + offset_of(s.after, a);
    if constexpr (std::is_floating_point_v<T>) {
      if (accumulate) {
        atomicAdd(to, values[e]);
        continue;
      }
    }
    *to = values[e];
  }
}

// --- nonzero: count per block, scan the counts on the host, write in order --

constexpr int kNonzeroItems = 8;  // rounds of kThreads elements per block
constexpr int64_t kNonzeroChunk = int64_t(kThreads) * kNonzeroItems;

// Shape and strides of the input, innermost first.
struct InputDims {
  int n = 0;
  int64_t size[kMaxDims];
  int64_t stride[kMaxDims];
};

template <class T>
__device__ __forceinline__ bool is_nonzero(const T* in, const InputDims& d, int64_t i) {
  int64_t off = 0;
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k == d.n) break;
    off += (i % d.size[k]) * d.stride[k];
    i /= d.size[k];
  }
  return in[off] != T(0);
}

// counts[block] = nonzeros in the block's chunk.
template <class T>
__global__ void __launch_bounds__(kThreads) count_nonzero_kernel(const T* in, InputDims d, int64_t n, int* counts) {
  const int64_t first = blockIdx.x * kNonzeroChunk;
  int count = 0;
  for (int k = 0; k < kNonzeroItems; ++k) {
    const int64_t i = first + k * kThreads + threadIdx.x;
    if (i < n && is_nonzero(in, d, i)) ++count;
  }
  count = block_all_reduce(count, [](int a, int b) { return a + b; });
  if (threadIdx.x == 0) counts[blockIdx.x] = count;
}

// out (total, cols): the coordinates of each nonzero, in row-major order.
template <class T>
__global__ void __launch_bounds__(kThreads) write_nonzero_kernel(const T* in, InputDims d, int64_t n,
                                                                 const int64_t* block_offsets, int64_t* out,
                                                                 int cols) {
  __shared__ int warp_counts[kThreads / kWarpSize];
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  const int64_t first = blockIdx.x * kNonzeroChunk;
  int64_t next = block_offsets[blockIdx.x];  // where this round's first hit goes
  for (int k = 0; k < kNonzeroItems; ++k) {
    const int64_t i = first + k * kThreads + threadIdx.x;
    const bool hit = i < n && is_nonzero(in, d, i);
    const unsigned ballot = __ballot_sync(kFullMask, hit);
    if (lane == 0) warp_counts[warp] = __popc(ballot);
    __syncthreads();
    int before = __popc(ballot & ((1u << lane) - 1u));  // hits of earlier lanes of this warp
    int round_total = 0;
    for (int w = 0; w < kThreads / kWarpSize; ++w) {
      if (w < warp) before += warp_counts[w];
      round_total += warp_counts[w];
    }
    if (hit) {
      int64_t* row = out + (next + before) * cols;
      int64_t rem = i;
      for (int k2 = 0; k2 < d.n; ++k2) {
        row[cols - 1 - k2] = rem % d.size[k2];
        rem /= d.size[k2];
      }
    }
    next += round_total;
    __syncthreads();  // warp_counts is rewritten next round
  }
}

}  // namespace

void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets_in, int pos) {
  const int64_t total = out->numel();
  if (total == 0) return;
  const Tensor offsets = on_device(offsets_in, out->device());
  const Split s = split_at(src, pos);
  const int64_t n = offsets->numel();
  FT_DISPATCH_ALL_TYPES(src->dtype(), "index", [&] {
    gather_kernel<scalar_t><<<grid_size(total), kThreads, 0, stream()>>>(
        out->data_as<scalar_t>(), src->data_as<scalar_t>(), offsets->data_as<int64_t>(), n, s);
    FT_CUDA_CHECK_LAUNCH();
  });
}

void index_scatter(const Tensor& dst, const Tensor& values_in, const Tensor& offsets_in, int pos, bool accumulate) {
  const int64_t total = values_in->numel();
  if (total == 0) return;
  // Values made from a Python number or index lists may arrive on the CPU.
  const Tensor values = on_device(values_in, dst->device());
  const Tensor offsets = on_device(offsets_in, dst->device());
  const Split s = split_at(dst, pos);
  const int64_t n = offsets->numel();
  FT_CHECK(!accumulate || is_floating(dst->dtype()), RuntimeError,
           "index_put_ with accumulate=True is implemented for floating types only on CUDA, not ",
           dtype_scalar_name(dst->dtype()));
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "index_put_", [&] {
    scatter_kernel<scalar_t><<<grid_size(total), kThreads, 0, stream()>>>(
        dst->data_as<scalar_t>(), values->data_as<scalar_t>(), offsets->data_as<int64_t>(), n, s, accumulate);
    FT_CUDA_CHECK_LAUNCH();
  });
}

Tensor nonzero(const Tensor& in) {
  const int nd = in->dim();
  const int cols = nd;  // a 0-d input gives (n, 0), as PyTorch
  const int64_t n = in->numel();
  InputDims d;
  for (int k = nd - 1; k >= 0; --k) {
    d.size[d.n] = in->shape()[k];
    d.stride[d.n] = in->strides()[k];
    ++d.n;
  }
  const int64_t blocks = ceil_div(n, kNonzeroChunk);
  if (blocks == 0) return empty(Shape{0, cols}, DType::Int64, in->device());
  Tensor counts = empty(Shape{blocks}, DType::Int32, in->device());
  FT_DISPATCH_ALL_TYPES(in->dtype(), "nonzero", [&] {
    count_nonzero_kernel<scalar_t><<<unsigned(blocks), kThreads, 0, stream()>>>(in->data_as<scalar_t>(), d, n,
                                                                               counts->data_as<int>());
    FT_CUDA_CHECK_LAUNCH();
  });
  // The output's size depends on the data: this synchronizes, as in PyTorch.
  std::vector<int> host_counts(blocks);
  FT_CUDA_CHECK(cudaMemcpy(host_counts.data(), counts->data(), blocks * sizeof(int), cudaMemcpyDeviceToHost));
  std::vector<int64_t> host_offsets(blocks);
  int64_t total = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    host_offsets[b] = total;
    total += host_counts[b];
  }
  Tensor out = empty(Shape{total, cols}, DType::Int64, in->device());
  if (out->numel() == 0) return out;
  Tensor offsets = empty(Shape{blocks}, DType::Int64, in->device());
  FT_CUDA_CHECK(cudaMemcpy(offsets->data(), host_offsets.data(), blocks * sizeof(int64_t), cudaMemcpyHostToDevice));
  FT_DISPATCH_ALL_TYPES(in->dtype(), "nonzero", [&] {
    write_nonzero_kernel<scalar_t><<<unsigned(blocks), kThreads, 0, stream()>>>(
        in->data_as<scalar_t>(), d, n, offsets->data_as<int64_t>(), out->data_as<int64_t>(), cols);
    FT_CUDA_CHECK_LAUNCH();
  });
  return out;
}

}  // namespace ft::cuda
