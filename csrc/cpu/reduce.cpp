// CPU reductions. The input's dims are coalesced and split into kept dims K
// and reduced dims R; three loop shapes cover the cases without transposing
// copies:
//   row:    R ends in a contiguous run  → vectorized reduce of each run
//           (sum over dim 1 of (4096, 4096), or over everything);
//   column: K ends in a contiguous run  → vectorized accumulate of whole
//           rows into a block of accumulators (sum over dim 0);
//   strided: anything else, element by element.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/loops.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

struct Dims {
  int n = 0;
  int64_t size[kMaxDims];
  int64_t in_stride[kMaxDims];   // elements
  int64_t out_stride[kMaxDims];  // elements, 0 for reduced dims
};

// Kept and reduced dims, outermost first.
struct Plan {
  Dims kept, red;
  int64_t n_out = 1, n_red = 1;
  bool last_is_reduced = false;  // the innermost input dim is a reduced one
};

Plan make_plan(const Tensor& out, const Tensor& in, uint32_t mask) {
  Dims all;
  for (int d = 0; d < in->dim(); ++d) {
    if (in->shape()[d] == 1) continue;
    const bool red = mask >> d & 1;
    const int64_t os = red ? 0 : out->strides()[d];
    const int64_t is = in->strides()[d];
    if (all.n > 0) {
      const int p = all.n - 1;
      const bool same_kind = (all.out_stride[p] == 0) == red;
      if (same_kind && all.in_stride[p] == is * in->shape()[d] && all.out_stride[p] == os * in->shape()[d]) {
        all.size[p] *= in->shape()[d];
        all.in_stride[p] = is;
        all.out_stride[p] = os;
        continue;
      }
    }
    all.size[all.n] = in->shape()[d];
    all.in_stride[all.n] = is;
    all.out_stride[all.n] = os;
    ++all.n;
  }
  Plan p;
  for (int d = 0; d < all.n; ++d) {
    Dims& t = all.out_stride[d] == 0 ? p.red : p.kept;
    t.size[t.n] = all.size[d];
    t.in_stride[t.n] = all.in_stride[d];
    t.out_stride[t.n] = all.out_stride[d];
    ++t.n;
  }
  for (int d = 0; d < p.kept.n; ++d) p.n_out *= p.kept.size[d];
  for (int d = 0; d < p.red.n; ++d) p.n_red *= p.red.size[d];
  p.last_is_reduced = all.n > 0 && all.out_stride[all.n - 1] == 0 && p.red.n > 0;
  return p;
}

// Offset (in elements) of linear position i of a dims list, for in or out.
// One dim (the usual kept dims after coalescing) needs no division.
inline void offsets_of(const Dims& d, int64_t i, int64_t& in_off, int64_t& out_off) {
  if (d.n == 1) {
    in_off = i * d.in_stride[0];
    out_off = i * d.out_stride[0];
    return;
  }
  in_off = 0;
  out_off = 0;
  for (int k = d.n - 1; k >= 0; --k) {
    const int64_t idx = i % d.size[k];
    i /= d.size[k];
    in_off += idx * d.in_stride[k];
    out_off += idx * d.out_stride[k];
  }
}

// One reduction: identity, combine, and finishing step.
template <class T, ReduceOp Op>
struct Reducer {
  using Acc = T;
  static constexpr bool kFloatSum = std::is_floating_point_v<T> && (Op == ReduceOp::Sum || Op == ReduceOp::Mean);
  static Acc identity() {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) return Acc(0);
    else if constexpr (Op == ReduceOp::Prod) return Acc(1);
    else if constexpr (Op == ReduceOp::Max) return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    else return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  static Acc combine(Acc a, T x) {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) return Acc(a + x);
    else if constexpr (Op == ReduceOp::Prod) return Acc(a * x);
    else if constexpr (Op == ReduceOp::Max) {
      if constexpr (std::is_floating_point_v<T>) return (x != x || x > a) ? x : a;
      else return x > a ? x : a;
    } else {
      if constexpr (std::is_floating_point_v<T>) return (x != x || x < a) ? x : a;
      else return x < a ? x : a;
    }
  }
  static Acc merge(Acc a, Acc b) {
    if constexpr (Op == ReduceOp::Sum || Op == ReduceOp::Mean) return Acc(a + b);
    else return combine(a, b);
  }
};

// The chunks of a long float sum (reduce_run) with its lanes in registers:
// lane j is element j of every 256-byte step, held in eight 32-byte vectors,
// summed over a chunk of 16 steps and then widened into double lanes.
// Measured on an AMD EPYC (Zen 4) summing 4096 x 4096 floats:
//   - written on arrays of lanes, GCC kept the lanes in memory and stored and
//     reloaded them at every chunk: half the read speed of this loop;
//   - 32-byte vectors read memory faster than 64-byte ones (45 against 37
//     GB/s on two threads, the same on one), so every level uses them;
//   - the step loop stays rolled: GCC's full unroll regroups the loads by
//     vector, out of address order, and read 25% slower.
template <class T>
constexpr int64_t kSumChunk = 256 / int64_t(sizeof(T)) * 16;

template <class T>
void sum_chunks(const T* x, int64_t n, int64_t& i, double* wide) {
  constexpr int kPer = 32 / int(sizeof(T)), kVecs = 8, kStep = kPer * kVecs;
  typedef T V __attribute__((vector_size(32)));
  typedef double W __attribute__((vector_size(kPer * sizeof(double))));
  static_assert(sizeof(V) == 32 && sizeof(W) == kPer * sizeof(double) && kStep * 16 == kSumChunk<T>);
  W w[kVecs];
#pragma GCC unroll 8
  for (int v = 0; v < kVecs; ++v) w[v] = W{};
  for (; i + kSumChunk<T> <= n; i += kSumChunk<T>) {
    V a[kVecs];
#pragma GCC unroll 8
    for (int v = 0; v < kVecs; ++v) std::memcpy(&a[v], x + i + v * kPer, sizeof(V));
#pragma GCC unroll 1
    for (int64_t k = i + kStep; k < i + kSumChunk<T>; k += kStep) {
#pragma GCC unroll 8
      for (int v = 0; v < kVecs; ++v) {
        V b;
        std::memcpy(&b, x + k + v * kPer, sizeof(V));
        a[v] += b;
      }
    }
#pragma GCC unroll 8
    for (int v = 0; v < kVecs; ++v) w[v] += __builtin_convertvector(a[v], W);
  }
#pragma GCC unroll 8
  for (int v = 0; v < kVecs; ++v) std::memcpy(wide + v * kPer, &w[v], sizeof(W));
}

// Reduce a contiguous run with many independent accumulators (vectorizes,
// and sums in a tree-like order that keeps float error small). Runs shorter
// than the lanes (a row of (256, 10)) take whole blocks of 8 into 8
// accumulators and the rest one by one: setting up and merging 64 would cost
// more than the run.
template <class R, class T>
typename R::Acc reduce_run(const T* x, int64_t n) {
  constexpr int kLanes = 4 * 64 / int(sizeof(T));
  if (n < kLanes) {
    typename R::Acc total = R::identity();
    int64_t i = 0;
    if (n >= 8) {
      typename R::Acc acc[8];
      for (int j = 0; j < 8; ++j) acc[j] = R::identity();
      for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) acc[j] = R::combine(acc[j], x[i + j]);
      for (int w = 4; w > 0; w /= 2)
        for (int j = 0; j < w; ++j) acc[j] = R::merge(acc[j], acc[j + w]);
      total = acc[0];
    }
    for (; i < n; ++i) total = R::combine(total, x[i]);
    return total;
  }
  typename R::Acc acc[kLanes];
  for (int j = 0; j < kLanes; ++j) acc[j] = R::identity();
  int64_t i = 0;
  if constexpr (R::kFloatSum) {
    // Long float sums cascade: each chunk of 16 values per lane is summed in
    // the lanes, then added into double lanes. A lane summing the whole run
    // in float would drift (1e7 x 0.1 gave 998501 where PyTorch's cascade
    // gives 999999.6).
    constexpr int64_t kChunk = int64_t(kLanes) * 16;
    if (n >= 2 * kChunk) {
      static_assert(kChunk == kSumChunk<T>);
      double wide[kLanes];
      sum_chunks(x, n, i, wide);
      for (; i + kLanes <= n; i += kLanes)
        for (int j = 0; j < kLanes; ++j) wide[j] += double(x[i + j]);
      double rest = 0;
      for (; i < n; ++i) rest += double(x[i]);
      for (int w = kLanes / 2; w > 0; w /= 2)
        for (int j = 0; j < w; ++j) wide[j] += wide[j + w];
      return typename R::Acc(wide[0] + rest);
    }
  }
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] = R::combine(acc[j], x[i + j]);
  typename R::Acc rest = R::identity();
  for (; i < n; ++i) rest = R::combine(rest, x[i]);
  for (int w = kLanes / 2; w > 0; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] = R::merge(acc[j], acc[j + w]);
  return R::merge(acc[0], rest);
}

// acc[j] combined with four rows in order (the same result as four passes).
template <class R, class T>
void combine_rows4(typename R::Acc* __restrict acc, const T* __restrict a, const T* __restrict b,
                   const T* __restrict c, const T* __restrict d, int64_t n) {
  for (int64_t j = 0; j < n; ++j) acc[j] = R::combine(R::combine(R::combine(R::combine(acc[j], a[j]), b[j]), c[j]), d[j]);
}

// --- PyTorch's order for small float sums ---------------------------------
// A float sum's last digits depend on the order of its additions, and a
// printed tensor shows them (tensor(2.) or tensor(2.0000) for the sum of
// [.1, .2, .7, .3, .3, .4]). Up to 32768 elements PyTorch's CPU sum runs on
// one thread in a fixed order (ATen's cascade_sum, SumKernel.cpp, over
// TensorIterator's walk of the layout); sums and means of that size follow
// it here, for any dims and any layout (torch_order_general), so they print
// the same digits. The order, as measured against torch 2.13 (bit-identical
// on 10^4 random sums of 3 to 32768 floats and doubles and 12864 sums over
// dims of plain, transposed, stepped and sliced 2-4-d tensors;
// tests/test_reduce.py checks against a model of the contiguous cases):
//   - levels: a run of `size` steps is added up in blocks of 2^p steps
//     (p = max(4, ceil(log2 size) / 4)) carried into up to 4 levels of
//     partial sums, so long runs don't drift;
//   - ilp: a row of n is read as n / 4 steps of 4 independent sums
//     (levels above), the leftover elements added to the first, then the
//     four added in order;
//   - a contiguous row of at least kVec elements (8 floats, 4 doubles: one
//     256-bit vector) is read as vectors, each lane a sum as above; the
//     elements past the last whole vector are summed from 0, then the lanes
//     added to that in order; a shorter row is an ilp sum of its elements;
//   - a sum over the first dims (outer): columns are summed down the rows,
//     those in the leading whole groups (of 4 vectors when there are at least
//     kVec columns, else of 4) with levels, the rest as ilp sums of the rows.
constexpr int64_t kTorchSerialLimit = 32768;

// The sums below pass 256-bit vectors by value; they are internal, so the
// SSE2 build's warning that this would change a public ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

inline int64_t ceil_log2(int64_t x) { return x <= 1 ? 0 : 64 - __builtin_clzll(uint64_t(x - 1)); }

// out[k] = the level-cascaded sum over i < size of load(i, k), k < N; A is
// the element type or a vector of them (then each lane is such a sum).
template <class A, int N, class Load>
void level_sums(A (&out)[N], int64_t size, const Load& load) {
  constexpr int kLevels = 4;
  const int64_t power = std::max<int64_t>(4, ceil_log2(size) / kLevels);
  const int64_t step = int64_t(1) << power, mask = step - 1;
  if (size < step) {  // one level: the others would add zeros
    for (int k = 0; k < N; ++k) out[k] = A{};
    for (int64_t i = 0; i < size; ++i)
      for (int k = 0; k < N; ++k) out[k] += load(i, k);
    return;
  }
  A acc[kLevels][N] = {};
  int64_t i = 0;
  while (i + step <= size) {
    for (int64_t j = 0; j < step; ++j, ++i)
      for (int k = 0; k < N; ++k) acc[0][k] += load(i, k);
    for (int j = 1; j < kLevels; ++j) {
      for (int k = 0; k < N; ++k) {
        acc[j][k] += acc[j - 1][k];
        acc[j - 1][k] = A{};
      }
      if ((i & (mask << (j * power))) != 0) break;
    }
  }
  for (; i < size; ++i)
    for (int k = 0; k < N; ++k) acc[0][k] += load(i, k);
  for (int j = 1; j < kLevels; ++j)
    for (int k = 0; k < N; ++k) acc[0][k] += acc[j][k];
  for (int k = 0; k < N; ++k) out[k] = acc[0][k];
}

// The ilp sum of item(0) ... item(size - 1).
template <class A, class Item>
A ilp_sum(int64_t size, const Item& item) {
  const int64_t steps = size / 4;
  A part[4];
  level_sums<A, 4>(part, steps, [&](int64_t i, int k) { return item(4 * i + k); });
  for (int64_t i = 4 * steps; i < size; ++i) part[0] += item(i);
  for (int k = 1; k < 4; ++k) part[0] += part[k];
  return part[0];
}

// One 256-bit vector of T (GCC lowers it to what the build's SIMD level has).
template <class T>
struct Vec256Of;
template <>
struct Vec256Of<float> {
  typedef float type __attribute__((vector_size(32)));
};
template <>
struct Vec256Of<double> {
  typedef double type __attribute__((vector_size(32)));
};
template <class T>
using Vec256 = typename Vec256Of<T>::type;
template <class T>
constexpr int kTorchVec = 32 / int(sizeof(T));

template <class T>
inline Vec256<T> load_vec(const T* p) {
  Vec256<T> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// One contiguous row of n, in PyTorch's order.
template <class T>
T torch_row_sum(const T* x, int64_t n) {
  constexpr int W = kTorchVec<T>;
  if (n < W) return ilp_sum<T>(n, [&](int64_t i) { return x[i]; });
  const int64_t vecs = n / W;
  const Vec256<T> lanes = ilp_sum<Vec256<T>>(vecs, [&](int64_t i) { return load_vec(x + i * W); });
  T total = T(0);
  for (int64_t i = vecs * W; i < n; ++i) total += x[i];
  for (int l = 0; l < W; ++l) total += lanes[l];
  return total;
}

// Column sums of a contiguous (rows, cols) block in PyTorch's order: col[j] = sum over rows.
template <class T>
void torch_column_sums(const T* x, int64_t rows, int64_t cols, T* col) {
  constexpr int W = kTorchVec<T>;
  int64_t j = 0;
  if (cols >= W) {
    for (; j + 4 * W <= cols; j += 4 * W) {
      Vec256<T> r[4];
      level_sums<Vec256<T>, 4>(r, rows, [&](int64_t i, int k) { return load_vec(x + i * cols + j + k * W); });
      std::memcpy(col + j, r, sizeof(r));
    }
    for (; j + W <= cols; j += W) {
      const Vec256<T> r = ilp_sum<Vec256<T>>(rows, [&](int64_t i) { return load_vec(x + i * cols + j); });
      std::memcpy(col + j, &r, sizeof(r));
    }
  } else {
    for (; j + 4 <= cols; j += 4) {
      T r[4];
      level_sums<T, 4>(r, rows, [&](int64_t i, int k) { return x[i * cols + j + k]; });
      std::copy(r, r + 4, col + j);
    }
  }
  for (; j < cols; ++j) col[j] = ilp_sum<T>(rows, [&](int64_t i) { return x[i * cols + j]; });
}

// Float sums and means of up to kTorchSerialLimit elements over everything,
// the last dims or the first dims of a contiguous layout, in PyTorch's order
// (a mean is that sum divided by the count, as PyTorch's CPU mean). Returns
// false for the other cases.
// Any other layout, in the order PyTorch's TensorIterator walks it: the dims
// (size-1 dims dropped) with the reduced ones innermost, each group by
// stride, adjacent dims merged where their strides allow; the two innermost
// dims are one 2-D loop, summed as ATen's cascade_sum picks by strides (a
// row per output, a column per output, or ilp / level sums of strided
// elements), its results added into zeroed outputs, once per index of the
// outer dims (the innermost of those fastest). out is contiguous.
template <class T>
void torch_order_general(const Tensor& out, const Tensor& in, uint32_t mask, const T* src, T* dst) {
  struct Dim {
    int64_t size, in_stride, out_stride;
  };
  std::vector<Dim> dims;
  for (int d = in->dim() - 1; d >= 0; --d) {  // innermost first, as TensorIterator starts
    if (in->shape()[d] == 1) continue;
    dims.push_back({in->shape()[d], in->strides()[d], (mask >> d & 1) ? 0 : out->strides()[d]});
  }
  // TensorIterator's insertion sort: 1 when a should come after b, -1 before, 0 undecided (a zero
  // stride, as of an expanded input, decides nothing: the scan goes on past it).
  const auto order = [](const Dim& a, const Dim& b) {
    if ((a.out_stride == 0) != (b.out_stride == 0)) return b.out_stride == 0 ? 1 : -1;  // reduced dims first
    for (const auto& [sa, sb] : {std::pair{a.out_stride, b.out_stride}, std::pair{a.in_stride, b.in_stride}}) {
      if (sa == 0 || sb == 0) continue;
      if (sa != sb) return sa < sb ? -1 : 1;
    }
    return 0;
  };
  for (size_t i = 1; i < dims.size(); ++i) {
    size_t moving = i;
    for (size_t j = i; j-- > 0;) {
      const int c = order(dims[j], dims[moving]);
      if (c > 0) {
        std::swap(dims[j], dims[moving]);
        moving = j;
      } else if (c < 0) {
        break;
      }
    }
  }
  std::vector<Dim> merged;
  for (const Dim& d : dims) {
    if (!merged.empty() && d.in_stride == merged.back().in_stride * merged.back().size &&
        d.out_stride == merged.back().out_stride * merged.back().size) {
      merged.back().size *= d.size;
      continue;
    }
    merged.push_back(d);
  }
  while (merged.size() < 2) merged.push_back({1, 0, 0});
  for (int64_t i = 0; i < out->numel(); ++i) dst[i] = T(0);
  Dim d0 = merged[0], d1 = merged[1];
  if (d0.out_stride != 0 && d1.out_stride == 0) std::swap(d0, d1);  // the reduction first
  constexpr int W = kTorchVec<T>;
  const auto loop2d = [&](const T* in2, T* out2) {
    const int64_t n0 = d0.size, n1 = d1.size, is0 = d0.in_stride, is1 = d1.in_stride, os = d1.out_stride;
    if (d0.out_stride != 0) {  // nothing reduced here: each element into its output
      for (int64_t j = 0; j < n1; ++j)
        for (int64_t i = 0; i < n0; ++i) out2[j * os + i * d0.out_stride] += in2[j * is1 + i * is0];
      return;
    }
    const auto strided = [&](const T* x, int64_t n, int64_t stride) {
      return ilp_sum<T>(n, [&](int64_t i) { return x[i * stride]; });
    };
    if (is0 == 1 && n0 >= W) {
      for (int64_t j = 0; j < n1; ++j) out2[j * os] += torch_row_sum(in2 + j * is1, n0);
    } else if (is1 == 1 && n1 >= W) {
      std::vector<T> col(static_cast<size_t>(n1));
      if (is0 == n1) {
        torch_column_sums(in2, n0, n1, col.data());
      } else {  // rows further apart than a row: copy them together first (the order is the same)
        std::vector<T> block(static_cast<size_t>(n0 * n1));
        for (int64_t i = 0; i < n0; ++i) std::copy(in2 + i * is0, in2 + i * is0 + n1, block.data() + i * n1);
        torch_column_sums(block.data(), n0, n1, col.data());
      }
      for (int64_t j = 0; j < n1; ++j) out2[j * os] += col[static_cast<size_t>(j)];
    } else if (is0 < is1) {
      for (int64_t j = 0; j < n1; ++j) out2[j * os] += strided(in2 + j * is1, n0, is0);
    } else {
      int64_t j = 0;
      for (; j + 3 < n1; j += 4) {
        T r[4];
        level_sums<T, 4>(r, n0, [&](int64_t i, int k) { return in2[i * is0 + (j + k) * is1]; });
        for (int k = 0; k < 4; ++k) out2[(j + k) * os] += r[k];
      }
      for (; j < n1; ++j) out2[j * os] += strided(in2 + j * is1, n0, is0);
    }
  };
  int64_t outer = 1;
  for (size_t k = 2; k < merged.size(); ++k) outer *= merged[k].size;
  for (int64_t o = 0; o < outer; ++o) {
    int64_t in_off = 0, out_off = 0, rest = o;
    for (size_t k = 2; k < merged.size(); ++k) {
      const int64_t idx = rest % merged[k].size;
      rest /= merged[k].size;
      in_off += idx * merged[k].in_stride;
      out_off += idx * merged[k].out_stride;
    }
    loop2d(src + in_off, dst + out_off);
  }
}

// Float sums and means of up to kTorchSerialLimit elements in PyTorch's
// order (a mean is that sum divided by the count, as PyTorch's CPU mean):
// contiguous rows and column blocks directly, any other layout through
// torch_order_general. Returns false past the limit or for negative strides.
template <class T, ReduceOp Op>
bool reduce_in_torch_order(const Tensor& out, const Tensor& in, uint32_t mask, const Plan& p, const T* src,
                           T* dst) {
  if (p.n_red == 0 || p.n_out * p.n_red > kTorchSerialLimit) return false;
  const T count = T(p.n_red);
  const auto finish = [&](T sum) { return Op == ReduceOp::Mean ? T(sum / count) : sum; };
  const bool one_red = p.red.n == 1 && p.kept.n <= 2;
  const int64_t inner = p.kept.n ? p.kept.size[p.kept.n - 1] : 1;
  if (one_red && p.kept.n <= 1 && p.red.in_stride[0] == 1 && (p.kept.n == 0 || p.kept.in_stride[0] == p.n_red)) {
    const int64_t out_step = p.kept.n == 0 ? 0 : p.kept.out_stride[0];  // rows
    for (int64_t o = 0; o < p.n_out; ++o) dst[o * out_step] = finish(torch_row_sum(src + o * p.n_red, p.n_red));
    return true;
  }
  // Columns: (outer, rows, inner) contiguous, summed over rows (no outer: one block).
  if (one_red && p.kept.n >= 1 && p.kept.in_stride[p.kept.n - 1] == 1 && p.red.in_stride[0] == inner &&
      (p.kept.n == 1 || p.kept.in_stride[0] == p.n_red * inner)) {
    const int64_t outer = p.kept.n == 2 ? p.kept.size[0] : 1;
    std::vector<T> col(static_cast<size_t>(inner));
    for (int64_t o = 0; o < outer; ++o) {
      torch_column_sums(src + o * p.n_red * inner, p.n_red, inner, col.data());
      T* o_dst = dst + (p.kept.n == 2 ? o * p.kept.out_stride[0] : 0);
      for (int64_t j = 0; j < inner; ++j) o_dst[j * p.kept.out_stride[p.kept.n - 1]] = finish(col[size_t(j)]);
    }
    return true;
  }
  if (!out->is_contiguous()) return false;
  for (int d = 0; d < in->dim(); ++d)
    if (in->strides()[d] < 0) return false;
  torch_order_general(out, in, mask, src, dst);
  if (Op == ReduceOp::Mean)
    for (int64_t i = 0; i < p.n_out; ++i) dst[i] = finish(dst[i]);
  return true;
}

template <class T, ReduceOp Op>
void reduce_with_plan(const Tensor& out, const Tensor& in, const Plan& p, uint32_t mask) {
  using R = Reducer<T, Op>;
  using Acc = typename R::Acc;
  const T* src = in->data_as<T>();
  T* dst = out->data_as<T>();
  // A mean divides the sum by the count, in the result's type, as PyTorch's CPU mean.
  auto finish = [&](Acc a) -> T {
    if constexpr (Op == ReduceOp::Mean) return T(T(a) / T(p.n_red));
    else return T(a);
  };
  if constexpr (R::kFloatSum) {
    if (reduce_in_torch_order<T, Op>(out, in, mask, p, src, dst)) return;
  }
  // Float sums gather partial results in double (see reduce_run).
  using WideAcc = std::conditional_t<R::kFloatSum, double, Acc>;
  constexpr int64_t kRowChunk = 64;  // rows summed in float before a flush into double
  // Reduces the R space for one kept position, starting at input offset base.
  Dims outer_red = p.red;  // the reduced dims outside the innermost run
  outer_red.n = std::max(outer_red.n - 1, 0);
  auto reduce_one = [&](int64_t base) -> Acc {
    if (p.red.n > 0 && p.last_is_reduced && p.red.in_stride[p.red.n - 1] == 1) {
      const int64_t run = p.red.size[p.red.n - 1];
      const int64_t outer = p.n_red / run;
      if (outer == 1) return reduce_run<R>(src + base, run);
      WideAcc acc = WideAcc(R::identity());
      for (int64_t o = 0; o < outer; ++o) {
        int64_t off = 0, unused;
        offsets_of(outer_red, o, off, unused);
        const Acc part = reduce_run<R>(src + base + off, run);
        if constexpr (R::kFloatSum) acc += part;
        else acc = R::merge(acc, part);
      }
      return Acc(acc);
    }
    WideAcc acc = WideAcc(R::identity());
    for (int64_t r = 0; r < p.n_red; ++r) {
      int64_t off, unused;
      offsets_of(p.red, r, off, unused);
      if constexpr (R::kFloatSum) acc += src[base + off];
      else acc = R::combine(acc, src[base + off]);
    }
    return Acc(acc);
  };

  const bool column = p.kept.n > 0 && !p.last_is_reduced && p.kept.in_stride[p.kept.n - 1] == 1 &&
                      p.kept.out_stride[p.kept.n - 1] == 1 && p.red.n > 0;
  if (column) {
    // Accumulate whole input rows into a block of outputs.
    const int64_t run = p.kept.size[p.kept.n - 1];
    const int64_t outer = p.n_out / run;
    constexpr int64_t kBlock = 512;
    const int64_t blocks_per_row = (run + kBlock - 1) / kBlock;
    Dims outer_kept = p.kept;
    outer_kept.n -= 1;
    const int64_t bands = std::min<int64_t>(4 * get_num_threads(), p.n_red / 16);
    if (outer == 1 && bands > 1 && run <= 16384 && run * p.n_red >= (int64_t(1) << 20)) {
      // One run of outputs over many rows, past L2 (sum over dim 0 of
      // (4096, 4096)): the rows are cut into contiguous bands, each summed in
      // order into its own accumulator row, so every thread streams memory
      // front to back; then the band partials are merged per output. (Below
      // ~4 MB the column blocks below are faster: (256, 784) 8.4 us vs 13.)
      std::unique_ptr<Acc[]> partial(new Acc[size_t(bands * run)]);  // not vector: Acc may be bool
      parallel_for(0, bands, 1, [&](int64_t b, int64_t e) {
        for (int64_t band = b; band < e; ++band) {
          Acc* acc = partial.get() + band * run;
          for (int64_t j = 0; j < run; ++j) acc[j] = R::identity();
          std::vector<double> wide(R::kFloatSum ? run : 0, 0.0);
          auto flush = [&] {
            for (int64_t j = 0; j < int64_t(wide.size()); ++j) {
              wide[j] += double(acc[j]);
              acc[j] = R::identity();
            }
          };
          const int64_t lo = p.n_red * band / bands, hi = p.n_red * (band + 1) / bands;
          int64_t r = lo;
          for (; r + 4 <= hi; r += 4) {  // four rows per pass over acc: a third of the acc traffic
            const T* row[4];
            for (int k = 0; k < 4; ++k) {
              int64_t off, unused;
              offsets_of(p.red, r + k, off, unused);
              row[k] = src + off;
            }
            combine_rows4<R>(acc, row[0], row[1], row[2], row[3], run);
            if (R::kFloatSum && (r + 4 - lo) % kRowChunk == 0) flush();
          }
          for (; r < hi; ++r) {
            int64_t off, unused;
            offsets_of(p.red, r, off, unused);
            const T* row = src + off;
            for (int64_t j = 0; j < run; ++j) acc[j] = R::combine(acc[j], row[j]);
          }
          if constexpr (R::kFloatSum) {
            flush();
            for (int64_t j = 0; j < run; ++j) acc[j] = Acc(wide[j]);
          }
        }
      });
      for (int64_t j = 0; j < run; ++j) {
        Acc a = partial[size_t(j)];
        for (int64_t band = 1; band < bands; ++band) a = R::merge(a, partial[size_t(band * run + j)]);
        dst[j] = finish(a);
      }
      return;
    }
    parallel_for(0, outer * blocks_per_row, std::max<int64_t>(1, 65536 / std::max<int64_t>(p.n_red, 1) / kBlock),
                 [&](int64_t b, int64_t e) {
                   Acc acc[kBlock];
                   WideAcc wide[R::kFloatSum ? kBlock : 1];
                   for (int64_t blk = b; blk < e; ++blk) {
                     const int64_t o = blk / blocks_per_row, j0 = (blk % blocks_per_row) * kBlock;
                     const int64_t w = std::min(kBlock, run - j0);
                     int64_t in_base, out_base;
                     offsets_of(outer_kept, o, in_base, out_base);
                     for (int64_t j = 0; j < w; ++j) acc[j] = R::identity();
                     if constexpr (R::kFloatSum)
                       for (int64_t j = 0; j < w; ++j) wide[j] = 0;
                     for (int64_t r = 0; r < p.n_red; ++r) {
                       int64_t off, unused;
                       offsets_of(p.red, r, off, unused);
                       const T* row = src + in_base + off + j0;
                       for (int64_t j = 0; j < w; ++j) acc[j] = R::combine(acc[j], row[j]);
                       if constexpr (R::kFloatSum) {
                         if ((r + 1) % kRowChunk == 0)
                           for (int64_t j = 0; j < w; ++j) {
                             wide[j] += acc[j];
                             acc[j] = R::identity();
                           }
                       }
                     }
                     if constexpr (R::kFloatSum)
                       for (int64_t j = 0; j < w; ++j) acc[j] = Acc(wide[j] + acc[j]);
                     for (int64_t j = 0; j < w; ++j) dst[out_base + j0 + j] = finish(acc[j]);
                   }
                 });
    return;
  }
  if (p.n_out == 1 && p.red.n == 1 && p.red.in_stride[0] == 1 && p.n_red >= 65536) {
    // Everything at once: per-thread partials of a contiguous array.
    const int64_t n = p.n_red;
    const int nt = get_num_threads();
    std::vector<Acc> partial(nt + 1, R::identity());
    const int64_t chunk = (n + nt - 1) / nt;
    parallel_for(0, nt, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t lo = t * chunk, hi = std::min(n, lo + chunk);
        if (lo < hi) partial[t] = reduce_run<R>(src + lo, hi - lo);
      }
    });
    Acc acc = R::identity();
    for (int t = 0; t < nt; ++t) acc = R::merge(acc, partial[t]);
    *dst = finish(acc);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(p.n_red, 1));
  if (p.kept.n == 1 && p.red.n == 1 && p.red.in_stride[0] == 1) {
    // Rows of one contiguous run each (sum over dim 1 of (256, 10)): no per-row bookkeeping.
    const int64_t run = p.n_red, in_step = p.kept.in_stride[0], out_step = p.kept.out_stride[0];
    parallel_for(0, p.n_out, grain, [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) dst[o * out_step] = finish(reduce_run<R>(src + o * in_step, run));
    });
    return;
  }
  parallel_for(0, p.n_out, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t in_base, out_off;
      offsets_of(p.kept, o, in_base, out_off);
      dst[out_off] = finish(reduce_one(in_base));
    }
  });
}

template <class T, bool IsMax>
void arg_reduce(const Tensor& out, const Tensor& in, const Plan& p) {
  const T* src = in->data_as<T>();
  int64_t* dst = out->data_as<int64_t>();
  const int64_t stride = p.red.n ? p.red.in_stride[0] : 0;
  const int64_t n = p.n_red;
  parallel_for(0, p.n_out, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t base, out_off;
      offsets_of(p.kept, o, base, out_off);
      T best = src[base];
      int64_t best_i = 0;
      for (int64_t i = 1; i < n; ++i) {
        const T v = src[base + i * stride];
        bool take;
        if constexpr (std::is_floating_point_v<T>) take = (v != v && best == best) || (IsMax ? v > best : v < best);
        else take = IsMax ? v > best : v < best;
        if (take) {
          best = v;
          best_i = i;
        }
      }
      dst[out_off] = best_i;
    }
  });
}

template <class T, bool IsAll>
void bool_reduce(const Tensor& out, const Tensor& in, const Plan& p) {
  const T* src = in->data_as<T>();
  bool* dst = out->data_as<bool>();
  parallel_for(0, p.n_out, std::max<int64_t>(1, 32768 / std::max<int64_t>(p.n_red, 1)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      int64_t base, out_off;
      offsets_of(p.kept, o, base, out_off);
      bool acc = IsAll;
      for (int64_t r = 0; r < p.n_red; ++r) {
        int64_t off, unused;
        offsets_of(p.red, r, off, unused);
        const bool nz = src[base + off] != T(0);
        if (IsAll ? !nz : nz) {
          acc = !IsAll;
          break;
        }
      }
      dst[out_off] = acc;
    }
  });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t dim_mask) {
  if (out->numel() == 0) return;
  Plan p = make_plan(out, in, dim_mask);
  FT_DISPATCH_ALL_TYPES(in->dtype(), "reduce", [&] {
    using T = scalar_t;
    switch (op) {
      case ReduceOp::Sum: if constexpr (!std::is_same_v<T, bool>) return reduce_with_plan<T, ReduceOp::Sum>(out, in, p, dim_mask); break;
      case ReduceOp::Mean: if constexpr (std::is_floating_point_v<T>) return reduce_with_plan<T, ReduceOp::Mean>(out, in, p, dim_mask); break;
      case ReduceOp::Prod: if constexpr (!std::is_same_v<T, bool>) return reduce_with_plan<T, ReduceOp::Prod>(out, in, p, dim_mask); break;
      case ReduceOp::Max: return reduce_with_plan<T, ReduceOp::Max>(out, in, p, dim_mask);
      case ReduceOp::Min: return reduce_with_plan<T, ReduceOp::Min>(out, in, p, dim_mask);
      case ReduceOp::ArgMax: return arg_reduce<T, true>(out, in, p);
      case ReduceOp::ArgMin: return arg_reduce<T, false>(out, in, p);
      case ReduceOp::All: return bool_reduce<T, true>(out, in, p);
      case ReduceOp::Any: return bool_reduce<T, false>(out, in, p);
    }
    throw NotImplementedError(str("reduction not implemented for '", dtype_scalar_name(in->dtype()), "'"));
  });
}

void cumsum(const Tensor& out, const Tensor& in, int dim) {
  if (out->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(out->dtype(), "cumsum", [&] {
    using T = scalar_t;
    if constexpr (!std::is_same_v<T, bool>) {
      const int nd = in->dim();
      const int64_t n = nd == 0 ? 1 : in->shape()[dim];
      const int64_t in_step = nd == 0 ? 0 : in->strides()[dim], out_step = nd == 0 ? 0 : out->strides()[dim];
      // Every line along `dim`: iterate the other dims.
      Shape rest_shape, rest_in, rest_out;
      for (int d = 0; d < nd; ++d)
        if (d != dim) {
          rest_shape.push_back(in->shape()[d]);
          rest_in.push_back(in->strides()[d]);
          rest_out.push_back(out->strides()[d]);
        }
      const int64_t lines = rest_shape.numel();
      const T* src = in->data_as<T>();
      T* dst = out->data_as<T>();
      parallel_for(0, lines, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
        for (int64_t l = b; l < e; ++l) {
          int64_t rem = l, io = 0, oo = 0;
          for (int k = rest_shape.size() - 1; k >= 0; --k) {
            const int64_t idx = rem % rest_shape[k];
            rem /= rest_shape[k];
            io += idx * rest_in[k];
            oo += idx * rest_out[k];
          }
          // Floats accumulate in double, as PyTorch's CPU kernel (a float32
          // running sum of 1e7 values would drift by percents).
          using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
          Acc acc = Acc(0);
          for (int64_t i = 0; i < n; ++i) {
            acc = Acc(acc + src[io + i * in_step]);
            dst[oo + i * out_step] = T(acc);
          }
        }
      });
      return;
    }
    throw RuntimeError("cumsum: unsupported dtype bool");
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
