// Scalar: a Python number on its way into an op (bool, int or float).
#pragma once

#include <cstdint>
#include <limits>

#include "core/dtype.h"

namespace ft {

// Float -> integer conversion as x86's truncating instructions do it, which is
// what PyTorch's x86 builds print: NaN and values outside int32 (int64) become
// the "integer indefinite" INT32_MIN (INT64_MIN), and types narrower than int32
// go through int32 and wrap (300.0 -> uint8 44, -1.0 -> 255). A plain
// static_cast is undefined there, and Clang's and aarch64's code give other
// numbers; this is the same on every compiler and processor.
template <class Dst, class Src> inline Dst float_to_int(Src x) {
  static_assert(sizeof(Dst) <= 8);
  if constexpr (sizeof(Dst) == 8) {
    return x >= Src(-0x1p63) && x < Src(0x1p63) ? Dst(static_cast<int64_t>(x)) : Dst(INT64_MIN);
  } else {
    const int32_t i = x >= Src(-0x1p31) && x < Src(0x1p31) ? static_cast<int32_t>(x) : INT32_MIN;
    return static_cast<Dst>(i);
  }
}

// v (an integral double or +-inf) saturated into integer type T's range: int64's
// max is 2^63 as a double, which a plain cast would take out of range.
template <class T> inline T saturate_to(double v) {
  constexpr T tmin = std::numeric_limits<T>::lowest(), tmax = std::numeric_limits<T>::max();
  return v <= double(tmin) ? tmin : v >= double(tmax) ? tmax : static_cast<T>(v);
}

struct Scalar {
  enum class Kind : uint8_t { Bool, Int, Float } kind = Kind::Int;
  int64_t i = 0;
  double d = 0;

  Scalar() = default;
  static Scalar from_bool(bool b) { Scalar s; s.kind = Kind::Bool; s.i = b; s.d = b; return s; }
  static Scalar from_int(int64_t v) { Scalar s; s.kind = Kind::Int; s.i = v; s.d = static_cast<double>(v); return s; }
  static Scalar from_double(double v) { Scalar s; s.kind = Kind::Float; s.d = v; s.i = float_to_int<int64_t>(v); return s; }

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
