// CUDA elementwise kernels: copy/cast, fill, arange, binary, unary, where.
// Each op is a small functor run by the loops of loops.cuh; the functors
// compute exactly what the CPU kernels (cpu/elementwise.cpp) compute.
//
// Integer floor division, remainder and fmod by zero: PyTorch on CUDA
// returns garbage; we raise RuntimeError("ZeroDivisionError") like our CPU backend.
// A Python-number divisor is checked on the host; a tensor divisor makes the
// kernel set the device error word, read after the kernel (one
// synchronization, only for integer //, % and fmod by a tensor). Integer tensors
// to negative integer powers are reported the same way.
#include <limits>

#include "cpu/special.h"
#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

template <class T>
constexpr bool kIsFloat = std::is_floating_point_v<T>;
template <class T>
constexpr bool kIsBool = std::is_same_v<T, bool>;

// x < 0 without "comparison of unsigned with zero" warnings.
template <class T>
__host__ __device__ constexpr bool is_negative(T x) {
  if constexpr (std::is_signed_v<T>) return x < T(0);
  else return false;
}

// --- copy, fill, arange --------------------------------------------------------

template <class Dst, class Src>
struct CastOp {
  __device__ Dst operator()(Src x) const {
    if constexpr (kIsBool<Dst>) return x != Src(0);
    // float -> uint8 goes through int64 so negative values wrap as on the CPU
    // (a direct conversion saturates on the GPU).
    else if constexpr (kIsFloat<Src> && std::is_same_v<Dst, uint8_t>) return Dst(static_cast<int64_t>(x));
    else return static_cast<Dst>(x);
  }
};

template <class T>
struct FillOp {
  T value;
  __device__ T operator()() const { return value; }
};

// dst (n,) contiguous = start + i * step, computed as the CPU does (in double,
// or in int64 for integer dtypes).
template <class T>
__global__ void arange_kernel(T* dst, int64_t n, double start, double step) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    if constexpr (kIsFloat<T>) dst[i] = static_cast<T>(start + step * double(i));
    else dst[i] = static_cast<T>(static_cast<int64_t>(start) + static_cast<int64_t>(step) * i);
  }
}

// dst (n >= 2) = linspace(start, end, n) as the CPU computes it: in T, fused, the second half
// counted back from end.
template <class T>
__global__ void linspace_kernel(T* dst, int64_t n, T start, T end, T step) {
  const int64_t half = n / 2;
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count())
    dst[i] = i < half ? fma(step, static_cast<T>(i), start) : fma(-step, static_cast<T>(n - 1 - i), end);
}

Scalar scalar_of(const HostScalar& s, DType dtype) {
  return FT_DISPATCH_ALL_TYPES(dtype, "copy", [&] {
    const scalar_t v = scalar_as<scalar_t>(s);
    if constexpr (kIsFloat<scalar_t>) return Scalar::from_double(v);
    else if constexpr (kIsBool<scalar_t>) return Scalar::from_bool(v);
    else return Scalar::from_int(int64_t(v));
  });
}

// --- binary ----------------------------------------------------------------------

template <class T>
struct AddOp {
  __device__ T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x || y;
    else return T(x + y);
  }
};
template <class T>
struct SubOp {
  __device__ T operator()(T x, T y) const { return T(x - y); }
};
template <class T>
struct MulOp {
  __device__ T operator()(T x, T y) const {
    if constexpr (kIsBool<T>) return x && y;
    else return T(x * y);
  }
};
template <class T>
struct DivOp {
  __device__ T operator()(T x, T y) const { return x / y; }
};

// Python's floor division: the quotient rounded toward -inf (cpu/elementwise.cpp).
template <class T>
struct FloatFloorDivOp {
  __device__ T operator()(T x, T y) const {
    if (y == 0) return x / y;
    const T mod = math::fmod(x, y);
    T div = (x - mod) / y;
    if (mod != 0 && ((y < 0) != (mod < 0))) div -= 1;
    if (div == 0) return math::copysign(T(0), x / y);
    T floordiv = math::floor(div);
    if (div - floordiv > T(0.5)) floordiv += 1;
    return floordiv;
  }
};
template <class T>
struct FloatRemainderOp {
  __device__ T operator()(T x, T y) const {
    T m = math::fmod(x, y);
    if (m != 0 && ((y < 0) != (m < 0))) m += y;
    return m;
  }
};

// Integer // and %: a zero divisor sets the error word (raised on the host).
template <class T>
struct IntFloorDivOp {
  int64_t* error;
  __device__ T operator()(T x, T y) const {
    if (y == 0) {
      error[0] = 1;
      return T(0);
    }
    T q = T(x / y);
    if ((x % y != 0) && (is_negative(x) != is_negative(y))) --q;
    return q;
  }
};
template <class T>
struct IntRemainderOp {
  int64_t* error;
  __device__ T operator()(T x, T y) const {
    if (y == 0) {
      error[0] = 1;
      return T(0);
    }
    T m = T(x % y);
    if (m != 0 && (is_negative(y) != is_negative(m))) m = T(m + y);
    return m;
  }
};

// fmod: the sign of the dividend, as C's fmod (Remainder takes the divisor's).
template <class T>
struct FloatFmodOp {
  __device__ T operator()(T x, T y) const { return math::fmod(x, y); }
};
template <class T>
struct IntFmodOp {
  int64_t* error;
  __device__ T operator()(T x, T y) const {
    if (y == 0) {
      error[0] = 1;
      return T(0);
    }
    return T(x % y);
  }
};

template <class T>
struct FloatPowOp {
  __device__ T operator()(T x, T y) const { return math::pow(x, y); }
};
// Fast forms for common scalar exponents, as the CPU kernel (0.5 from a Python number is sqrt,
// dispatched before the kernel).
template <class T>
struct SquareFirstOp {
  __device__ T operator()(T x, T) const { return x * x; }
};
template <class T>
struct CubeFirstOp {
  __device__ T operator()(T x, T) const { return x * x * x; }
};
template <class T>
struct FirstOp {
  __device__ T operator()(T x, T) const { return x; }
};
template <class T>
struct IntPowOp {  // a negative exponent (from a tensor) as the CPU's int_pow: 1, +-1 or 0
  __device__ T operator()(T base, T exp) const {
    if constexpr (kIsBool<T>) {
      return base || !exp;
    } else {
      if (is_negative(exp)) return base == T(1) ? T(1) : base == T(-1) ? ((exp & 1) ? T(-1) : T(1)) : T(0);
      T result = 1;
      while (exp > 0) {
        if (exp & 1) result = T(result * base);
        base = T(base * base);
        exp >>= 1;
      }
      return result;
    }
  }
};

template <class T>
struct MaximumOp {  // NaN propagates; a tie (0 and -0 too) gives x, as the CPU's
  __device__ T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return (y != y || x < y) ? y : x;
    else return x < y ? y : x;
  }
};
template <class T>
struct MinimumOp {
  __device__ T operator()(T x, T y) const {
    if constexpr (kIsFloat<T>) return (y != y || y < x) ? y : x;
    else return y < x ? y : x;
  }
};

template <class T>
struct EqOp {
  __device__ bool operator()(T x, T y) const { return x == y; }
};
template <class T>
struct NeOp {
  __device__ bool operator()(T x, T y) const { return x != y; }
};
template <class T>
struct LtOp {
  __device__ bool operator()(T x, T y) const { return x < y; }
};
template <class T>
struct LeOp {
  __device__ bool operator()(T x, T y) const { return x <= y; }
};
template <class T>
struct GtOp {
  __device__ bool operator()(T x, T y) const { return x > y; }
};
template <class T>
struct GeOp {
  __device__ bool operator()(T x, T y) const { return x >= y; }
};
template <class T>
struct BitAndOp {
  __device__ T operator()(T x, T y) const { return T(x & y); }
};
template <class T>
struct BitOrOp {
  __device__ T operator()(T x, T y) const { return T(x | y); }
};
template <class T>
struct BitXorOp {
  __device__ T operator()(T x, T y) const { return T(x ^ y); }
};
// As the CPU's shift_left / shift_right: 0 (or the sign) for a shift below 0 or of the width or more.
template <class T>
struct ShiftLeftOp {
  __device__ T operator()(T x, T n) const {
    if (is_negative(n) || n >= T(sizeof(T) * 8)) return T(0);
    return static_cast<T>(static_cast<std::make_unsigned_t<T>>(x) << n);
  }
};
template <class T>
struct ShiftRightOp {
  __device__ T operator()(T x, T n) const {
    if (is_negative(n) || n >= T(sizeof(T) * 8)) return is_negative(x) ? T(-1) : T(0);
    return static_cast<T>(x >> n);
  }
};
template <class T>
struct LogicalAndOp {
  __device__ bool operator()(T x, T y) const { return x != T(0) && y != T(0); }
};
template <class T>
struct LogicalOrOp {
  __device__ bool operator()(T x, T y) const { return x != T(0) || y != T(0); }
};
template <class T>
struct LogicalXorOp {
  __device__ bool operator()(T x, T y) const { return (x != T(0)) != (y != T(0)); }
};

// Backward helpers: a = incoming gradient, b = the saved tensor.
template <class T>
struct ReluBackwardOp {  // b = the output; g at a NaN output too, as PyTorch's threshold_backward
  __device__ T operator()(T g, T x) const { return x <= 0 ? T(0) : g; }
};
template <class T>
struct SigmoidBackwardOp {  // b = output
  __device__ T operator()(T g, T y) const { return g * y * (T(1) - y); }
};
template <class T>
struct TanhBackwardOp {  // b = output
  __device__ T operator()(T g, T y) const { return g * (T(1) - y * y); }
};

// Raises what the kernel reported through the error word.
void raise_if_reported(const char* message) {
  FT_CHECK(!take_error_report().raised, RuntimeError, message);
}

template <class T>
void binary_typed(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const ElementwisePlan<3> plan = plan_elementwise<3>(out->shape(), {out.get(), a.get(), b.get()});
  // The divisor / exponent as a Python number, when it is one.
  const bool b_is_host_scalar = plan.args.data[2] == nullptr;
  const T b_value = scalar_as<T>(plan.args.scalar[2]);
  auto run = [&](auto f) { launch_elementwise<T, T, T>(plan, f); };
  auto compare = [&](auto f) { launch_elementwise<bool, T, T>(plan, f); };
  switch (op) {
    case BinaryOp::Add: return run(AddOp<T>{});
    case BinaryOp::Sub: return run(SubOp<T>{});
    case BinaryOp::Mul: return run(MulOp<T>{});
    case BinaryOp::Div:
      if constexpr (kIsFloat<T>) return run(DivOp<T>{});
      break;
    case BinaryOp::FloorDiv:
    case BinaryOp::Remainder:
    case BinaryOp::Fmod:
      if constexpr (kIsFloat<T>) {
        if (op == BinaryOp::FloorDiv) return run(FloatFloorDivOp<T>{});
        if (op == BinaryOp::Remainder) return run(FloatRemainderOp<T>{});
        return run(FloatFmodOp<T>{});
      } else if constexpr (!kIsBool<T>) {
        FT_CHECK(!(b_is_host_scalar && b_value == 0), RuntimeError, "ZeroDivisionError");
        if (op == BinaryOp::FloorDiv) run(IntFloorDivOp<T>{error_words()});
        else if (op == BinaryOp::Remainder) run(IntRemainderOp<T>{error_words()});
        else run(IntFmodOp<T>{error_words()});
        if (!b_is_host_scalar) raise_if_reported("ZeroDivisionError");
        return;
      }
      break;
    case BinaryOp::Pow:
      if constexpr (kIsFloat<T>) {
        if (b_is_host_scalar) {
          if (b_value == 2) return run(SquareFirstOp<T>{});
          if (b_value == 1) return run(FirstOp<T>{});
          if (b_value == 3) return run(CubeFirstOp<T>{});
        }
        return run(FloatPowOp<T>{});
      } else {
        return run(IntPowOp<T>{});
      }
    case BinaryOp::Maximum: return run(MaximumOp<T>{});
    case BinaryOp::Minimum: return run(MinimumOp<T>{});
    case BinaryOp::BitAnd:
      if constexpr (!kIsFloat<T>) return run(BitAndOp<T>{});
      break;
    case BinaryOp::BitOr:
      if constexpr (!kIsFloat<T>) return run(BitOrOp<T>{});
      break;
    case BinaryOp::BitXor:
      if constexpr (!kIsFloat<T>) return run(BitXorOp<T>{});
      break;
    case BinaryOp::LeftShift:
      if constexpr (!kIsFloat<T> && !kIsBool<T>) return run(ShiftLeftOp<T>{});
      break;
    case BinaryOp::RightShift:
      if constexpr (!kIsFloat<T> && !kIsBool<T>) return run(ShiftRightOp<T>{});
      break;
    case BinaryOp::Eq: return compare(EqOp<T>{});
    case BinaryOp::Ne: return compare(NeOp<T>{});
    case BinaryOp::Lt: return compare(LtOp<T>{});
    case BinaryOp::Le: return compare(LeOp<T>{});
    case BinaryOp::Gt: return compare(GtOp<T>{});
    case BinaryOp::Ge: return compare(GeOp<T>{});
    case BinaryOp::LogicalAnd: return compare(LogicalAndOp<T>{});
    case BinaryOp::LogicalOr: return compare(LogicalOrOp<T>{});
    case BinaryOp::LogicalXor: return compare(LogicalXorOp<T>{});
    case BinaryOp::ReluBackward:
      if constexpr (kIsFloat<T>) return run(ReluBackwardOp<T>{});
      break;
    case BinaryOp::SigmoidBackward:
      if constexpr (kIsFloat<T>) return run(SigmoidBackwardOp<T>{});
      break;
    case BinaryOp::TanhBackward:
      if constexpr (kIsFloat<T>) return run(TanhBackwardOp<T>{});
      break;
  }
  throw NotImplementedError(str("binary op not implemented for '", dtype_scalar_name(a->dtype()), "'"));
}

// --- unary -------------------------------------------------------------------------

template <class T>
struct NegOp {
  __device__ T operator()(T x) const { return T(-x); }
};
template <class T>
struct AbsOp {
  __device__ T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T> || kIsBool<T>) return x;
    else return x < 0 ? T(-x) : (x == 0 ? T(0) : x);  // abs(-0.0) is +0.0
  }
};
template <class T>
struct SignOp {
  __device__ T operator()(T x) const {
    if constexpr (kIsBool<T>) return x;
    else return T((T(0) < x) - is_negative(x));
  }
};
template <class T>
struct SquareOp {
  __device__ T operator()(T x) const { return T(x * x); }
};
template <class T>
struct ReluOp {  // x unless below 0: NaN and -0 pass, as the CPU's
  __device__ T operator()(T x) const { return is_negative(x) ? T(0) : x; }
};
template <class T>
struct LogicalNotOp {
  __device__ bool operator()(T x) const { return x == T(0); }
};
template <class T>
struct IsNanOp {
  __device__ bool operator()(T x) const { return x != x; }
};
template <class T>
struct IsFiniteOp {
  __device__ bool operator()(T x) const {
    if constexpr (kIsFloat<T>) return isfinite(x);
    else return true;
  }
};
template <class T>
struct IsInfOp {
  __device__ bool operator()(T x) const {
    if constexpr (kIsFloat<T>) return isinf(x);
    else return false;
  }
};
template <class T>
struct IdentityOp {
  __device__ T operator()(T x) const { return x; }
};
// min(max(x, lo), hi): with lo > hi every element is hi, as PyTorch. NaN
// stays NaN, and a NaN bound makes every element NaN.
template <class T>
struct ClampOp {
  T lo, hi;
  __device__ T operator()(T x) const {
    if constexpr (kIsFloat<T>) {
      if (x != x) return x;
      const T r = (x < lo || lo != lo) ? lo : x;
      return (r > hi || hi != hi) ? hi : r;
    } else {
      const T r = x < lo ? lo : x;
      return r > hi ? hi : r;
    }
  }
};

// One functor per float math function.
#define FT_FLOAT_UNARY(NAME, EXPR)                           \
  template <class T>                                         \
  struct NAME {                                              \
    __device__ T operator()(T x) const { return EXPR; }     \
  };
FT_FLOAT_UNARY(ExpOp, math::exp(x))
FT_FLOAT_UNARY(LogOp, math::log(x))
FT_FLOAT_UNARY(Log1pOp, math::log1p(x))
FT_FLOAT_UNARY(SqrtOp, math::sqrt(x))
FT_FLOAT_UNARY(RsqrtOp, T(1) / math::sqrt(x))
FT_FLOAT_UNARY(SinOp, math::sin(x))
FT_FLOAT_UNARY(CosOp, math::cos(x))
FT_FLOAT_UNARY(TanhOp, math::tanh(x))
FT_FLOAT_UNARY(SigmoidOp, T(1) / (T(1) + math::exp(-x)))
FT_FLOAT_UNARY(ReciprocalOp, T(1) / x)
FT_FLOAT_UNARY(FloorOp, math::floor(x))
FT_FLOAT_UNARY(CeilOp, math::ceil(x))
FT_FLOAT_UNARY(RoundOp, math::rint(x))
FT_FLOAT_UNARY(TruncOp, math::trunc(x))
FT_FLOAT_UNARY(Expm1Op, math::expm1(x))
FT_FLOAT_UNARY(Exp2Op, math::exp2(x))
FT_FLOAT_UNARY(Log2Op, math::log2(x))
FT_FLOAT_UNARY(Log10Op, math::log10(x))
FT_FLOAT_UNARY(SinhOp, math::sinh(x))
FT_FLOAT_UNARY(CoshOp, math::cosh(x))
FT_FLOAT_UNARY(TanOp, math::tan(x))
FT_FLOAT_UNARY(AsinOp, math::asin(x))
FT_FLOAT_UNARY(AcosOp, math::acos(x))
FT_FLOAT_UNARY(AtanOp, math::atan(x))
FT_FLOAT_UNARY(ErfOp, math::erf(x))
FT_FLOAT_UNARY(ErfcOp, math::erfc(x))
FT_FLOAT_UNARY(AsinhOp, math::asinh(x))
FT_FLOAT_UNARY(AcoshOp, math::acosh(x))
FT_FLOAT_UNARY(AtanhOp, math::atanh(x))
FT_FLOAT_UNARY(LgammaOp, math::lgamma(x))
FT_FLOAT_UNARY(DigammaOp, T(special::digamma(double(x))))
FT_FLOAT_UNARY(TrigammaOp, T(special::trigamma(double(x))))
#undef FT_FLOAT_UNARY

template <class T>
void unary_typed(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) {
  const ElementwisePlan<2> plan = plan_elementwise<2>(out->shape(), {out.get(), in.get()});
  auto run = [&](auto f) { launch_elementwise<T, T>(plan, f); };
  auto test = [&](auto f) { launch_elementwise<bool, T>(plan, f); };
  switch (op) {
    case UnaryOp::Neg: return run(NegOp<T>{});
    case UnaryOp::Abs: return run(AbsOp<T>{});
    case UnaryOp::Sign: return run(SignOp<T>{});
    case UnaryOp::Square: return run(SquareOp<T>{});
    case UnaryOp::Relu: return run(ReluOp<T>{});
    case UnaryOp::LogicalNot: return test(LogicalNotOp<T>{});
    case UnaryOp::IsNan: return test(IsNanOp<T>{});
    case UnaryOp::IsFinite: return test(IsFiniteOp<T>{});
    case UnaryOp::IsInf: return test(IsInfOp<T>{});
    case UnaryOp::Clamp:
      if constexpr (kIsFloat<T>) {
        return run(ClampOp<T>{static_cast<T>(p0), static_cast<T>(p1)});
      } else if constexpr (!kIsBool<T>) {
        // Bounds clipped to the type's range (no bound is +-inf).
        return run(ClampOp<T>{saturate_to<T>(p0), saturate_to<T>(p1)});
      }
      break;
    case UnaryOp::Floor:
    case UnaryOp::Ceil:
    case UnaryOp::Round:
    case UnaryOp::Trunc:
      if constexpr (!kIsFloat<T>) return run(IdentityOp<T>{});
      break;
    default:
      break;
  }
  if constexpr (kIsFloat<T>) {
    switch (op) {
      case UnaryOp::Exp: return run(ExpOp<T>{});
      case UnaryOp::Log: return run(LogOp<T>{});
      case UnaryOp::Log1p: return run(Log1pOp<T>{});
      case UnaryOp::Sqrt: return run(SqrtOp<T>{});
      case UnaryOp::Rsqrt: return run(RsqrtOp<T>{});
      case UnaryOp::Sin: return run(SinOp<T>{});
      case UnaryOp::Cos: return run(CosOp<T>{});
      case UnaryOp::Tanh: return run(TanhOp<T>{});
      case UnaryOp::Sigmoid: return run(SigmoidOp<T>{});
      case UnaryOp::Reciprocal: return run(ReciprocalOp<T>{});
      case UnaryOp::Floor: return run(FloorOp<T>{});
      case UnaryOp::Ceil: return run(CeilOp<T>{});
      case UnaryOp::Round: return run(RoundOp<T>{});
      case UnaryOp::Trunc: return run(TruncOp<T>{});
      case UnaryOp::Expm1: return run(Expm1Op<T>{});
      case UnaryOp::Exp2: return run(Exp2Op<T>{});
      case UnaryOp::Log2: return run(Log2Op<T>{});
      case UnaryOp::Log10: return run(Log10Op<T>{});
      case UnaryOp::Sinh: return run(SinhOp<T>{});
      case UnaryOp::Cosh: return run(CoshOp<T>{});
      case UnaryOp::Tan: return run(TanOp<T>{});
      case UnaryOp::Asin: return run(AsinOp<T>{});
      case UnaryOp::Acos: return run(AcosOp<T>{});
      case UnaryOp::Atan: return run(AtanOp<T>{});
      case UnaryOp::Erf: return run(ErfOp<T>{});
      case UnaryOp::Erfc: return run(ErfcOp<T>{});
      case UnaryOp::Asinh: return run(AsinhOp<T>{});
      case UnaryOp::Acosh: return run(AcoshOp<T>{});
      case UnaryOp::Atanh: return run(AtanhOp<T>{});
      case UnaryOp::Lgamma: return run(LgammaOp<T>{});
      case UnaryOp::Digamma: return run(DigammaOp<T>{});
      case UnaryOp::Trigamma: return run(TrigammaOp<T>{});
      default: break;
    }
  }
  throw NotImplementedError(str("unary op not implemented for '", dtype_scalar_name(in->dtype()), "'"));
}

template <class T>
struct WhereOp {
  __device__ T operator()(bool c, T x, T y) const { return c ? x : y; }
};

}  // namespace

void copy(const Tensor& dst, const Tensor& src) {
  if (dst->numel() == 0) return;
  if (src->device().is_cpu()) {
    // A Python number (0-d CPU tensor, maybe broadcast) assigned into a CUDA tensor.
    if (src->numel() == 1 || src->strides() == Shape::filled(src->dim(), 0))
      return fill(dst, scalar_of(read_host_scalar(*src), src->dtype()));
    return copy(dst, on_device(src, dst->device()));
  }
  if (dst->dtype() == src->dtype() && dst->is_contiguous() && src->is_contiguous()) {
    if (dst->data() != src->data())
      FT_CUDA_CHECK(cudaMemcpyAsync(dst->data(), src->data(), dst->numel() * dst->itemsize(),
                                    cudaMemcpyDeviceToDevice, stream()));
    return;
  }
  const ElementwisePlan<2> plan = plan_elementwise<2>(dst->shape(), {dst.get(), src.get()});
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "copy", [&] {
    using Dst = scalar_t;
    FT_DISPATCH_ALL_TYPES(src->dtype(), "copy", [&] { launch_elementwise<Dst, scalar_t>(plan, CastOp<Dst, scalar_t>{}); });
  });
}

void fill(const Tensor& dst, const Scalar& value) {
  if (dst->numel() == 0) return;
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "fill", [&] {
    const scalar_t v = value.to<scalar_t>();
    unsigned char bytes[sizeof(scalar_t)];
    std::memcpy(bytes, &v, sizeof v);
    bool same_bytes = true;  // memset can write it
    for (size_t i = 1; i < sizeof v; ++i) same_bytes = same_bytes && bytes[i] == bytes[0];
    if (dst->is_contiguous() && same_bytes) {
      FT_CUDA_CHECK(cudaMemsetAsync(dst->data(), bytes[0], dst->numel() * sizeof v, stream()));
      return;
    }
    launch_elementwise<scalar_t>(plan_elementwise<1>(dst->shape(), {dst.get()}), FillOp<scalar_t>{v});
  });
}

void arange(const Tensor& dst, double start, double step) {
  const int64_t n = dst->numel();
  if (n == 0) return;
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "arange", [&] {
    arange_kernel<scalar_t><<<grid_size(n), kThreads, 0, stream()>>>(dst->data_as<scalar_t>(), n, start, step);
    FT_CUDA_CHECK_LAUNCH();
  });
}

void linspace(const Tensor& dst, double start, double end) {
  const int64_t n = dst->numel();
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "linspace", [&] {
    const scalar_t s = static_cast<scalar_t>(start), e = static_cast<scalar_t>(end);
    const scalar_t step = (e - s) / static_cast<scalar_t>(n - 1);
    linspace_kernel<scalar_t><<<grid_size(n), kThreads, 0, stream()>>>(dst->data_as<scalar_t>(), n, s, e, step);
    FT_CUDA_CHECK_LAUNCH();
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
  const ElementwisePlan<4> plan = plan_elementwise<4>(out->shape(), {out.get(), cond.get(), a.get(), b.get()});
  FT_DISPATCH_ALL_TYPES(out->dtype(), "where", [&] {
    launch_elementwise<scalar_t, bool, scalar_t, scalar_t>(plan, WhereOp<scalar_t>{});
  });
}

}  // namespace ft::cuda
