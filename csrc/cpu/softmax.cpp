// CPU softmax, log_softmax and fused cross-entropy over contiguous rows
// (R, C): max, then exp(x - max) in one vectorized pass, then normalize.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

template <class T>
T row_max(const T* x, int64_t n) {
  constexpr int kLanes = 64 / int(sizeof(T));
  T acc[kLanes];
  for (int j = 0; j < kLanes; ++j) acc[j] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  bool nan = false;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const T v = x[i + j];
      nan |= v != v;
      acc[j] = v > acc[j] ? v : acc[j];
    }
  T m = -std::numeric_limits<T>::infinity();
  for (; i < n; ++i) {
    nan |= x[i] != x[i];
    m = x[i] > m ? x[i] : m;
  }
  for (int j = 0; j < kLanes; ++j) m = acc[j] > m ? acc[j] : m;
  return nan ? std::numeric_limits<T>::quiet_NaN() : m;
}

template <class T>
T row_sum(const T* x, int64_t n) {
  constexpr int kLanes = 2 * 64 / int(sizeof(T));
  if (n < kLanes) {  // short rows (a classifier's 10 logits): no accumulator tree
    T s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i];
    return s;
  }
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

// Rows are processed in blocks of about kBlockElems elements: the maxima of
// the block's rows, then exp(x - max) of the whole block in one vec_exp call,
// then the row sums (and, for the log forms, one vec_log over the block's
// sums). For short rows (the (256, 10) logits of a classifier) one vec_exp /
// log call per row would cost more than the arithmetic.
constexpr int64_t kBlockElems = 4096;

inline int64_t rows_per_block(int64_t cols) { return std::max<int64_t>(1, kBlockElems / std::max<int64_t>(cols, 1)); }

// Per-thread scratch of one parallel chunk: maxima, sums, and an exp buffer.
template <class T>
struct BlockScratch {
  std::vector<T> m, s, e;
  BlockScratch(int64_t cols, int64_t rows, bool need_e)
      : m(size_t(rows)), s(size_t(rows)), e(need_e ? size_t(rows * cols) : 0) {}
};

// e = exp(x - rowmax) for n contiguous rows (e may be the output block);
// m[r] = row max, s[r] = sum of row r of e. The shifted values are <= 0, so
// exp never overflows; a row whose max is infinite becomes NaN, as in PyTorch.
template <class T>
void exp_block(const T* x, T* e, T* m, T* s, int64_t cols, int64_t n) {
  for (int64_t r = 0; r < n; ++r) {
    const T* xr = x + r * cols;
    T* er = e + r * cols;
    const T mr = row_max(xr, cols);
    m[r] = mr;
    for (int64_t i = 0; i < cols; ++i) er[i] = xr[i] - mr;
  }
  vec_exp(e, e, n * cols);
  for (int64_t r = 0; r < n; ++r) s[r] = row_sum(e + r * cols, cols);
}

// Runs block(first_row, rows, scratch) over the rows of an (R, C) problem.
template <class T, class F>
void for_row_blocks(int64_t rows, int64_t cols, bool need_e, const F& block) {
  const int64_t per_block = rows_per_block(cols);
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    BlockScratch<T> scratch(cols, std::min(per_block, e - b), need_e);
    for (int64_t r = b; r < e; r += per_block) block(r, std::min(per_block, e - r), scratch);
  });
}

template <class T>
void softmax_typed(const Tensor& out, const Tensor& in, bool log) {
  const int64_t rows = in->shape()[0], cols = in->shape()[1];
  const T* x = in->data_as<T>();
  T* y = out->data_as<T>();
  for_row_blocks<T>(rows, cols, log, [&](int64_t r0, int64_t n, BlockScratch<T>& sc) {
    const T* xb = x + r0 * cols;
    T* yb = y + r0 * cols;
    if (log) {
      exp_block(xb, sc.e.data(), sc.m.data(), sc.s.data(), cols, n);
      vec_log(sc.s.data(), sc.s.data(), n);
      // (x - max) - log(sum): subtracting the shift first keeps the small
      // result exact when the logits are large.
      for (int64_t r = 0; r < n; ++r)
        for (int64_t i = 0; i < cols; ++i) yb[r * cols + i] = (xb[r * cols + i] - sc.m[r]) - sc.s[r];
    } else {
      exp_block(xb, yb, sc.m.data(), sc.s.data(), cols, n);
      for (int64_t r = 0; r < n; ++r) {
        const T inv = T(1) / sc.s[r];
        for (int64_t i = 0; i < cols; ++i) yb[r * cols + i] *= inv;
      }
    }
  });
}

template <class T>
void softmax_backward_typed(const Tensor& gi, const Tensor& go, const Tensor& out, bool log) {
  const int64_t rows = out->shape()[0], cols = out->shape()[1];
  const T* g = go->data_as<T>();
  const T* y = out->data_as<T>();
  T* d = gi->data_as<T>();
  for_row_blocks<T>(rows, cols, log, [&](int64_t r0, int64_t n, BlockScratch<T>& sc) {
    const T* gb = g + r0 * cols;
    const T* yb = y + r0 * cols;
    T* db = d + r0 * cols;
    if (log) {
      vec_exp(yb, sc.e.data(), n * cols);
      for (int64_t r = 0; r < n; ++r) {
        const T s = row_sum(gb + r * cols, cols);
        for (int64_t i = 0; i < cols; ++i) db[r * cols + i] = gb[r * cols + i] - sc.e[r * cols + i] * s;
      }
    } else {
      for (int64_t r = 0; r < n; ++r) {
        const T* gr = gb + r * cols;
        const T* yr = yb + r * cols;
        T* dr = db + r * cols;
        T dotp = 0;
        for (int64_t i = 0; i < cols; ++i) dotp += gr[i] * yr[i];
        for (int64_t i = 0; i < cols; ++i) dr[i] = yr[i] * (gr[i] - dotp);
      }
    }
  });
}

// Every target in [0, classes) or ignore_index; valid[i] = 1 or 0 (if valid is given).
template <class T>
void check_targets(const int64_t* t, int64_t n, int64_t classes, int64_t ignore_index, T* valid) {
  for (int64_t i = 0; i < n; ++i) {
    FT_CHECK(t[i] == ignore_index || (t[i] >= 0 && t[i] < classes), IndexError, "Target ", t[i], " is out of bounds.");
    if (valid) valid[i] = t[i] == ignore_index ? T(0) : T(1);
  }
}

template <class T>
void cross_entropy_typed(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                         const Tensor& target, int64_t ignore_index) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  const T* x = logits->data_as<T>();
  const int64_t* t = target->data_as<int64_t>();
  check_targets<T>(t, rows, cols, ignore_index, valid ? valid->data_as<T>() : nullptr);
  T* l = losses->data_as<T>();
  T* s = lse->data_as<T>();
  for_row_blocks<T>(rows, cols, true, [&](int64_t r0, int64_t n, BlockScratch<T>& sc) {
    const T* xb = x + r0 * cols;
    exp_block(xb, sc.e.data(), sc.m.data(), sc.s.data(), cols, n);
    vec_log(sc.s.data(), sc.s.data(), n);
    for (int64_t r = 0; r < n; ++r) {
      const T m = sc.m[r], log_sum = sc.s[r];
      s[r0 + r] = m + log_sum;
      // log(sum) - (x_t - max): exact for logits far from 0, where lse - x_t would cancel.
      const int64_t target_r = t[r0 + r];
      l[r0 + r] = target_r == ignore_index ? T(0) : log_sum - (xb[r * cols + target_r] - m);
    }
  });
}

template <class T>
void cross_entropy_backward_typed(const Tensor& gl, const Tensor& g, const Tensor& logits, const Tensor& target,
                                  const Tensor& lse, int64_t ignore_index) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  const T* x = logits->data_as<T>();
  const int64_t* t = target->data_as<int64_t>();
  const T* gp = g->data_as<T>();
  const int64_t gstride = g->dim() == 0 ? 0 : g->strides()[0];
  T* d = gl->data_as<T>();
  for_row_blocks<T>(rows, cols, false, [&](int64_t r0, int64_t n, BlockScratch<T>& sc) {
    // softmax(row) recomputed as exp(x - max) / sum: exact for logits far
    // from 0, where exp(x - lse) would inherit lse's rounding.
    T* db = d + r0 * cols;
    exp_block(x + r0 * cols, db, sc.m.data(), sc.s.data(), cols, n);
    for (int64_t r = 0; r < n; ++r) {
      T* dr = db + r * cols;
      if (t[r0 + r] == ignore_index) {
        std::fill(dr, dr + cols, T(0));
        continue;
      }
      const T inv_sum = T(1) / sc.s[r];
      const T gr = gp[(r0 + r) * gstride];
      for (int64_t i = 0; i < cols; ++i) dr[i] *= inv_sum;
      dr[t[r0 + r]] -= T(1);
      for (int64_t i = 0; i < cols; ++i) dr[i] *= gr;
    }
  });
}

}  // namespace

void softmax(const Tensor& out, const Tensor& in, bool log) {
  FT_DISPATCH_FLOATING_TYPES(in->dtype(), "softmax", [&] { softmax_typed<scalar_t>(out, in, log); });
}
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log) {
  FT_DISPATCH_FLOATING_TYPES(out->dtype(), "softmax_backward", [&] { softmax_backward_typed<scalar_t>(grad_in, grad_out, out, log); });
}
void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                   const Tensor& target, int64_t ignore_index) {
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy", [&] {
    cross_entropy_typed<scalar_t>(losses, lse, valid, logits, target, ignore_index);
  });
}
void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses, const Tensor& logits,
                            const Tensor& target, const Tensor& lse, int64_t ignore_index) {
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy_backward", [&] {
    cross_entropy_backward_typed<scalar_t>(grad_logits, grad_losses, logits, target, lse, ignore_index);
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
