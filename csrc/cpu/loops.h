// Strided loops over N operands of one shape: dims are put in operand 0's
// memory order and coalesced (merged where every operand is contiguous
// across them), then the innermost run is
// handed to a kernel with its byte strides, so the kernel can take a fast
// path when the run is contiguous (stride == itemsize) or a scalar (0).
// Included only by the CPU kernel files, which are compiled once per SIMD
// level inside namespace ft::cpu::FT_CPU_LEVEL.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "core/tensor.h"
#include "cpu/parallel.h"

namespace ft::cpu::FT_CPU_LEVEL {

// Below this many elements an elementwise op runs on the calling thread.
constexpr int64_t kElementwiseGrain = 32768;

template <int N>
struct StridedLayout {
  int ndim = 0;
  int64_t sizes[kMaxDims];
  int64_t strides[N][kMaxDims];  // bytes
  char* base[N];

  // operands[0] is usually the output; all share `shape`.
  StridedLayout(const Shape& shape, const std::array<const TensorImpl*, N>& ops) {
    for (int k = 0; k < N; ++k) base[k] = static_cast<char*>(ops[k]->data());
    // Collect non-trivial dims, innermost last.
    for (int d = 0; d < shape.size(); ++d) {
      if (shape[d] == 1) continue;
      sizes[ndim] = shape[d];
      for (int k = 0; k < N; ++k) strides[k][ndim] = ops[k]->strides()[d] * int64_t(ops[k]->itemsize());
      ++ndim;
    }
    // Walk operand 0 (the output) in its memory order: a transposed output of
    // transposed inputs becomes one contiguous run. (Pointwise loops only: the
    // order of the elements does not matter.)
    for (int i = 1; i < ndim; ++i) {
      for (int j = i; j > 0 && strides[0][j - 1] < strides[0][j]; --j) {
        std::swap(sizes[j - 1], sizes[j]);
        for (int k = 0; k < N; ++k) std::swap(strides[k][j - 1], strides[k][j]);
      }
    }
    // Merge dim i into i+1 when every operand steps across them evenly.
    int out = 0;
    for (int d = 0; d < ndim; ++d) {
      if (out > 0) {
        bool mergeable = true;
        for (int k = 0; k < N; ++k) mergeable = mergeable && strides[k][out - 1] == strides[k][d] * sizes[d];
        if (mergeable) {
          sizes[out - 1] *= sizes[d];
          for (int k = 0; k < N; ++k) strides[k][out - 1] = strides[k][d];
          continue;
        }
      }
      sizes[out] = sizes[d];
      for (int k = 0; k < N; ++k) strides[k][out] = strides[k][d];
      ++out;
    }
    ndim = out;
  }

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; ++d) n *= sizes[d];
    return n;
  }
};

// Calls inner(ptrs, inner_strides, n) over runs of the innermost dim for
// linear element range [begin, end).
template <int N, class F>
void run_range(const StridedLayout<N>& L, int64_t begin, int64_t end, const F& inner) {
  if (L.ndim == 0) {
    char* p[N];
    int64_t s[N];
    for (int k = 0; k < N; ++k) p[k] = L.base[k], s[k] = 0;
    if (begin < end) inner(p, s, int64_t(1));
    return;
  }
  const int last = L.ndim - 1;
  const int64_t inner_size = L.sizes[last];
  int64_t idx[kMaxDims];
  int64_t rem = begin;
  for (int d = last; d >= 0; --d) {
    idx[d] = rem % L.sizes[d];
    rem /= L.sizes[d];
  }
  int64_t s_inner[N];
  for (int k = 0; k < N; ++k) s_inner[k] = L.strides[k][last];
  int64_t pos = begin;
  while (pos < end) {
    char* p[N];
    for (int k = 0; k < N; ++k) {
      char* q = L.base[k];
      for (int d = 0; d < L.ndim; ++d) q += idx[d] * L.strides[k][d];
      p[k] = q;
    }
    const int64_t n = std::min(inner_size - idx[last], end - pos);
    inner(p, s_inner, n);
    pos += n;
    idx[last] += n;
    for (int d = last; d > 0 && idx[d] == L.sizes[d]; --d) {
      idx[d] = 0;
      ++idx[d - 1];
    }
  }
}

// The whole iteration, split across threads when large.
template <int N, class F>
void for_each_run(const StridedLayout<N>& L, int64_t grain, const F& inner) {
  const int64_t n = L.numel();
  parallel_for(0, n, grain, [&](int64_t b, int64_t e) { run_range(L, b, e, inner); });
}

template <class T>
inline T load(const char* p) {
  return *reinterpret_cast<const T*>(p);
}

}  // namespace ft::cpu::FT_CPU_LEVEL
