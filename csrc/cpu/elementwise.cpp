// CPU elementwise kernels: copy/cast, fill, arange, binary, unary, where.
// Compiled once per SIMD level (namespace FT_CPU_LEVEL); the contiguous and
// scalar-operand runs are plain loops the compiler vectorizes for that level,
// transcendental functions come from vec_math.h.
#include <cmath>
#include <cstring>
#include <limits>

#include "core/backend.h"
#include "cpu/kernels.h"
#include "cpu/special.h"
#include "cpu/loops.h"
#include "cpu/vec_math.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

// Applies f over one run: out = f(a, b) with contiguous / scalar fast paths.
template <class Out, class A, class B, class F>
inline void binary_run(char** p, const int64_t* s, int64_t n, const F& f) {
  Out* o = reinterpret_cast<Out*>(p[0]);
  const A* a = reinterpret_cast<const A*>(p[1]);
  const B* b = reinterpret_cast<const B*>(p[2]);
  if (s[0] == sizeof(Out)) {
    if (s[1] == sizeof(A) && s[2] == sizeof(B)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
      return;
    }
    if (s[1] == sizeof(A) && s[2] == 0) {
      const B bv = *b;
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
      return;
    }
    if (s[1] == 0 && s[2] == sizeof(B)) {
      const A av = *a;
      for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<Out*>(p[0] + i * s[0]) =
        f(load<A>(p[1] + i * s[1]), load<B>(p[2] + i * s[2]));
}

template <class Out, class In, class F>
inline void unary_run(char** p, const int64_t* s, int64_t n, const F& f) {
  Out* o = reinterpret_cast<Out*>(p[0]);
  const In* a = reinterpret_cast<const In*>(p[1]);
  if (s[0] == sizeof(Out) && s[1] == sizeof(In)) {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    return;
  }
  if (s[0] == sizeof(Out) && s[1] == 0) {
    const Out v = f(*a);
    for (int64_t i = 0; i < n; ++i) o[i] = v;
    return;
  }
  for (int64_t i = 0; i < n; ++i) *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(load<In>(p[1] + i * s[1]));
}

template <class Out, class A, class B, class F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, int64_t grain, const F& f) {
  StridedLayout<3> L(out->shape(), {out.get(), a.get(), b.get()});
  for_each_run(L, grain, [&](char** p, const int64_t* s, int64_t n) { binary_run<Out, A, B>(p, s, n, f); });
}

template <class Out, class In, class F>
void unary_loop(const Tensor& out, const Tensor& in, int64_t grain, const F& f) {
  StridedLayout<2> L(out->shape(), {out.get(), in.get()});
  for_each_run(L, grain, [&](char** p, const int64_t* s, int64_t n) { unary_run<Out, In>(p, s, n, f); });
}

// A function over contiguous arrays (vec_exp and friends) applied to runs,
// through a small stack buffer when a run is strided.
template <class T, class VecFn, class ScalarFn>
void unary_vec_loop(const Tensor& out, const Tensor& in, const VecFn& vec, const ScalarFn& scalar) {
  StridedLayout<2> L(out->shape(), {out.get(), in.get()});
  for_each_run(L, 8192, [&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      vec(reinterpret_cast<const T*>(p[1]), reinterpret_cast<T*>(p[0]), n);
      return;
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = scalar(load<T>(p[1] + i * s[1]));
  });
}

// NaN propagates; a tie (0 and -0 too) gives a, as PyTorch's maximum(-0., 0.) = -0.
template <class T>
inline T max_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return (b != b || a < b) ? b : a;
  else return a < b ? b : a;
}
template <class T>
inline T min_nan(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return (b != b || b < a) ? b : a;
  else return b < a ? b : a;
}

// Integer division by -1 is negation, done in unsigned arithmetic: the
// hardware traps on min / -1 (and min % -1), and PyTorch's result wraps.
template <class T>
inline bool is_negative(T x) {  // false for unsigned types, without comparing them with 0
  if constexpr (std::is_signed_v<T>) return x < T(0);
  else return false;
}
template <class T>
inline bool is_minus_one(T y) {
  if constexpr (std::is_signed_v<T>) return y == T(-1);
  else return false;
}
template <class T>
inline T negate_wrapping(T x) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U(0) - static_cast<U>(x));
}

// An exponent below 0 (from a tensor; a Python number is refused before the
// kernel) gives 1 / base^|exp| truncated, as PyTorch: 1 for base 1, +-1 for
// base -1, else 0.
template <class T>
T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T> && !std::is_same_v<T, bool>) {
    if (exp < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exp & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  T result = 1;
  while (exp > 0) {
    if (exp & 1) result *= base;
    base *= base;
    exp >>= 1;
  }
  return result;
}

// x << n and x >> n for an integer type T, as PyTorch's: n < 0 or n at least
// T's width gives 0 (a right shift, the sign: -1 for negative x). The left
// shift runs on the unsigned type, so a negative x shifts without UB.
template <class T>
T shift_left(T x, T n) {
  if (is_negative(n) || n >= T(sizeof(T) * 8)) return 0;
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(x) << n);
}
template <class T>
T shift_right(T x, T n) {
  if (is_negative(n) || n >= T(sizeof(T) * 8)) return is_negative(x) ? T(-1) : T(0);
  return static_cast<T>(x >> n);
}

template <class T>
void check_no_zero_divisor(const Tensor& b) {
  bool zero = false;
  StridedLayout<1> L(b->shape(), {b.get()});
  run_range(L, 0, L.numel(), [&](char** p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) zero |= load<T>(p[0] + i * s[0]) == 0;
  });
  FT_CHECK(!zero, RuntimeError, "ZeroDivisionError");
}

// Integer +, - and * wrap around (two's complement) as PyTorch's do. A signed
// overflow is undefined in C++, so integers compute in the unsigned type of
// their promoted type (int for uint8: 255 * 255 must not overflow a uint16).
template <class T, class F> inline T wrapping(T x, T y, F op) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<decltype(x + y)>;
    return static_cast<T>(op(static_cast<U>(x), static_cast<U>(y)));
  } else {
    return op(x, y);
  }
}

template <class T>
void binary_typed(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  constexpr bool is_float = std::is_floating_point_v<T>;
  constexpr int64_t g = kElementwiseGrain;
  switch (op) {
    case BinaryOp::Add:
      if constexpr (std::is_same_v<T, bool>) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x || y); });
      else return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return wrapping(x, y, [](auto u, auto v) { return u + v; }); });
    case BinaryOp::Sub:
      return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return wrapping(x, y, [](auto u, auto v) { return u - v; }); });
    case BinaryOp::Mul:
      if constexpr (std::is_same_v<T, bool>) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x && y); });
      else return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return wrapping(x, y, [](auto u, auto v) { return u * v; }); });
    case BinaryOp::Div:
      if constexpr (is_float) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return x / y; });
      break;
    case BinaryOp::FloorDiv:
      if constexpr (is_float) {
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) {
          // Python's floor division: the quotient rounded toward -inf.
          if (y == 0) return x / y;
          T mod = std::fmod(x, y);
          T div = (x - mod) / y;
          if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1;
          if (div == 0) return std::copysign(T(0), x / y);
          T floordiv = std::floor(div);
          if (div - floordiv > T(0.5)) floordiv += 1;
          return floordiv;
        });
      } else if constexpr (!std::is_same_v<T, bool>) {
        check_no_zero_divisor<T>(b);
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) {
          if (is_minus_one(y)) return negate_wrapping(x);  // min / -1 would trap
          T q = x / y;
          if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
          return q;
        });
      }
      break;
    case BinaryOp::Remainder:
      if constexpr (is_float) {
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) {
          T m = std::fmod(x, y);
          if (m != 0 && ((y < 0) != (m < 0))) m += y;
          return m;
        });
      } else if constexpr (!std::is_same_v<T, bool>) {
        check_no_zero_divisor<T>(b);
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) {
          if (is_minus_one(y)) return T(0);
          T m = x % y;
          if (m != 0 && ((y < 0) != (m < 0))) m += y;
          return m;
        });
      }
      break;
    case BinaryOp::Fmod:
      if constexpr (is_float) {
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return std::fmod(x, y); });
      } else if constexpr (!std::is_same_v<T, bool>) {
        check_no_zero_divisor<T>(b);
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return is_minus_one(y) ? T(0) : T(x % y); });
      }
      break;
    case BinaryOp::Pow:
      if constexpr (is_float) {
        // Common scalar exponents get fast forms equal to pow's (x ** 0.5 from a Python number is
        // sqrt, dispatched before the kernel: ops/elementwise.cpp binary_forward).
        if (b->numel() > 0 && b->strides().numel() >= 0) {
          bool scalar_b = true;
          for (int d = 0; d < b->dim(); ++d) scalar_b = scalar_b && (b->strides()[d] == 0 || b->shape()[d] == 1);
          if (scalar_b) {
            const T e = *b->data_as<T>();
            if (e == 2) return binary_loop<T, T, T>(out, a, b, g, [](T x, T) { return x * x; });
            if (e == 1) return binary_loop<T, T, T>(out, a, b, g, [](T x, T) { return x; });
            if (e == 3) return binary_loop<T, T, T>(out, a, b, g, [](T x, T) { return x * x * x; });
          }
        }
        return binary_loop<T, T, T>(out, a, b, 4096, [](T x, T y) { return std::pow(x, y); });
      } else if constexpr (std::is_same_v<T, bool>) {
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x || !y); });
      } else {
        return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return int_pow<T>(x, y); });
      }
    case BinaryOp::Maximum: return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return max_nan(x, y); });
    case BinaryOp::Minimum: return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return min_nan(x, y); });
    case BinaryOp::BitAnd:
      if constexpr (!is_float) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x & y); });
      break;
    case BinaryOp::BitOr:
      if constexpr (!is_float) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x | y); });
      break;
    case BinaryOp::BitXor:
      if constexpr (!is_float) return binary_loop<T, T, T>(out, a, b, g, [](T x, T y) { return T(x ^ y); });
      break;
    case BinaryOp::LeftShift:
      if constexpr (!is_float && !std::is_same_v<T, bool>) return binary_loop<T, T, T>(out, a, b, g, shift_left<T>);
      break;
    case BinaryOp::RightShift:
      if constexpr (!is_float && !std::is_same_v<T, bool>) return binary_loop<T, T, T>(out, a, b, g, shift_right<T>);
      break;
    case BinaryOp::Eq: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x == y; });
    case BinaryOp::Ne: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x != y; });
    case BinaryOp::Lt: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x < y; });
    case BinaryOp::Le: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x > y; });
    case BinaryOp::Ge: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x != T(0) && y != T(0); });
    case BinaryOp::LogicalOr: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return x != T(0) || y != T(0); });
    case BinaryOp::LogicalXor: return binary_loop<bool, T, T>(out, a, b, g, [](T x, T y) { return (x != T(0)) != (y != T(0)); });
    case BinaryOp::ReluBackward:
      // g where the output is not <= 0: at a NaN output too, as PyTorch's threshold_backward.
      if constexpr (is_float) return binary_loop<T, T, T>(out, a, b, g, [](T gr, T x) { return x <= 0 ? T(0) : gr; });
      break;
    case BinaryOp::SigmoidBackward:
      if constexpr (is_float) return binary_loop<T, T, T>(out, a, b, g, [](T gr, T y) { return gr * y * (T(1) - y); });
      break;
    case BinaryOp::TanhBackward:
      if constexpr (is_float) return binary_loop<T, T, T>(out, a, b, g, [](T gr, T y) { return gr * (T(1) - y * y); });
      break;
  }
  throw NotImplementedError(str("binary op not implemented for '", dtype_scalar_name(a->dtype()), "'"));
}

template <class T>
void unary_typed(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) {
  constexpr bool is_float = std::is_floating_point_v<T>;
  constexpr int64_t g = kElementwiseGrain;
  switch (op) {
    case UnaryOp::Neg: return unary_loop<T, T>(out, in, g, [](T x) { return T(-x); });
    case UnaryOp::Abs:
      if constexpr (std::is_unsigned_v<T> || std::is_same_v<T, bool>) return unary_loop<T, T>(out, in, g, [](T x) { return x; });
      else return unary_loop<T, T>(out, in, g, [](T x) { return x < 0 ? T(-x) : (x == 0 ? T(0) : x); });
    case UnaryOp::Sign:
      if constexpr (std::is_same_v<T, bool>) return unary_loop<T, T>(out, in, g, [](T x) { return x; });
      else return unary_loop<T, T>(out, in, g, [](T x) { return T((T(0) < x) - (x < T(0))); });
    case UnaryOp::Square: return unary_loop<T, T>(out, in, g, [](T x) { return T(x * x); });
    case UnaryOp::Relu:
      // x itself unless below 0: NaN and -0 pass, as PyTorch's relu.
      return unary_loop<T, T>(out, in, g, [](T x) { return is_negative(x) ? T(0) : x; });
    case UnaryOp::LogicalNot: return unary_loop<bool, T>(out, in, g, [](T x) { return x == T(0); });
    case UnaryOp::IsNan: return unary_loop<bool, T>(out, in, g, [](T x) { return x != x; });
    case UnaryOp::IsFinite:
      if constexpr (is_float) return unary_loop<bool, T>(out, in, g, [](T x) { return std::isfinite(x); });
      else return unary_loop<bool, T>(out, in, g, [](T) { return true; });
    case UnaryOp::IsInf:
      if constexpr (is_float) return unary_loop<bool, T>(out, in, g, [](T x) { return std::isinf(x); });
      else return unary_loop<bool, T>(out, in, g, [](T) { return false; });
    case UnaryOp::Floor:
      if constexpr (is_float) return unary_loop<T, T>(out, in, g, [](T x) { return std::floor(x); });
      else return unary_loop<T, T>(out, in, g, [](T x) { return x; });
    case UnaryOp::Ceil:
      if constexpr (is_float) return unary_loop<T, T>(out, in, g, [](T x) { return std::ceil(x); });
      else return unary_loop<T, T>(out, in, g, [](T x) { return x; });
    case UnaryOp::Round:
      if constexpr (is_float) return unary_loop<T, T>(out, in, g, [](T x) { return std::nearbyint(x); });
      else return unary_loop<T, T>(out, in, g, [](T x) { return x; });
    case UnaryOp::Trunc:
      if constexpr (is_float) return unary_loop<T, T>(out, in, g, [](T x) { return std::trunc(x); });
      else return unary_loop<T, T>(out, in, g, [](T x) { return x; });
    case UnaryOp::Clamp: {
      if constexpr (is_float) {
        const T lo = static_cast<T>(p0), hi = static_cast<T>(p1);
        // A NaN bound makes every element NaN, as PyTorch (decided once, outside the loop).
        if (lo != lo || hi != hi) {
          const T nan = std::numeric_limits<T>::quiet_NaN();
          return unary_loop<T, T>(out, in, g, [nan](T) { return nan; });
        }
        // min(max(x, lo), hi) as two selects the compiler turns into vector blends: a NaN x
        // passes both comparisons false and stays NaN; with lo > hi every element is hi, as PyTorch.
        return unary_loop<T, T>(out, in, g, [lo, hi](T x) {
          const T r = x < lo ? lo : x;
          return r > hi ? hi : r;
        });
      } else if constexpr (!std::is_same_v<T, bool>) {
        // Bounds clipped to the type's range (no bound is +-inf).
        const T lo = saturate_to<T>(p0), hi = saturate_to<T>(p1);
        return unary_loop<T, T>(out, in, g, [lo, hi](T x) {
          const T r = x < lo ? lo : x;
          return r > hi ? hi : r;
        });
      }
      break;
    }
    default:
      break;
  }
  if constexpr (is_float) {
    switch (op) {
      case UnaryOp::Exp: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_exp(x, y, n); }, [](T x) { return scalar_exp(x); });
      case UnaryOp::Log: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_log(x, y, n); }, [](T x) { return scalar_log(x); });
      case UnaryOp::Log1p: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_log1p(x, y, n); }, [](T x) { return scalar_log1p(x); });
      case UnaryOp::Tanh: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_tanh(x, y, n); }, [](T x) { return scalar_tanh(x); });
      case UnaryOp::Sigmoid: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_sigmoid(x, y, n); }, [](T x) { return scalar_sigmoid(x); });
      case UnaryOp::Sin: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_sin(x, y, n); }, [](T x) { return scalar_sin(x); });
      case UnaryOp::Cos: return unary_vec_loop<T>(out, in, [](const T* x, T* y, int64_t n) { vec_cos(x, y, n); }, [](T x) { return scalar_cos(x); });
      case UnaryOp::Sqrt: return unary_loop<T, T>(out, in, g, [](T x) { return std::sqrt(x); });
      case UnaryOp::Rsqrt: return unary_loop<T, T>(out, in, g, [](T x) { return T(1) / std::sqrt(x); });
      case UnaryOp::Reciprocal: return unary_loop<T, T>(out, in, g, [](T x) { return T(1) / x; });
      // The C library's functions, element by element (no SIMD versions of ours yet).
      case UnaryOp::Expm1: return unary_loop<T, T>(out, in, g, [](T x) { return std::expm1(x); });
      case UnaryOp::Exp2: return unary_loop<T, T>(out, in, g, [](T x) { return std::exp2(x); });
      case UnaryOp::Log2: return unary_loop<T, T>(out, in, g, [](T x) { return std::log2(x); });
      case UnaryOp::Log10: return unary_loop<T, T>(out, in, g, [](T x) { return std::log10(x); });
      case UnaryOp::Sinh: return unary_loop<T, T>(out, in, g, [](T x) { return std::sinh(x); });
      case UnaryOp::Cosh: return unary_loop<T, T>(out, in, g, [](T x) { return std::cosh(x); });
      case UnaryOp::Tan: return unary_loop<T, T>(out, in, g, [](T x) { return std::tan(x); });
      case UnaryOp::Asin: return unary_loop<T, T>(out, in, g, [](T x) { return std::asin(x); });
      case UnaryOp::Acos: return unary_loop<T, T>(out, in, g, [](T x) { return std::acos(x); });
      case UnaryOp::Atan: return unary_loop<T, T>(out, in, g, [](T x) { return std::atan(x); });
      case UnaryOp::Erf: return unary_loop<T, T>(out, in, g, [](T x) { return std::erf(x); });
      case UnaryOp::Asinh: return unary_loop<T, T>(out, in, g, [](T x) { return std::asinh(x); });
      case UnaryOp::Acosh: return unary_loop<T, T>(out, in, g, [](T x) { return std::acosh(x); });
      // float atanhf / erfcf err by up to 1.7 / 2.6 ulp (PyTorch's SIMD versions by 0.5 / 0.9):
      // floats are evaluated in double and rounded once.
      case UnaryOp::Atanh: return unary_loop<T, T>(out, in, g, [](T x) { return T(std::atanh(double(x))); });
      case UnaryOp::Erfc: return unary_loop<T, T>(out, in, g, [](T x) { return T(std::erfc(double(x))); });
      case UnaryOp::Lgamma:  // lgamma_r: lgamma writes the global signgam (a data race between threads)
        return unary_loop<T, T>(out, in, g, [](T x) {
          int sign;
          return T(::lgamma_r(double(x), &sign));
        });
      case UnaryOp::Digamma: return unary_loop<T, T>(out, in, g, [](T x) { return T(special::digamma(double(x))); });
      case UnaryOp::Trigamma: return unary_loop<T, T>(out, in, g, [](T x) { return T(special::trigamma(double(x))); });
      default: break;
    }
  }
  throw NotImplementedError(str("unary op not implemented for '", dtype_scalar_name(in->dtype()), "'"));
}

template <class Dst, class Src>
void copy_typed(const Tensor& dst, const Tensor& src) {
  unary_loop<Dst, Src>(dst, src, kElementwiseGrain, [](Src x) {
    if constexpr (std::is_same_v<Dst, bool>) return x != Src(0);
    else if constexpr (std::is_floating_point_v<Src> && std::is_integral_v<Dst>) return float_to_int<Dst>(x);
    else return static_cast<Dst>(x);
  });
}

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  if (dst->numel() == 0) return;
  if (dst->dtype() == src->dtype() && dst->is_contiguous() && src->is_contiguous()) {
    char* d = static_cast<char*>(dst->data());
    const char* s = static_cast<const char*>(src->data());
    if (d == s) return;
    const int64_t bytes = dst->numel() * int64_t(dst->itemsize());
    parallel_for(0, bytes, int64_t(1) << 18, [&](int64_t b, int64_t e) { std::memmove(d + b, s + b, e - b); });
    return;
  }
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "copy", [&] {
    using D = scalar_t;
    FT_DISPATCH_ALL_TYPES(src->dtype(), "copy", [&] { copy_typed<D, scalar_t>(dst, src); });
  });
}

void fill(const Tensor& dst, const Scalar& value) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "fill", [&] {
    const scalar_t v = value.to<scalar_t>();
    StridedLayout<1> L(dst->shape(), {dst.get()});
    for_each_run(L, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(scalar_t)) {
        scalar_t* o = reinterpret_cast<scalar_t*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

// PyTorch's CPU arange, value for value (its printouts show the last bits: arange(-1, 1, 0.1)[10]
// is -2.98e-09 there, not 0): start + step * i in double with one rounding (fused), except in
// the runs its kernel fills as vectors: per task (parallel_for over grain 32768, tasks of
// ceil(n / tasks)), from the task's start, blocks of two vectors of W elements (W = 8 floats /
// 4 doubles: the AVX2 kernels its CPU builds use) take base = start + step * i0 rounded to the
// dtype and fill base + step * j; the remainder of a task, fewer than 2W, goes element by element.
// Each element's value follows from its index, so any of our threads may fill it.
template <class T>
void arange_float(T* o, int64_t n, double start, double step) {
  constexpr int64_t W = sizeof(T) == 4 ? 8 : 4, kTorchGrain = 32768;
  const int64_t tasks = n <= kTorchGrain ? 1 : std::min<int64_t>(get_num_threads(), (n + kTorchGrain - 1) / kTorchGrain);
  const int64_t chunk = (n + tasks - 1) / tasks;
  parallel_for(0, n, kElementwiseGrain, [&](int64_t b, int64_t e) {
    int64_t i = b;
    while (i < e) {  // one of torch's tasks (or the part of it in [b, e)) a round
      const int64_t task_begin = i / chunk * chunk, task_end = std::min(n, task_begin + chunk);
      const int64_t vector_end = std::min(e, task_begin + (task_end - task_begin) / (2 * W) * (2 * W));
      while (i < vector_end) {
        const int64_t i0 = task_begin + (i - task_begin) / W * W;
        const double base = static_cast<double>(static_cast<T>(std::fma(step, double(i0), start)));
        for (const int64_t stop = std::min(vector_end, i0 + W); i < stop; ++i)
          o[i] = static_cast<T>(std::fma(double(i - i0), step, base));
      }
      for (const int64_t stop = std::min(e, task_end); i < stop; ++i)
        o[i] = static_cast<T>(std::fma(step, double(i), start));
    }
  });
}

void arange(const Tensor& dst, double start, double step) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "arange", [&] {
    scalar_t* o = dst->data_as<scalar_t>();
    const int64_t n = dst->numel();
    if constexpr (std::is_floating_point_v<scalar_t>) {
      arange_float(o, n, start, step);
    } else {
      parallel_for(0, n, kElementwiseGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          o[i] = static_cast<scalar_t>(static_cast<int64_t>(start) + static_cast<int64_t>(step) * i);
      });
    }
  });
}

void linspace(const Tensor& dst, double start, double end) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "linspace", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel(), half = n / 2;
    const T s = static_cast<T>(start), e = static_cast<T>(end);
    const T step = (e - s) / static_cast<T>(n - 1);
    // In the dtype, fused as PyTorch's build computes it.
    parallel_for(0, n, kElementwiseGrain, [&](int64_t b, int64_t stop) {
      for (int64_t i = b; i < stop; ++i)
        o[i] = i < half ? std::fma(step, static_cast<T>(i), s) : std::fma(-step, static_cast<T>(n - 1 - i), e);
    });
  });
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  if (out->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(a->dtype(), "binary", [&] { binary_typed<scalar_t>(op, out, a, b); });
}

void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) {
  if (out->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(in->dtype(), "unary", [&] { unary_typed<scalar_t>(op, out, in, p0, p1); });
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (out->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(out->dtype(), "where", [&] {
    using T = scalar_t;
    StridedLayout<4> L(out->shape(), {out.get(), cond.get(), a.get(), b.get()});
    for_each_run(L, kElementwiseGrain, [&](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {  // both loaded, then a select: a blend, no branch on the mask
        const T x = load<T>(p[2] + i * s[2]), y = load<T>(p[3] + i * s[3]);
        *reinterpret_cast<T*>(p[0] + i * s[0]) = load<bool>(p[1] + i * s[1]) ? x : y;
      }
    });
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
