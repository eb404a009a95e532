// Shape: a fixed-capacity list of sizes or strides kept inline in the tensor,
// so making a tensor or a view never touches the heap for its shape.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"

namespace ft {

constexpr int kMaxDims = 12;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> v) { assign(v.begin(), v.end()); }
  explicit Shape(const std::vector<int64_t>& v) { assign(v.begin(), v.end()); }
  template <class It>
  Shape(It first, It last) { assign(first, last); }
  static Shape filled(int n, int64_t value) {
    Shape s;
    s.resize(n, value);
    return s;
  }

  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](int i) { return v_[i]; }
  int64_t operator[](int i) const { return v_[i]; }
  int64_t* begin() { return v_; }
  int64_t* end() { return v_ + n_; }
  const int64_t* begin() const { return v_; }
  const int64_t* end() const { return v_ + n_; }
  const int64_t* data() const { return v_; }
  int64_t back() const { return v_[n_ - 1]; }

  void push_back(int64_t x) {
    check_capacity(n_ + 1);
    v_[n_++] = x;
  }
  void pop_back() { --n_; }
  void resize(int n, int64_t value = 0) {
    check_capacity(n);
    for (int i = n_; i < n; ++i) v_[i] = value;
    n_ = n;
  }
  void insert(int pos, int64_t x) {
    check_capacity(n_ + 1);
    for (int i = n_; i > pos; --i) v_[i] = v_[i - 1];
    v_[pos] = x;
    ++n_;
  }
  void erase(int pos) {
    for (int i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
    --n_;
  }
  std::vector<int64_t> vec() const { return std::vector<int64_t>(begin(), end()); }

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < n_; ++i) n *= v_[i];
    return n;
  }
  bool operator==(const Shape& o) const { return n_ == o.n_ && std::equal(begin(), end(), o.begin()); }
  bool operator!=(const Shape& o) const { return !(*this == o); }

  // "[2, 3]" as PyTorch writes shapes in messages.
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < n_; ++i) s += (i ? ", " : "") + std::to_string(v_[i]);
    return s + "]";
  }

 private:
  template <class It>
  void assign(It first, It last) {
    n_ = 0;
    for (; first != last; ++first) push_back(static_cast<int64_t>(*first));
  }
  static void check_capacity(int n) {
    FT_CHECK(n <= kMaxDims, RuntimeError, "fasttensor supports tensors of at most ", kMaxDims,
             " dimensions, got ", n);
  }
  int64_t v_[kMaxDims] = {};
  int n_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

// Row-major strides of a contiguous tensor of this shape.
inline Shape contiguous_strides(const Shape& shape) {
  Shape st = Shape::filled(shape.size(), 1);
  int64_t acc = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

// Wraps a possibly negative dim into [0, ndim); IndexError as PyTorch.
inline int wrap_dim(int64_t dim, int ndim) {
  int64_t n = std::max(ndim, 1);  // a 0-d tensor accepts dim 0 and -1
  FT_CHECK(dim >= -n && dim < n, IndexError, "Dimension out of range (expected to be in range of [", -n, ", ",
           n - 1, "], but got ", dim, ")");
  return static_cast<int>(dim < 0 ? dim + n : dim);
}

}  // namespace ft
