// CPU softmax, log_softmax and fused cross-entropy over contiguous rows
// (R, C): max, then exp(x - max) in one vectorized pass, then normalize.
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
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

// y = exp(x - m); returns sum(y). The shifted values are <= 0, so exp never
// overflows; a row whose max is infinite becomes NaN, as in PyTorch.
template <class T>
T exp_shifted(const T* x, T* y, int64_t n, T m) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] - m;
  vec_exp(y, y, n);
  return row_sum(y, n);
}

template <class T>
void softmax_typed(const Tensor& out, const Tensor& in, bool log) {
  const int64_t rows = in->shape()[0], cols = in->shape()[1];
  const T* x = in->data_as<T>();
  T* y = out->data_as<T>();
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    std::vector<T> tmp(log ? cols : 0);
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * cols;
      T* yr = y + r * cols;
      const T m = row_max(xr, cols);
      if (log) {
        // (x - max) - log(sum): subtracting the shift first keeps the
        // small result exact when the logits are large.
        const T log_s = scalar_log(exp_shifted(xr, tmp.data(), cols, m));
        for (int64_t i = 0; i < cols; ++i) yr[i] = (xr[i] - m) - log_s;
      } else {
        const T s = exp_shifted(xr, yr, cols, m);
        const T inv = T(1) / s;
        for (int64_t i = 0; i < cols; ++i) yr[i] *= inv;
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
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    std::vector<T> tmp(log ? cols : 0);
    for (int64_t r = b; r < e; ++r) {
      const T* gr = g + r * cols;
      const T* yr = y + r * cols;
      T* dr = d + r * cols;
      if (log) {
        const T s = row_sum(gr, cols);
        vec_exp(yr, tmp.data(), cols);
        for (int64_t i = 0; i < cols; ++i) dr[i] = gr[i] - tmp[i] * s;
      } else {
        T dotp = 0;
        for (int64_t i = 0; i < cols; ++i) dotp += gr[i] * yr[i];
        for (int64_t i = 0; i < cols; ++i) dr[i] = yr[i] * (gr[i] - dotp);
      }
    }
  });
}

void check_targets(const int64_t* t, int64_t n, int64_t classes) {
  for (int64_t i = 0; i < n; ++i)
    FT_CHECK(t[i] >= 0 && t[i] < classes, IndexError, "Target ", t[i], " is out of bounds.");
}

template <class T>
void cross_entropy_typed(const Tensor& losses, const Tensor& lse, const Tensor& logits, const Tensor& target) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  const T* x = logits->data_as<T>();
  const int64_t* t = target->data_as<int64_t>();
  check_targets(t, rows, cols);
  T* l = losses->data_as<T>();
  T* s = lse->data_as<T>();
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    std::vector<T> tmp(cols);
    for (int64_t r = b; r < e; ++r) {
      const T* xr = x + r * cols;
      const T m = row_max(xr, cols);
      const T log_sum = scalar_log(exp_shifted(xr, tmp.data(), cols, m));
      s[r] = m + log_sum;
      // log(sum) - (x_t - max): exact for logits far from 0, where lse - x_t would cancel.
      l[r] = log_sum - (xr[t[r]] - m);
    }
  });
}

template <class T>
void cross_entropy_backward_typed(const Tensor& gl, const Tensor& g, const Tensor& logits, const Tensor& target,
                                  const Tensor& lse) {
  const int64_t rows = logits->shape()[0], cols = logits->shape()[1];
  const T* x = logits->data_as<T>();
  const int64_t* t = target->data_as<int64_t>();
  const T* gp = g->data_as<T>();
  const int64_t gstride = g->dim() == 0 ? 0 : g->strides()[0];
  T* d = gl->data_as<T>();
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      // softmax(row) recomputed as exp(x - max) / sum: exact for logits far
      // from 0, where exp(x - lse) would inherit lse's rounding.
      const T* xr = x + r * cols;
      T* dr = d + r * cols;
      const T m = row_max(xr, cols);
      const T inv_sum = T(1) / exp_shifted(xr, dr, cols, m);
      const T gr = gp[r * gstride];
      for (int64_t i = 0; i < cols; ++i) dr[i] *= inv_sum;
      dr[t[r]] -= T(1);
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
void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& logits, const Tensor& target) {
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy", [&] { cross_entropy_typed<scalar_t>(losses, lse, logits, target); });
}
void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses, const Tensor& logits,
                            const Tensor& target, const Tensor& lse) {
  FT_DISPATCH_FLOATING_TYPES(logits->dtype(), "cross_entropy_backward", [&] {
    cross_entropy_backward_typed<scalar_t>(grad_logits, grad_losses, logits, target, lse);
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
