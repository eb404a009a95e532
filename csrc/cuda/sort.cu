// CUDA row sort: a bitonic network over each row padded to a power of two.
// It sorts (key, position) pairs, so the order is total (equal keys by
// position) and the result is the CPU's stable sort exactly; padding slots
// order after every real element and are never written out. One launch per
// network step: log2(w) (log2(w) + 1) / 2 launches for rows padded to w.
#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

template <class T>
struct RowOrder {
  int64_t cols;
  bool descending;

  __device__ static bool key_less(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return false;  // NaN is after everything
      if (b != b) return true;
    }
    return a < b;
  }
  // Whether (a at position i) comes before (b at position j) in the sorted row.
  __device__ bool before(T a, int64_t i, T b, int64_t j) const {
    if (i >= cols || j >= cols) return i < j;  // padding (positions >= cols) goes last
    if (key_less(a, b)) return !descending;
    if (key_less(b, a)) return descending;
    return i < j;
  }
};

template <class T>
__global__ void load_rows_kernel(T* keys, int64_t* pos, const T* in, int64_t rows, int64_t cols, int64_t width) {
  const int64_t total = rows * width;
  for (int64_t e = global_thread_index(); e < total; e += global_thread_count()) {
    const int64_t r = e / width, c = e % width;
    pos[e] = c;
    keys[e] = c < cols ? in[r * cols + c] : T(0);
  }
}

// One step of the network: every pair (i, i + stride) with bit `stride` of i
// clear is put in the order of its bitonic block (ascending where bit `block`
// of i is clear, descending elsewhere).
template <class T>
__global__ void bitonic_step_kernel(T* keys, int64_t* pos, int64_t rows, int64_t width, int64_t block,
                                    int64_t stride, RowOrder<T> order) {
  const int64_t half = width / 2, total = rows * half;
  for (int64_t p = global_thread_index(); p < total; p += global_thread_count()) {
    const int64_t r = p / half, q = p % half;
    const int64_t i = (q / stride) * 2 * stride + q % stride, j = i + stride;
    T* k = keys + r * width;
    int64_t* s = pos + r * width;
    const T a = k[i], b = k[j];
    const int64_t ia = s[i], ib = s[j];
    const bool swap = (i & block) == 0 ? order.before(b, ib, a, ia) : order.before(a, ia, b, ib);
    if (swap) {
      k[i] = b;
      k[j] = a;
      s[i] = ib;
      s[j] = ia;
    }
  }
}

template <class T>
__global__ void store_rows_kernel(T* values, int64_t* indices, const T* keys, const int64_t* pos, int64_t rows,
                                  int64_t cols, int64_t width) {
  const int64_t total = rows * cols;
  for (int64_t e = global_thread_index(); e < total; e += global_thread_count()) {
    const int64_t r = e / cols, c = e % cols;
    values[e] = keys[r * width + c];
    indices[e] = pos[r * width + c];
  }
}

}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending) {
  const int64_t rows = in->shape()[0], cols = in->shape()[1];
  if (rows * cols == 0) return;
  int64_t width = 1;
  while (width < cols) width *= 2;
  Tensor pos = empty(Shape{rows, width}, DType::Int64, in->device());
  FT_DISPATCH_ALL_TYPES(in->dtype(), "sort", [&] {
    using T = scalar_t;
    Tensor keys = empty(Shape{rows, width}, in->dtype(), in->device());
    load_rows_kernel<T><<<grid_size(rows * width), kThreads, 0, stream()>>>(
        keys->data_as<T>(), pos->data_as<int64_t>(), in->data_as<T>(), rows, cols, width);
    FT_CUDA_CHECK_LAUNCH();
    const RowOrder<T> order{cols, descending};
    for (int64_t block = 2; block <= width; block *= 2) {
      for (int64_t stride = block / 2; stride > 0; stride /= 2) {
        bitonic_step_kernel<T><<<grid_size(rows * width / 2), kThreads, 0, stream()>>>(
            keys->data_as<T>(), pos->data_as<int64_t>(), rows, width, block, stride, order);
        FT_CUDA_CHECK_LAUNCH();
      }
    }
    store_rows_kernel<T><<<grid_size(rows * cols), kThreads, 0, stream()>>>(
        values->data_as<T>(), indices->data_as<int64_t>(), keys->data_as<T>(), pos->data_as<int64_t>(), rows, cols,
        width);
    FT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace ft::cuda
