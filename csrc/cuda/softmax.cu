// CUDA softmax, log_softmax, fused cross-entropy, and their backwards, over
// contiguous rows (R, C). A warp handles a row of up to 1024 columns, a
// block a longer one. The softmax forward keeps a row of up to 32 floats
// (16 doubles) per thread in registers, moved in 16-byte packs when the
// rows are aligned: one read, a max, a sum of exps, the outputs. Longer
// rows, and the cross-entropy forward, read each row once for its
// statistics with the online max-and-sum (Milakov & Gimelshein, "Online
// normalizer calculation for softmax", 2018): the running sum is rescaled
// whenever the running max grows, and two partial (max, sum) pairs merge
// the same way across lanes; a second pass (from cache) writes the outputs.
#include <atomic>
#include <iterator>
#include <string>
#include <vector>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// Rows up to this long get a warp each; longer ones a block.
constexpr int64_t kWarpRowLimit = 1024;
// Rows of up to this many elements per thread are kept in registers (softmax
// forward): 32 floats or 16 doubles, 128 bytes (more doubles spill at 512 threads).
template <class T>
constexpr int kMaxCachedElems = 128 / int(sizeof(T));
// Threads of a block per row: 256, 512 or 1024 (row_launch); the cached
// kernel only ever gets 256 or 512 (rows past 32 * 512 elements are not cached).
constexpr int kMaxRowThreads = 1024;
constexpr int kMaxCachedThreads = 512;

// sum = sum over the row of exp(x - max).
template <class T>
struct SoftmaxStats {
  T max;
  T sum;
};

template <class T>
__device__ __forceinline__ SoftmaxStats<T> empty_stats() {
  return {-math::infinity<T>(), T(0)};
}

// Adds one element. -inf contributes nothing (and must not make -inf - -inf);
// NaN makes the sum NaN, and so does +inf (its exp(x - max) is exp(inf - inf)):
// either makes the whole row NaN, as in PyTorch.
template <class T>
__device__ __forceinline__ SoftmaxStats<T> add_element(SoftmaxStats<T> s, T x) {
  if (x > s.max) {
    s.sum = s.sum * math::exp(s.max - x) + (x - x + T(1));  // exp(x - x): 1, or NaN for +inf
    s.max = x;
  } else if (x != -math::infinity<T>()) {
    s.sum += math::exp(x - s.max);
  }
  return s;
}

template <class T>
__device__ __forceinline__ SoftmaxStats<T> merge_stats(SoftmaxStats<T> a, SoftmaxStats<T> b) {
  if (a.max < b.max) {
    const SoftmaxStats<T> t = a;
    a = b;
    b = t;
  }
  if (b.max == -math::infinity<T>()) return a;
  a.sum += b.sum * math::exp(b.max - a.max);
  return a;
}

// Which rows a thread works on, and its lane in the row's group.
struct RowGroup {
  int lane, lanes;
  int64_t first_row, row_step;
};

template <bool kWholeBlock>
__device__ __forceinline__ RowGroup row_group() {
  if constexpr (kWholeBlock) return {int(threadIdx.x), int(blockDim.x), int64_t(blockIdx.x), int64_t(gridDim.x)};
  const int64_t warps_per_block = blockDim.x / kWarpSize;
  return {int(threadIdx.x % kWarpSize), kWarpSize, blockIdx.x * warps_per_block + threadIdx.x / kWarpSize,
          gridDim.x * warps_per_block};
}

template <bool kWholeBlock, class V, class Merge>
__device__ __forceinline__ V group_all_reduce(V v, const Merge& merge) {
  if constexpr (kWholeBlock) return block_all_reduce(v, merge);
  else return warp_all_reduce(v, merge);
}

// Calls f(i, row[i]) for this lane's share of row[0 .. n): 16-byte packs
// from the first aligned element, single elements before and after.
template <class T, class F>
__device__ __forceinline__ void for_row(const T* row, int64_t n, const RowGroup& g, const F& f) {
  constexpr int V = 16 / sizeof(T);
  const int64_t misaligned = (reinterpret_cast<uintptr_t>(row) % 16) / sizeof(T);
  const int64_t head = min(n, misaligned == 0 ? int64_t(0) : int64_t(V) - misaligned);
  const int64_t n_packs = (n - head) / V;
  for (int64_t i = g.lane; i < head; i += g.lanes) f(i, row[i]);
  const Pack<T, V>* packs = reinterpret_cast<const Pack<T, V>*>(row + head);
  for (int64_t k = g.lane; k < n_packs; k += g.lanes) {
    const Pack<T, V> p = packs[k];
#pragma unroll
    for (int j = 0; j < V; ++j) f(head + k * V + j, p.v[j]);
  }
  for (int64_t i = head + n_packs * V + g.lane; i < n; i += g.lanes) f(i, row[i]);
}

// out[i] = f(in[i]) over one row, with packs when in and out are equally aligned.
template <class T, class F>
__device__ __forceinline__ void map_row(const T* in, T* out, int64_t n, bool packs_ok, const RowGroup& g,
                                        const F& f) {
  constexpr int V = 16 / sizeof(T);
  if (!packs_ok) {
    for (int64_t i = g.lane; i < n; i += g.lanes) out[i] = f(in[i]);
    return;
  }
  const int64_t misaligned = (reinterpret_cast<uintptr_t>(in) % 16) / sizeof(T);
  const int64_t head = min(n, misaligned == 0 ? int64_t(0) : int64_t(V) - misaligned);
  const int64_t n_packs = (n - head) / V;
  for (int64_t i = g.lane; i < head; i += g.lanes) out[i] = f(in[i]);
  const Pack<T, V>* in_packs = reinterpret_cast<const Pack<T, V>*>(in + head);
  Pack<T, V>* out_packs = reinterpret_cast<Pack<T, V>*>(out + head);
  for (int64_t k = g.lane; k < n_packs; k += g.lanes) {
    Pack<T, V> p = in_packs[k];
#pragma unroll
    for (int j = 0; j < V; ++j) p.v[j] = f(p.v[j]);
    out_packs[k] = p;
  }
  for (int64_t i = head + n_packs * V + g.lane; i < n; i += g.lanes) out[i] = f(in[i]);
}

// y (rows, cols) = softmax or log_softmax of x (rows, cols) along cols.
template <class T, bool kWholeBlock>
__global__ void __launch_bounds__(kWholeBlock ? kMaxRowThreads : kThreads)
    softmax_kernel(const T* x, T* y, int64_t rows, int64_t cols, bool log, bool packs_ok) {
  const RowGroup g = row_group<kWholeBlock>();
  const auto merge = [](SoftmaxStats<T> a, SoftmaxStats<T> b) { return merge_stats(a, b); };
  for (int64_t r = g.first_row; r < rows; r += g.row_step) {
    const T* xr = x + r * cols;
    SoftmaxStats<T> s = empty_stats<T>();
    for_row(xr, cols, g, [&](int64_t, T v) { s = add_element(s, v); });
    s = group_all_reduce<kWholeBlock>(s, merge);
    const T max = s.max;
    if (log) {
      const T log_sum = math::log(s.sum);
      map_row(xr, y + r * cols, cols, packs_ok, g, [&](T v) { return v - max - log_sum; });
    } else {
      const T inv_sum = T(1) / s.sum;
      map_row(xr, y + r * cols, cols, packs_ok, g, [&](T v) { return math::exp(v - max) * inv_sum; });
    }
  }
}

// The same for rows short enough to stay in registers: each lane loads its
// kElems elements of the row in packs of kVec (pack q of a lane starts at
// element (lane + q * lanes) * kVec: coalesced, all loads in flight at
// once; kVec 16 / sizeof(T) - one 16-byte load - when the row length is a
// multiple of it and the rows are 16-byte aligned, else 1), the group
// reduces the max and then the sum of exp(x - max), and the outputs come
// from the registers - the row is read from memory once and each exp
// computed once.
template <class T, bool kWholeBlock, int kElems, int kVec>
__global__ void __launch_bounds__(kWholeBlock ? kMaxCachedThreads : kThreads)
    softmax_cached_kernel(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
  static_assert(kElems % kVec == 0, "whole packs per lane");
  constexpr int kPacks = kElems / kVec;
  const RowGroup g = row_group<kWholeBlock>();
  const auto max_of = [](T a, T b) { return b > a ? b : a; };  // a NaN is passed over here, caught by the sum
  const auto add = [](T a, T b) { return a + b; };
  // A pack lies wholly inside the row or wholly past its end (cols % kVec == 0).
  const auto pack_start = [&](int q) { return (g.lane + int64_t(q) * g.lanes) * kVec; };
  for (int64_t r = g.first_row; r < rows; r += g.row_step) {
    const T* xr = x + r * cols;
    Pack<T, kVec> v[kPacks];
    T max = -math::infinity<T>();
#pragma unroll
    for (int q = 0; q < kPacks; ++q) {
      if (pack_start(q) < cols) {
        v[q] = *reinterpret_cast<const Pack<T, kVec>*>(xr + pack_start(q));
      } else {
#pragma unroll
        for (int e = 0; e < kVec; ++e) v[q].v[e] = -math::infinity<T>();
      }
#pragma unroll
      for (int e = 0; e < kVec; ++e) max = max_of(max, v[q].v[e]);
    }
    max = group_all_reduce<kWholeBlock>(max, max_of);
    // A NaN anywhere, or +inf (exp(inf - inf)), makes the sum NaN and so the
    // whole row, as in PyTorch; so does a row of -inf. Padding adds exp(-inf) = 0.
    T sum = T(0);
#pragma unroll
    for (int q = 0; q < kPacks; ++q) {
#pragma unroll
      for (int e = 0; e < kVec; ++e) {
        const T ex = pack_start(q) < cols ? math::exp(v[q].v[e] - max) : T(0);
        sum += ex;
        if (!log) v[q].v[e] = ex;
      }
    }
    sum = group_all_reduce<kWholeBlock>(sum, add);
    // y = v * scale + offset, one rounding: log_softmax x - (max + log(sum)),
    // softmax exp(x - max) * (1 / sum) - the same values as the plain
    // subtraction / product, without a branch per element.
    T* yr = y + r * cols;
    const T scale = log ? T(1) : T(1) / sum, offset = log ? -(max + math::log(sum)) : T(0);
#pragma unroll
    for (int q = 0; q < kPacks; ++q) {
#pragma unroll
      for (int e = 0; e < kVec; ++e) v[q].v[e] = math::fma(v[q].v[e], scale, offset);
    }
#pragma unroll
    for (int q = 0; q < kPacks; ++q) {
      if (pack_start(q) < cols) store_pack(yr + pack_start(q), v[q]);
    }
  }
}

// grad_in = y * (grad_out - sum(grad_out * y))       (softmax)
// grad_in = grad_out - exp(y) * sum(grad_out)        (log_softmax)
// all (rows, cols) contiguous.
template <class T, bool kWholeBlock>
__global__ void __launch_bounds__(kWholeBlock ? kMaxRowThreads : kThreads)
    softmax_backward_kernel(T* grad_in, const T* grad_out, const T* y, int64_t rows, int64_t cols, bool log) {
  const RowGroup g = row_group<kWholeBlock>();
  const auto add = [](T a, T b) { return a + b; };
  for (int64_t r = g.first_row; r < rows; r += g.row_step) {
    const T* gr = grad_out + r * cols;
    const T* yr = y + r * cols;
    T* dr = grad_in + r * cols;
    T sum = T(0);
    for (int64_t i = g.lane; i < cols; i += g.lanes) sum += log ? gr[i] : gr[i] * yr[i];
    sum = group_all_reduce<kWholeBlock>(sum, add);
    for (int64_t i = g.lane; i < cols; i += g.lanes)
      dr[i] = log ? gr[i] - math::exp(yr[i]) * sum : yr[i] * (gr[i] - sum);
  }
}

// losses (N,) = logsumexp(row) - row[target]; lse (N,) keeps logsumexp;
// valid (N,) (if not null) 1, or 0 where the target is ignore_index, whose
// loss is 0. Another target outside [0, C) is reported through the error word.
template <class T, bool kWholeBlock>
__global__ void __launch_bounds__(kWholeBlock ? kMaxRowThreads : kThreads)
    cross_entropy_kernel(T* losses, T* lse, T* valid, const T* logits, const int64_t* target, int64_t rows,
                         int64_t cols, int64_t ignore_index, int64_t* error) {
  const RowGroup g = row_group<kWholeBlock>();
  const auto merge = [](SoftmaxStats<T> a, SoftmaxStats<T> b) { return merge_stats(a, b); };
  for (int64_t r = g.first_row; r < rows; r += g.row_step) {
    const T* xr = logits + r * cols;
    SoftmaxStats<T> s = empty_stats<T>();
    for_row(xr, cols, g, [&](int64_t, T v) { s = add_element(s, v); });
    s = group_all_reduce<kWholeBlock>(s, merge);
    if (g.lane == 0) {
      const int64_t t = target[r];
      const T row_lse = s.max + math::log(s.sum);
      lse[r] = row_lse;
      if (valid) valid[r] = t == ignore_index ? T(0) : T(1);
      if (t == ignore_index) {
        losses[r] = T(0);
      } else if (t < 0 || t >= cols) {
        if (atomicCAS(reinterpret_cast<unsigned long long*>(error), 0ull, 1ull) == 0ull) error[1] = t;
        losses[r] = row_lse;
      } else {
        losses[r] = row_lse - xr[t];
      }
    }
  }
}

// grad_logits (N, C) = (exp(logits - lse) - onehot(target)) * grad_losses[n * grad_stride],
// 0 in rows whose target is ignore_index.
template <class T, bool kWholeBlock>
__global__ void __launch_bounds__(kWholeBlock ? kMaxRowThreads : kThreads)
    cross_entropy_backward_kernel(T* grad_logits, const T* grad_losses, int64_t grad_stride, const T* logits,
                                  const int64_t* target, const T* lse, int64_t rows, int64_t cols,
                                  int64_t ignore_index) {
  const RowGroup g = row_group<kWholeBlock>();
  for (int64_t r = g.first_row; r < rows; r += g.row_step) {
    const T* xr = logits + r * cols;
    T* dr = grad_logits + r * cols;
    const int64_t t = target[r];
    if (t == ignore_index) {
      for (int64_t i = g.lane; i < cols; i += g.lanes) dr[i] = T(0);
      continue;
    }
    const T shift = lse[r], scale = grad_losses[r * grad_stride];
    for (int64_t i = g.lane; i < cols; i += g.lanes)
      dr[i] = (math::exp(xr[i] - shift) - (i == t ? T(1) : T(0))) * scale;
  }
}

// Launch shape for rows of `cols` elements: a warp or a block per row.
struct RowLaunch {
  bool whole_block;
  unsigned blocks, threads;
};

// A warp per row in blocks of block_threads, or a block of row_threads per row.
RowLaunch launch_of(int64_t rows, int row_threads, int block_threads) {
  // A block for every row (every row group) up to 2^20 blocks; the kernels
  // loop over the rest. (Not 65535: the x dimension of a grid has no such
  // limit, and a block left with two rows at the end would double the tail.)
  constexpr int64_t kMaxBlocks = int64_t(1) << 20;
  if (row_threads == kWarpSize) {
    const int64_t warps_per_block = block_threads / kWarpSize;
    return {false, unsigned(std::min(ceil_div(rows, warps_per_block), kMaxBlocks)), unsigned(block_threads)};
  }
  return {true, unsigned(std::min(rows, kMaxBlocks)), unsigned(row_threads)};
}

RowLaunch row_launch(int64_t rows, int64_t cols) {
  if (cols <= kWarpRowLimit) return launch_of(rows, kWarpSize, kThreads);
  return launch_of(rows, cols <= 8192 ? 256 : (cols <= 32768 ? 512 : 1024), 0);
}

// The launch shapes the GPU benchmark's sweep may force on the softmax
// forward's register-cached path (force_softmax_launch), named
// "<threads per row>x<threads per block>": a warp per row in blocks of 1, 2,
// 4 or 8 warps (the default for rows up to 1024 is 32x256), or a block per
// row of 64 to 512 threads (fewer elements, and registers, per thread);
// "scalar": one element per load and store (coalesced across the warp, as
// PyTorch's kernel for these rows reads) instead of 16-byte packs. A forced
// shape applies where a row fits its registers, else the default.
struct SoftmaxLaunch {
  const char* name;
  int row_threads, block_threads;
  bool packs;  // 16-byte loads and stores where the rows allow; else one element at a time
};
constexpr SoftmaxLaunch kSoftmaxLaunches[] = {
    {"32x32", 32, 32, true},       {"32x64", 32, 64, true},       {"32x128", 32, 128, true},
    {"32x256", 32, 256, true},     {"64x64", 64, 64, true},       {"128x128", 128, 128, true},
    {"256x256", 256, 256, true},   {"512x512", 512, 512, true},   {"32x128 scalar", 32, 128, false},
    {"32x256 scalar", 32, 256, false}};
std::atomic<int> g_forced_softmax_launch{-1};  // an index into kSoftmaxLaunches, or -1

// Runs kernel<T, whole_block> with the launch shape of (rows, cols).
#define FT_LAUNCH_ROWS(KERNEL, T, LAUNCH, ...)                                                       \
  do {                                                                                               \
    if ((LAUNCH).whole_block)                                                                        \
      KERNEL<T, true><<<(LAUNCH).blocks, (LAUNCH).threads, 0, stream()>>>(__VA_ARGS__);              \
    else                                                                                             \
      KERNEL<T, false><<<(LAUNCH).blocks, (LAUNCH).threads, 0, stream()>>>(__VA_ARGS__);             \
    FT_CUDA_CHECK_LAUNCH();                                                                          \
  } while (0)

// Launches softmax_cached_kernel<T, whole block, kElems, kVec> with the
// smallest power of two kElems >= elements per lane (at most
// kMaxCachedElems<T>), in 16-byte packs where `packs` allows and a lane has
// at least one whole pack.
template <class T, int kElems = 1>
void launch_cached_softmax(const RowLaunch& launch, const T* x, T* y, int64_t rows, int64_t cols, bool log,
                           bool packs) {
  const int64_t lanes = launch.whole_block ? int64_t(launch.threads) : int64_t(kWarpSize);
  if constexpr (kElems < kMaxCachedElems<T>) {
    if (int64_t(kElems) * lanes < cols)
      return launch_cached_softmax<T, kElems * 2>(launch, x, y, rows, cols, log, packs);
  }
  constexpr int kPackVec = 16 / int(sizeof(T));
  const auto run = [&](auto vec) {
    constexpr int kVec = decltype(vec)::value;
    const unsigned blocks = launch.blocks, threads = launch.threads;
    if (launch.whole_block)
      softmax_cached_kernel<T, true, kElems, kVec><<<blocks, threads, 0, stream()>>>(x, y, rows, cols, log);
    else
      softmax_cached_kernel<T, false, kElems, kVec><<<blocks, threads, 0, stream()>>>(x, y, rows, cols, log);
  };
  if constexpr (kElems >= kPackVec) {
    if (packs) run(std::integral_constant<int, kPackVec>{});
    else run(std::integral_constant<int, 1>{});
  } else {
    run(std::integral_constant<int, 1>{});
  }
  FT_CUDA_CHECK_LAUNCH();
}

}  // namespace

void softmax(const Tensor& out, const Tensor& in, bool log) {
  const int64_t rows = in->shape()[0], cols = in->shape()[1];
  if (rows * cols == 0) return;
  RowLaunch launch = row_launch(rows, cols);
  const int64_t per_lane = in->dtype() == DType::Float64 ? kMaxCachedElems<double> : kMaxCachedElems<float>;
  bool packs_allowed = true;
  if (const int forced = g_forced_softmax_launch.load(std::memory_order_relaxed); forced >= 0) {
    const SoftmaxLaunch& f = kSoftmaxLaunches[forced];
    if (cols <= f.row_threads * per_lane) {
      launch = launch_of(rows, f.row_threads, f.block_threads);
      packs_allowed = f.packs;
    }
  }
  const int64_t lanes = launch.whole_block ? int64_t(launch.threads) : int64_t(kWarpSize);
  const int64_t cached_limit = lanes * per_lane;
  if (cols <= cached_limit && (!launch.whole_block || launch.threads <= kMaxCachedThreads)) {
    // 16-byte packs: every row starts 16-byte aligned in both tensors.
    const int64_t row_bytes = cols * int64_t(itemsize(in->dtype()));
    const bool packs = packs_allowed && row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(in->data()) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(out->data()) % 16 == 0;
    FT_DISPATCH_FLOATING_TYPES(in->dtype(), "softmax", [&] {
      launch_cached_softmax<scalar_t>(launch, in->data_as<scalar_t>(), out->data_as<scalar_t>(), rows, cols, log,
                                      packs);
    });
    return;
  }
  const bool packs_ok = (reinterpret_cast<uintptr_t>(in->data()) - reinterpret_cast<uintptr_t>(out->data())) % 16 == 0;
  FT_DISPATCH_FLOATING_TYPES(in->dtype(), "softmax", [&] {
    FT_LAUNCH_ROWS(softmax_kernel, scalar_t, launch, in->data_as<scalar_t>(), out->data_as<scalar_t>(), rows, cols,
                   log, packs_ok);
  });
}

void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log) {
  const int64_t rows = out->shape()[0], cols = out->shape()[1];
  if (rows * cols == 0) return;
  const RowLaunch launch = row_launch(rows, cols);
  FT_DISPATCH_FLOATING_TYPES(out->dtype(), "softmax_backward", [&] {
    FT_LAUNCH_ROWS(softmax_backward_kernel, scalar_t, launch, grad_in->data_as<scalar_t>(),
                   grad_out->data_as<scalar_t>(), out->data_as<scalar_t>(), rows, cols, log);
  });
}

void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                   const Tensor& target_in, int64_t ignore_index) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  if (rows == 0) return;
  const Tensor target = on_device(target_in, logits->device());
  const RowLaunch launch = row_launch(rows, cols);
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy", [&] {
    FT_LAUNCH_ROWS(cross_entropy_kernel, scalar_t, launch, losses->data_as<scalar_t>(), lse->data_as<scalar_t>(),
                   valid ? valid->data_as<scalar_t>() : nullptr, logits->data_as<scalar_t>(),
                   target->data_as<int64_t>(), rows, cols, ignore_index,
                   error_words(DeferredCheck::CrossEntropyTarget));
  });
  // A bad target raises IndexError at the next read of a result (no synchronization here).
  defer_error_check(DeferredCheck::CrossEntropyTarget);
}

void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses_in, const Tensor& logits,
                            const Tensor& target_in, const Tensor& lse, int64_t ignore_index) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  if (rows * cols == 0) return;
  const Tensor grad_losses = on_device(grad_losses_in, logits->device());
  const Tensor target = on_device(target_in, logits->device());
  const int64_t grad_stride = grad_losses->dim() == 0 ? 0 : grad_losses->strides()[0];
  const RowLaunch launch = row_launch(rows, cols);
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy_backward", [&] {
    FT_LAUNCH_ROWS(cross_entropy_backward_kernel, scalar_t, launch, grad_logits->data_as<scalar_t>(),
                   grad_losses->data_as<scalar_t>(), grad_stride, logits->data_as<scalar_t>(),
                   target->data_as<int64_t>(), lse->data_as<scalar_t>(), rows, cols, ignore_index);
  });
}

std::vector<std::string> softmax_launches() {
  std::vector<std::string> names;
  for (const SoftmaxLaunch& l : kSoftmaxLaunches) names.emplace_back(l.name);
  return names;
}

std::string forced_softmax_launch() {
  const int forced = g_forced_softmax_launch.load(std::memory_order_relaxed);
  return forced < 0 ? std::string() : kSoftmaxLaunches[forced].name;
}

void force_softmax_launch(const std::string& name) {
  if (name.empty()) return g_forced_softmax_launch.store(-1, std::memory_order_relaxed);
  for (int i = 0; i < int(std::size(kSoftmaxLaunches)); ++i) {
    if (name == kSoftmaxLaunches[i].name) return g_forced_softmax_launch.store(i, std::memory_order_relaxed);
  }
  std::string known;
  for (const SoftmaxLaunch& l : kSoftmaxLaunches) known += str(known.empty() ? "" : ", ", l.name);
  throw ValueError(str("unknown CUDA softmax launch '", name, "' (known: ", known, ", or '' to choose by shape)"));
}

}  // namespace ft::cuda
