// Row sorts (sort, argsort, topk): each row's positions stable-sorted by key
// (topk: the first k partially sorted, ties by position as the stable sort
// orders them), then the keys and positions written out. NaN sorts as the
// largest value.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "cpu/kernels.h"
#include "cpu/parallel.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

template <class T>
bool key_less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a)) return false;  // NaN is after everything
    if (std::isnan(b)) return true;
  }
  return a < b;
}

template <class T>
void sort_rows(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t k) {
  const int64_t rows = in->shape()[0], cols = in->shape()[1];
  const T* src = in->data_as<T>();
  T* out_values = values->data_as<T>();
  int64_t* out_indices = indices->data_as<int64_t>();
  // A row's work is about cols * log2(cols) comparisons: parallel over rows.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(cols, 1));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> order(cols);
    for (int64_t r = begin; r < end; ++r) {
      const T* row = src + r * cols;
      std::iota(order.begin(), order.end(), int64_t(0));
      // i before j: i's key first in the requested direction.
      const auto before = [row, descending](int64_t i, int64_t j) {
        return descending ? key_less(row[j], row[i]) : key_less(row[i], row[j]);
      };
      if (k < cols) {
        // Only the first k (topk): a partial sort, O(C log k); ties broken by position, which
        // is what the stable sort gives them.
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t i, int64_t j) {
          return before(i, j) || (!before(j, i) && i < j);
        });
      } else {
        std::stable_sort(order.begin(), order.end(), before);
      }
      for (int64_t c = 0; c < cols; ++c) {
        out_values[r * cols + c] = row[order[c]];
        out_indices[r * cols + c] = order[c];
      }
    }
  });
}

}  // namespace

void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t k) {
  if (in->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(in->dtype(), "sort", [&] { sort_rows<scalar_t>(values, indices, in, descending, k); });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
