// Data types and PyTorch's promotion rules.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"

namespace ft {

enum class DType : uint8_t { Bool = 0, UInt8, Int32, Int64, Float32, Float64 };
constexpr int kNumDTypes = 6;

inline size_t itemsize(DType t) {
  switch (t) {
    case DType::Bool:
    case DType::UInt8: return 1;
    case DType::Int32:
    case DType::Float32: return 4;
    case DType::Int64:
    case DType::Float64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Bool: return "bool";
    case DType::UInt8: return "uint8";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
  }
  return "?";
}

// PyTorch spells some dtypes differently in its messages ("Float", "Long").
inline const char* dtype_scalar_name(DType t) {
  switch (t) {
    case DType::Bool: return "Bool";
    case DType::UInt8: return "Byte";
    case DType::Int32: return "Int";
    case DType::Int64: return "Long";
    case DType::Float32: return "Float";
    case DType::Float64: return "Double";
  }
  return "?";
}

inline bool is_floating(DType t) { return t == DType::Float32 || t == DType::Float64; }
inline bool is_integral(DType t, bool include_bool) {
  return include_bool ? !is_floating(t) : (t != DType::Bool && !is_floating(t));
}

// Category order used by promotion: bool < integer < floating.
inline int category(DType t) { return t == DType::Bool ? 0 : (is_floating(t) ? 2 : 1); }

// Promotion between two tensors of the same "priority" (both dimensioned, or both 0-d).
inline DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  if (is_floating(a) || is_floating(b)) {
    if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
    return DType::Float32;
  }
  // Both integers: uint8 with a signed int widens to the signed one (int32/int64).
  return static_cast<uint8_t>(a) > static_cast<uint8_t>(b) ? a : b;
}

DType default_dtype();
void set_default_dtype(DType t);

// Calls f with a value of the C++ type for dtype t: f(T{}).
#define FT_DISPATCH_CASE(ENUM, TYPE, ...) \
  case ::ft::DType::ENUM: {               \
    using scalar_t = TYPE;                \
    return __VA_ARGS__();                 \
  }

#define FT_DISPATCH_ALL_TYPES(DT, NAME, ...)                                   \
  [&] {                                                                        \
    switch (DT) {                                                              \
      FT_DISPATCH_CASE(Bool, bool, __VA_ARGS__)                                \
      FT_DISPATCH_CASE(UInt8, uint8_t, __VA_ARGS__)                            \
      FT_DISPATCH_CASE(Int32, int32_t, __VA_ARGS__)                            \
      FT_DISPATCH_CASE(Int64, int64_t, __VA_ARGS__)                            \
      FT_DISPATCH_CASE(Float32, float, __VA_ARGS__)                            \
      FT_DISPATCH_CASE(Float64, double, __VA_ARGS__)                           \
    }                                                                          \
    throw ::ft::RuntimeError(std::string(NAME) + ": unsupported dtype");     \
  }()

#define FT_DISPATCH_FLOATING_TYPES(DT, NAME, ...)                                            \
  [&] {                                                                                      \
    switch (DT) {                                                                            \
      FT_DISPATCH_CASE(Float32, float, __VA_ARGS__)                                          \
      FT_DISPATCH_CASE(Float64, double, __VA_ARGS__)                                         \
      default: break;                                                                        \
    }                                                                                        \
    throw ::ft::NotImplementedError(std::string("\"") + NAME + "\" not implemented for '" +       \
                             ::ft::dtype_scalar_name(DT) + "'");                            \
  }()

}  // namespace ft
