// CPU advanced indexing: gather and scatter at precomputed element offsets,
// and nonzero. out/values are contiguous (B, n, A); src/dst are strided views
// of the dims that are not indexed, split at `pos` into B and A.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/parallel.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

struct Split {
  Shape b_shape, b_strides, a_shape, a_strides;
  int64_t b_numel = 1, a_numel = 1;
  bool a_contiguous = true;  // A is one contiguous run in src/dst
};

Split split_at(const Tensor& t, int pos) {
  Split s;
  for (int d = 0; d < t->dim(); ++d) {
    if (d < pos) {
      s.b_shape.push_back(t->shape()[d]);
      s.b_strides.push_back(t->strides()[d]);
    } else {
      s.a_shape.push_back(t->shape()[d]);
      s.a_strides.push_back(t->strides()[d]);
    }
  }
  s.b_numel = s.b_shape.numel();
  s.a_numel = s.a_shape.numel();
  int64_t expect = 1;
  for (int d = s.a_shape.size() - 1; d >= 0; --d) {
    if (s.a_shape[d] == 1) continue;
    s.a_contiguous = s.a_contiguous && s.a_strides[d] == expect;
    expect *= s.a_shape[d];
  }
  return s;
}

inline int64_t offset_of(const Shape& shape, const Shape& strides, int64_t i) {
  int64_t off = 0;
  for (int d = shape.size() - 1; d >= 0; --d) {
    off += (i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return off;
}

template <class T>
void gather_typed(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos) {
  const Split s = split_at(src, pos);
  const int64_t n = offsets->numel();
  const int64_t* off = offsets->data_as<int64_t>();
  const T* base = src->data_as<T>();
  T* o = out->data_as<T>();
  parallel_for(0, s.b_numel * n, std::max<int64_t>(1, 32768 / std::max<int64_t>(s.a_numel, 1)), [&](int64_t b0, int64_t e0) {
    for (int64_t bi = b0; bi < e0; ++bi) {
      const int64_t b = bi / n, i = bi % n;
      const T* from = base + offset_of(s.b_shape, s.b_strides, b) + off[i];
      T* to = o + bi * s.a_numel;
      if (s.a_contiguous) {
        std::memcpy(to, from, sizeof(T) * s.a_numel);
      } else {
        for (int64_t a = 0; a < s.a_numel; ++a) to[a] = from[offset_of(s.a_shape, s.a_strides, a)];
      }
    }
  });
}

template <class T>
void scatter_typed(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool accumulate) {
  const Split s = split_at(dst, pos);
  const int64_t n = offsets->numel();
  const int64_t* off = offsets->data_as<int64_t>();
  T* base = dst->data_as<T>();
  const T* v = values->data_as<T>();
  // Different a never collide, so the A range is split across threads and
  // each thread walks b and i in order (repeated offsets accumulate safely).
  parallel_for(0, s.a_numel, 4096, [&](int64_t a0, int64_t a1) {
    for (int64_t b = 0; b < s.b_numel; ++b) {
      const int64_t bo = offset_of(s.b_shape, s.b_strides, b);
      for (int64_t i = 0; i < n; ++i) {
        T* to = base + bo + off[i];
        const T* from = v + (b * n + i) * s.a_numel;
        for (int64_t a = a0; a < a1; ++a) {
          const int64_t ao = s.a_contiguous ? a : offset_of(s.a_shape, s.a_strides, a);
          if constexpr (std::is_same_v<T, bool>) to[ao] = accumulate ? (to[ao] || from[a]) : from[a];
          else to[ao] = accumulate ? T(to[ao] + from[a]) : from[a];
        }
      }
    }
  });
}

}  // namespace

void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos) {
  FT_DISPATCH_ALL_TYPES(src->dtype(), "index", [&] { gather_typed<scalar_t>(out, src, offsets, pos); });
}

void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool accumulate) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "index_put_", [&] { scatter_typed<scalar_t>(dst, values, offsets, pos, accumulate); });
}

// Two passes over blocks of the (row-major) elements, in parallel: count the nonzeros of each
// block, then write the coordinates of its hits from the block's first output row (the counts'
// prefix sums). The second pass steps a multi-index along instead of dividing per element, and
// writes every element's coordinates into a block buffer, advancing only past hits (no branch
// to mispredict on random masks), then copies the hits out.
Tensor nonzero(const Tensor& in) {
  const int nd = in->dim();
  const int64_t total = in->numel();
  const Shape& shape = in->shape();
  constexpr int64_t kBlock = 16384;
  const int64_t blocks = (total + kBlock - 1) / kBlock;
  std::vector<int64_t> counts(blocks + 1, 0);
  Tensor out;
  FT_DISPATCH_ALL_TYPES(in->dtype(), "nonzero", [&] {
    const scalar_t* data = in->data_as<scalar_t>();
    const bool flat = in->is_contiguous();
    const auto value = [&](int64_t i) { return data[flat ? i : offset_of(shape, in->strides(), i)]; };
    parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        int64_t c = 0;
        for (int64_t i = b * kBlock, stop = std::min(total, i + kBlock); i < stop; ++i) c += value(i) != scalar_t(0);
        counts[b + 1] = c;
      }
    });
    for (int64_t b = 0; b < blocks; ++b) counts[b + 1] += counts[b];
    // (n, ndim): a 0-d input gives (n, 0), as PyTorch.
    out = empty(Shape{counts[blocks], int64_t(nd)}, DType::Int64, in->device());
    int64_t* o = out->data_as<int64_t>();
    parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      std::vector<int64_t> index(nd), rows((kBlock + 1) * std::max(nd, 1));
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t first = b * kBlock, stop = std::min(total, first + kBlock);
        int64_t k = 0;  // hits so far in this block
        if (nd == 0) {
          k = value(0) != scalar_t(0);  // a 0-d input: one element, no coordinates
        } else if (nd == 1) {
          for (int64_t i = first; i < stop; ++i) {
            rows[k] = i;
            k += value(i) != scalar_t(0);
          }
        } else {
          for (int64_t rem = first, d = nd - 1; d >= 0; --d) {  // the block's first element's multi-index
            index[d] = rem % shape[d];
            rem /= shape[d];
          }
          // A run along the last dim at a time: the outer coordinates stay, the last one counts up.
          const int64_t last = shape[nd - 1];
          for (int64_t i = first; i < stop;) {
            const int64_t c0 = index[nd - 1], run = std::min(stop - i, last - c0);
            for (int64_t c = 0; c < run; ++c) {
              int64_t* r = rows.data() + k * nd;
              for (int d = 0; d < nd - 1; ++d) r[d] = index[d];
              r[nd - 1] = c0 + c;
              k += value(i + c) != scalar_t(0);
            }
            i += run;
            index[nd - 1] += run;
            for (int d = nd - 1; d > 0 && index[d] == shape[d]; --d) {
              index[d] = 0;
              ++index[d - 1];
            }
          }
        }
        std::memcpy(o + counts[b] * nd, rows.data(), k * nd * sizeof(int64_t));
      }
    });
  });
  return out;
}

}  // namespace ft::cpu::FT_CPU_LEVEL
