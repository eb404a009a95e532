// Scalar: a Python number on its way into an op (bool, int or float).
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace ft {

struct Scalar {
  enum class Kind : uint8_t { Bool, Int, Float } kind = Kind::Int;
  int64_t i = 0;
  double d = 0;

  Scalar() = default;
  static Scalar from_bool(bool b) { Scalar s; s.kind = Kind::Bool; s.i = b; s.d = b; return s; }
  static Scalar from_int(int64_t v) { Scalar s; s.kind = Kind::Int; s.i = v; s.d = static_cast<double>(v); return s; }
  static Scalar from_double(double v) { Scalar s; s.kind = Kind::Float; s.d = v; s.i = static_cast<int64_t>(v); return s; }

  bool is_floating() const { return kind == Kind::Float; }
  bool is_bool() const { return kind == Kind::Bool; }
  // The dtype PyTorch gives a tensor made from this number alone.
  DType natural_dtype() const {
    return kind == Kind::Bool ? DType::Bool : (kind == Kind::Int ? DType::Int64 : default_dtype());
  }
  template <class T>
  T to() const {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(d);
    else if constexpr (std::is_same_v<T, bool>) return kind == Kind::Float ? d != 0 : i != 0;
    else return kind == Kind::Float ? static_cast<T>(static_cast<int64_t>(d)) : static_cast<T>(i);
  }
};

}  // namespace ft
