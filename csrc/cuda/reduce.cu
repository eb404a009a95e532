// CUDA reductions and cumsum.
//
// The input's dims are coalesced and split into kept dims K and reduced dims
// R, exactly as cpu/reduce.cpp does. Then one of two loop shapes reads the
// input coalesced without a transposing copy:
//   lanes:   the reduced dims are the fastest-moving ones (sum over the last
//            dim, or everything): a warp (short rows) or a block (long rows)
//            per output; its lanes stride along the row with 16-byte loads
//            when the row is contiguous, then combine with warp shuffles;
//   columns: a kept dim is the fastest-moving one (sum over dim 0): the 32
//            threads of a warp own 32 neighbouring outputs and step together
//            down the reduced dims; 8 warps split the reduced range and
//            combine through shared memory.
// When there are too few outputs to fill the GPU, the reduced range is also
// split across blocks (grid y) that write partial results, and a second small
// kernel merges each output's partials (deterministic, no atomics).
#include <limits>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// Dims of one kind (kept or reduced), innermost first.
struct ReduceDims {
  int n = 0;
  int64_t size[kMaxDims];
  int64_t in_stride[kMaxDims];   // elements
  int64_t out_stride[kMaxDims];  // elements (0 for reduced dims)
};

struct ReducePlan {
  ReduceDims kept, red;
  int64_t n_out = 1, n_red = 1;
};

// Same coalescing as cpu/reduce.cpp's make_plan, stored innermost first.
ReducePlan make_plan(const Tensor& out, const Tensor& in, uint32_t mask) {
  int n = 0;
  int64_t size[kMaxDims], in_stride[kMaxDims], out_stride[kMaxDims];  // outermost first
  for (int d = 0; d < in->dim(); ++d) {
    if (in->shape()[d] == 1) continue;
    const bool red = mask >> d & 1;
    const int64_t os = red ? 0 : out->strides()[d];
    const int64_t is = in->strides()[d];
    if (n > 0) {
      const int p = n - 1;
      const bool same_kind = (out_stride[p] == 0) == red;
      if (same_kind && in_stride[p] == is * in->shape()[d] && out_stride[p] == os * in->shape()[d]) {
        size[p] *= in->shape()[d];
        in_stride[p] = is;
        out_stride[p] = os;
        continue;
      }
    }
    size[n] = in->shape()[d];
    in_stride[n] = is;
    out_stride[n] = os;
    ++n;
  }
  ReducePlan p;
  for (int d = n - 1; d >= 0; --d) {
    ReduceDims& t = out_stride[d] == 0 ? p.red : p.kept;
    t.size[t.n] = size[d];
    t.in_stride[t.n] = in_stride[d];
    t.out_stride[t.n] = out_stride[d];
    ++t.n;
  }
  for (int d = 0; d < p.kept.n; ++d) p.n_out *= p.kept.size[d];
  for (int d = 0; d < p.red.n; ++d) p.n_red *= p.red.size[d];
  return p;
}

// Input and output offsets (elements) of linear position i of a dims list.
__device__ __forceinline__ void offsets_of(const ReduceDims& d, int64_t i, int64_t& in_off, int64_t& out_off) {
  in_off = 0;
  out_off = 0;
  if (d.n == 1) {
    in_off = i * d.in_stride[0];
    out_off = i * d.out_stride[0];
    return;
  }
#pragma unroll
  for (int k = 0; k < kMaxDims; ++k) {
    if (k == d.n) break;
    const int64_t idx = i % d.size[k];
    i /= d.size[k];
    in_off += idx * d.in_stride[k];
    out_off += idx * d.out_stride[k];
  }
}

// --- reducers: identity, one element, merge of two partial results, finish ---

template <class T, ReduceOp Op>
struct ArithmeticReducer {  // Sum, Mean, Prod, Max, Min: the accumulator is T
  using In = T;
  using Acc = T;
  using Out = T;
  __device__ static Acc identity() {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) return Acc(0);
    else if constexpr (Op == ReduceOp::Prod) return Acc(1);
    else if constexpr (Op == ReduceOp::Max)
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    else return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  __device__ static Acc from(T x, int64_t) { return x; }
  __device__ static Acc merge(Acc a, Acc b) {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) return Acc(a + b);
    else if constexpr (Op == ReduceOp::Prod) return Acc(a * b);
    else if constexpr (Op == ReduceOp::Max) {
      if constexpr (std::is_floating_point_v<T>) return (b != b || b > a) ? b : a;  // NaN propagates
      else return b > a ? b : a;
    } else {
      if constexpr (std::is_floating_point_v<T>) return (b != b || b < a) ? b : a;
      else return b < a ? b : a;
    }
  }
  __device__ static Out finish(Acc a, double scale) {
    if constexpr (Op == ReduceOp::Mean) return T(a * Acc(scale));
    else return a;
  }
};

template <class T>
struct ValueIndex {
  T value;
  int64_t index;
};

// ArgMax / ArgMin: the first index of the extreme value, or of the first NaN.
// merge is associative and commutative (ties go to the smaller index), so
// any combining order gives the CPU's answer.
template <class T, bool IsMax>
struct ArgReducer {
  using In = T;
  using Acc = ValueIndex<T>;
  using Out = int64_t;
  __device__ static bool is_nan(T x) {
    if constexpr (std::is_floating_point_v<T>) return x != x;
    else return false;
  }
  __device__ static Acc identity() {
    return {IsMax ? ArithmeticReducer<T, ReduceOp::Max>::identity() : ArithmeticReducer<T, ReduceOp::Min>::identity(),
            std::numeric_limits<int64_t>::max()};
  }
  __device__ static Acc from(T x, int64_t r) { return {x, r}; }
  __device__ static Acc merge(Acc a, Acc b) {
    const bool a_nan = is_nan(a.value), b_nan = is_nan(b.value);
    if (a_nan != b_nan) return a_nan ? a : b;
    if (!a_nan && a.value != b.value) return (IsMax ? b.value > a.value : b.value < a.value) ? b : a;
    return b.index < a.index ? b : a;
  }
  __device__ static Out finish(Acc a, double) { return a.index; }
};

template <class T, bool IsAll>
struct BoolReducer {  // All / Any of "x != 0"
  using In = T;
  using Acc = bool;
  using Out = bool;
  __device__ static Acc identity() { return IsAll; }
  __device__ static Acc from(T x, int64_t) { return x != T(0); }
  __device__ static Acc merge(Acc a, Acc b) { return IsAll ? (a && b) : (a || b); }
  __device__ static Out finish(Acc a, double) { return a; }
};

// Where a group's result goes: the output, or its split's partial slot.
template <class R>
__device__ __forceinline__ void store_result(typename R::Out* out, typename R::Acc* partial,
                                             int64_t o, int64_t out_off, typename R::Acc acc, double scale) {
  if (gridDim.y == 1) out[out_off] = R::finish(acc, scale);
  else partial[o * gridDim.y + blockIdx.y] = acc;
}

// Reduced-range slice [begin, end) of split blockIdx.y.
__device__ __forceinline__ void split_range(int64_t n_red, int64_t& begin, int64_t& end) {
  const int64_t chunk = (n_red + gridDim.y - 1) / gridDim.y;
  begin = min(n_red, int64_t(blockIdx.y) * chunk);
  end = min(n_red, begin + chunk);
}

// Lanes of one group stride along the reduced range of one output.
// kWholeBlock: the group is the block (long rows); else a warp (short rows).
template <class R, bool kWholeBlock>
__global__ void __launch_bounds__(kThreads) reduce_lanes_kernel(ReducePlan p, const typename R::In* in,
                                                                typename R::Out* out, typename R::Acc* partial,
                                                                double scale) {
  using In = typename R::In;
  using Acc = typename R::Acc;
  constexpr int V = 16 / sizeof(In);
  const int lanes = kWholeBlock ? blockDim.x : kWarpSize;
  const int lane = kWholeBlock ? threadIdx.x : threadIdx.x % kWarpSize;
  const int64_t groups_per_block = kWholeBlock ? 1 : blockDim.x / kWarpSize;
  const int64_t first_group = blockIdx.x * groups_per_block + (kWholeBlock ? 0 : threadIdx.x / kWarpSize);
  const int64_t n_groups = gridDim.x * groups_per_block;
  int64_t r_begin, r_end;
  split_range(p.n_red, r_begin, r_end);
  const bool contiguous_rows = p.red.n == 1 && p.red.in_stride[0] == 1;
  const auto merge = [](Acc a, Acc b) { return R::merge(a, b); };
  for (int64_t o = first_group; o < p.n_out; o += n_groups) {  // the same o for the whole group
    int64_t in_base, out_off;
    offsets_of(p.kept, o, in_base, out_off);
    Acc acc = R::identity();
    if (contiguous_rows) {
      // row[0 .. len): an unaligned head, 16-byte packs, a tail.
      const In* row = in + in_base + r_begin;
      const int64_t len = r_end - r_begin;
      const int64_t misaligned = (reinterpret_cast<uintptr_t>(row) % 16) / sizeof(In);
      const int64_t head = min(len, misaligned == 0 ? int64_t(0) : int64_t(V) - misaligned);
      const int64_t n_packs = (len - head) / V;
      for (int64_t i = lane; i < head; i += lanes) acc = R::merge(acc, R::from(row[i], r_begin + i));
      const Pack<In, V>* packs = reinterpret_cast<const Pack<In, V>*>(row + head);
      for (int64_t k = lane; k < n_packs; k += lanes) {
        const Pack<In, V> v = packs[k];
#pragma unroll
        for (int j = 0; j < V; ++j) acc = R::merge(acc, R::from(v.v[j], r_begin + head + k * V + j));
      }
      for (int64_t i = head + n_packs * V + lane; i < len; i += lanes)
        acc = R::merge(acc, R::from(row[i], r_begin + i));
    } else {
      for (int64_t r = r_begin + lane; r < r_end; r += lanes) {
        int64_t off, unused;
        offsets_of(p.red, r, off, unused);
        acc = R::merge(acc, R::from(in[in_base + off], r));
      }
    }
    if constexpr (kWholeBlock) acc = block_all_reduce(acc, merge);
    else acc = warp_all_reduce(acc, merge);
    if (lane == 0) store_result<R>(out, partial, o, out_off, acc, scale);
  }
}

// Block (32, 8): threadIdx.x picks one of 32 neighbouring outputs, threadIdx.y
// one of 8 interleaved slices of the reduced range.
constexpr int kColumnRows = 8;

template <class R>
__global__ void __launch_bounds__(kWarpSize * kColumnRows) reduce_columns_kernel(ReducePlan p, const typename R::In* in,
                                                                               typename R::Out* out,
                                                                               typename R::Acc* partial, double scale) {
  using Acc = typename R::Acc;
  __shared__ Acc slices[kColumnRows][kWarpSize];
  int64_t r_begin, r_end;
  split_range(p.n_red, r_begin, r_end);
  const int64_t o = int64_t(blockIdx.x) * kWarpSize + threadIdx.x;
  int64_t in_base = 0, out_off = 0;
  Acc acc = R::identity();
  if (o < p.n_out) {
    offsets_of(p.kept, o, in_base, out_off);
    for (int64_t r = r_begin + threadIdx.y; r < r_end; r += kColumnRows) {
      int64_t off, unused;
      offsets_of(p.red, r, off, unused);
      acc = R::merge(acc, R::from(in[in_base + off], r));
    }
  }
  slices[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && o < p.n_out) {
    for (int y = 1; y < kColumnRows; ++y) acc = R::merge(acc, slices[y][threadIdx.x]);
    store_result<R>(out, partial, o, out_off, acc, scale);
  }
}

// partial (n_out, splits) -> out: each thread merges one output's partials.
template <class R>
__global__ void reduce_partials_kernel(ReducePlan p, const typename R::Acc* partial, int splits,
                                       typename R::Out* out, double scale) {
  for (int64_t o = global_thread_index(); o < p.n_out; o += global_thread_count()) {
    typename R::Acc acc = R::identity();
    for (int s = 0; s < splits; ++s) acc = R::merge(acc, partial[o * splits + s]);
    int64_t unused, out_off;
    offsets_of(p.kept, o, unused, out_off);
    out[out_off] = R::finish(acc, scale);
  }
}

// Splits of the reduced range: enough blocks for ~4 per SM, each split at
// least `min_per_split` elements long.
int choose_splits(int64_t blocks, int64_t n_red, int64_t min_per_split) {
  const int64_t target = 4 * int64_t(multiprocessor_count());
  if (blocks >= target / 2) return 1;
  const int64_t by_work = std::max<int64_t>(1, n_red / min_per_split);
  return int(std::clamp<int64_t>(ceil_div(target, blocks), 1, std::min<int64_t>(by_work, 65535)));
}

template <class R>
void run_reduce(const Tensor& out, const Tensor& in, const ReducePlan& p, double scale) {
  using Acc = typename R::Acc;
  const auto* src = in->data_as<typename R::In>();
  auto* dst = out->data_as<typename R::Out>();
  // Lanes when the reduced dims move fastest in memory, columns otherwise.
  bool lanes = true;
  if (p.red.n == 0) lanes = false;
  else if (p.kept.n > 0) lanes = std::abs(p.red.in_stride[0]) <= std::abs(p.kept.in_stride[0]);

  int splits = 1;
  dim3 grid, block;
  bool whole_block = false;
  if (lanes) {
    whole_block = p.n_red > 2048;
    if (whole_block) {
      splits = choose_splits(p.n_out, p.n_red, 16384);
      grid = dim3(unsigned(std::min<int64_t>(p.n_out, 65535)), splits);
    } else {
      grid = dim3(unsigned(std::min<int64_t>(ceil_div(p.n_out, kThreads / kWarpSize), 65535)), 1);
    }
    block = dim3(kThreads);
  } else {
    const int64_t blocks = ceil_div(p.n_out, kWarpSize);
    splits = choose_splits(blocks, p.n_red, 256);
    grid = dim3(unsigned(blocks), splits);
    block = dim3(kWarpSize, kColumnRows);
  }
  Tensor partial_buffer;
  Acc* partial = nullptr;
  if (splits > 1) {
    partial_buffer = empty(Shape{int64_t(p.n_out * splits * sizeof(Acc))}, DType::UInt8, out->device());
    partial = static_cast<Acc*>(partial_buffer->data());
  }
  if (lanes && whole_block) reduce_lanes_kernel<R, true><<<grid, block, 0, stream()>>>(p, src, dst, partial, scale);
  else if (lanes) reduce_lanes_kernel<R, false><<<grid, block, 0, stream()>>>(p, src, dst, partial, scale);
  else reduce_columns_kernel<R><<<grid, block, 0, stream()>>>(p, src, dst, partial, scale);
  FT_CUDA_CHECK_LAUNCH();
  if (splits > 1) {
    reduce_partials_kernel<R><<<grid_size(p.n_out), kThreads, 0, stream()>>>(p, partial, splits, dst, scale);
    FT_CUDA_CHECK_LAUNCH();
  }
}

// --- cumsum: a warp per line, scanning 32 elements at a time with a carry ---

struct LineDims {  // the dims other than the scanned one, innermost first
  int n = 0;
  int64_t size[kMaxDims];
  int64_t in_stride[kMaxDims];
  int64_t out_stride[kMaxDims];
};

template <class T>
__global__ void __launch_bounds__(kThreads) cumsum_kernel(const T* in, T* out, LineDims lines_dims, int64_t lines,
                                                          int64_t n, int64_t in_step, int64_t out_step) {
  const int lane = threadIdx.x % kWarpSize;
  const int64_t warps = global_thread_count() / kWarpSize;
  for (int64_t line = global_thread_index() / kWarpSize; line < lines; line += warps) {
    int64_t rem = line, io = 0, oo = 0;
    for (int k = 0; k < lines_dims.n; ++k) {
      const int64_t idx = rem % lines_dims.size[k];
      rem /= lines_dims.size[k];
      io += idx * lines_dims.in_stride[k];
      oo += idx * lines_dims.out_stride[k];
    }
    T carry = T(0);
    for (int64_t base = 0; base < n; base += kWarpSize) {
      const int64_t i = base + lane;
      T v = i < n ? in[io + i * in_step] : T(0);
#pragma unroll
      for (int d = 1; d < kWarpSize; d *= 2) {  // inclusive scan across the warp
        const T u = shuffle_up(v, d);
        if (lane >= d) v = T(v + u);
      }
      v = T(v + carry);
      if (i < n) out[oo + i * out_step] = v;
      carry = shuffle_from(v, kWarpSize - 1);
    }
  }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t dim_mask) {
  if (out->numel() == 0) return;
  const ReducePlan p = make_plan(out, in, dim_mask);
  const double mean_scale = 1.0 / double(p.n_red);
  FT_DISPATCH_ALL_TYPES(in->dtype(), "reduce", [&] {
    using T = scalar_t;
    switch (op) {
      case ReduceOp::Sum:
        if constexpr (!std::is_same_v<T, bool>) return run_reduce<ArithmeticReducer<T, ReduceOp::Sum>>(out, in, p, 1.0);
        break;
      case ReduceOp::Mean:
        if constexpr (std::is_floating_point_v<T>)
          return run_reduce<ArithmeticReducer<T, ReduceOp::Mean>>(out, in, p, mean_scale);
        break;
      case ReduceOp::Prod:
        if constexpr (!std::is_same_v<T, bool>) return run_reduce<ArithmeticReducer<T, ReduceOp::Prod>>(out, in, p, 1.0);
        break;
      case ReduceOp::Max: return run_reduce<ArithmeticReducer<T, ReduceOp::Max>>(out, in, p, 1.0);
      case ReduceOp::Min: return run_reduce<ArithmeticReducer<T, ReduceOp::Min>>(out, in, p, 1.0);
      case ReduceOp::ArgMax: return run_reduce<ArgReducer<T, true>>(out, in, p, 1.0);
      case ReduceOp::ArgMin: return run_reduce<ArgReducer<T, false>>(out, in, p, 1.0);
      case ReduceOp::All: return run_reduce<BoolReducer<T, true>>(out, in, p, 1.0);
      case ReduceOp::Any: return run_reduce<BoolReducer<T, false>>(out, in, p, 1.0);
    }
    throw NotImplementedError(str("reduction not implemented for '", dtype_scalar_name(in->dtype()), "'"));
  });
}

void cumsum(const Tensor& out, const Tensor& in, int dim) {
  if (out->numel() == 0) return;
  const int nd = in->dim();
  const int64_t n = nd == 0 ? 1 : in->shape()[dim];
  const int64_t in_step = nd == 0 ? 0 : in->strides()[dim], out_step = nd == 0 ? 0 : out->strides()[dim];
  LineDims rest;
  for (int d = nd - 1; d >= 0; --d) {
    if (d == dim) continue;
    rest.size[rest.n] = in->shape()[d];
    rest.in_stride[rest.n] = in->strides()[d];
    rest.out_stride[rest.n] = out->strides()[d];
    ++rest.n;
  }
  int64_t lines = 1;
  for (int k = 0; k < rest.n; ++k) lines *= rest.size[k];
  FT_DISPATCH_ALL_TYPES(out->dtype(), "cumsum", [&] {
    using T = scalar_t;
    if constexpr (!std::is_same_v<T, bool>) {
      const int64_t warps_per_block = kThreads / kWarpSize;
      const unsigned blocks = unsigned(std::min<int64_t>(ceil_div(lines, warps_per_block), 65535));
      cumsum_kernel<T><<<blocks, kThreads, 0, stream()>>>(in->data_as<T>(), out->data_as<T>(), rest, lines, n,
                                                          in_step, out_step);
      FT_CUDA_CHECK_LAUNCH();
      return;
    }
    throw RuntimeError("cumsum: unsupported dtype bool");
  });
}

}  // namespace ft::cuda
