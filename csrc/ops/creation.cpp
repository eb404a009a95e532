// Creation: zeros, ones, full, arange, linspace, eye.
#include <cmath>

#include "ops/ops.h"

namespace ft::ops {

Tensor full(const Shape& shape, const Scalar& v, DType dt, const Device& d) {
  check_scalar_fits(v, dt);
  Tensor t = empty(shape, dt, d);
  backend(d).fill(t, v);
  return t;
}
Tensor full_like(const Tensor& like, const Scalar& v, DType dt, const Device& d) {
  check_scalar_fits(v, dt);
  Tensor t = empty_like(like, dt, d);
  backend(d).fill(t, v);
  return t;
}
Tensor zeros(const Shape& shape, DType dt, const Device& d) { return full(shape, Scalar::from_int(0), dt, d); }
Tensor ones(const Shape& shape, DType dt, const Device& d) { return full(shape, Scalar::from_int(1), dt, d); }

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, std::optional<DType> dt, const Device& d) {
  const bool any_float = start.is_floating() || end.is_floating() || step.is_floating();
  const DType dtype = dt.value_or(any_float ? default_dtype() : DType::Int64);
  // PyTorch's integer aranges use start and step truncated to integers (int64 also the end, and
  // counts exactly); the others count in double: ceil((end - start) / step).
  auto truncated = [](const Scalar& v) { return v.is_floating() ? static_cast<int64_t>(std::trunc(v.d)) : v.i; };
  const bool integral = !is_floating(dtype) && dtype != DType::Bool;
  FT_CHECK(step.d != 0, RuntimeError, "step must be nonzero");
  FT_CHECK(std::isfinite(start.d) && std::isfinite(end.d), RuntimeError, "unsupported range: ", start.d, " -> ", end.d);
  double first = start.d, delta = step.d;
  int64_t n;
  if (integral && dtype == DType::Int64) {
    for (const Scalar* v : {&start, &end, &step}) check_scalar_fits(*v, DType::Int64);
    // The sign check reads the numbers as given, before a fractional step truncates to 0 (PyTorch's
    // order); truncation keeps the order of start and end, so it holds for the truncated ones too.
    FT_CHECK((step.d > 0 && end.d >= start.d) || (step.d < 0 && end.d <= start.d), RuntimeError,
             "upper bound and lower bound inconsistent with step sign");
    const int64_t xs = truncated(start), xe = truncated(end), xst = truncated(step);
    FT_CHECK(xst != 0, ValueError, "step must be nonzero");  // a fractional step truncated to 0
    n = (xe - xs + xst + (xst > 0 ? -1 : 1)) / xst;
    first = double(xs);
    delta = double(xst);
  } else {
    FT_CHECK((step.d > 0 && end.d >= start.d) || (step.d < 0 && end.d <= start.d), RuntimeError,
             "upper bound and lower bound inconsistent with step sign");
    const double count = any_float ? std::ceil((end.d - start.d) / step.d)
                                   : double((end.i - start.i + step.i + (step.i > 0 ? -1 : 1)) / step.i);
    FT_CHECK(count >= 0 && count <= 9.2233720368547748e18, RuntimeError, "invalid size, possible overflow?");
    n = static_cast<int64_t>(count);
    if (integral) {
      first = double(truncated(start));
      delta = double(truncated(step));
    }
  }
  Tensor t = empty(Shape{std::max<int64_t>(n, 0)}, dtype, d);
  if (n > 0) backend(d).arange(t, first, delta);
  return t;
}

namespace {
// A linspace / logspace end as PyTorch's integer kernels take it: checked to fit the dtype, then
// converted to it (a float truncated; uint8 wraps a negative int, -1 is 255), as a double.
double integer_end(const Scalar& v, DType dt) {
  check_scalar_fits(v, dt);
  if (v.is_floating()) return std::trunc(v.d);
  switch (dt) {
    case DType::UInt8: return double(static_cast<uint8_t>(v.i));
    case DType::Int32: return double(static_cast<int32_t>(v.i));
    default: return double(v.i);
  }
}
}  // namespace

Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, DType dt, const Device& d) {
  FT_CHECK(steps >= 0, RuntimeError, "number of steps must be non-negative");
  Tensor t = empty(Shape{steps}, dt, d);
  // No points: nothing checked. One point: start alone, filled (end is never read, nor the kernel run).
  if (steps == 0) return t;
  if (steps == 1) {
    check_scalar_fits(start, dt);
    backend(d).fill(t, start);
    return t;
  }
  FT_CHECK(dt != DType::Bool, NotImplementedError, "\"linspace_cpu\" not implemented for 'Bool'");
  // Integers: the ends converted to the dtype first, then the float64 points (start + step * i, from
  // the end for the second half) truncated, as PyTorch.
  if (!is_floating(dt))
    return to_dtype(linspace(Scalar::from_double(integer_end(start, dt)), Scalar::from_double(integer_end(end, dt)),
                             steps, DType::Float64, d),
                    dt);
  backend(d).linspace(t, start.d, end.d);
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dt, const Device& d) {
  FT_CHECK(n >= 0, RuntimeError, "n must be greater or equal to 0, got ", n);
  FT_CHECK(m >= 0, RuntimeError, "m must be greater or equal to 0, got ", m);
  Tensor t = zeros(Shape{n, m}, dt, d);
  const int64_t k = std::min(n, m);
  if (k > 0) {
    Tensor diag = make_view(t, Shape{k}, Shape{m + 1}, 0);
    backend(d).fill(diag, Scalar::from_int(1));
  }
  return t;
}

}  // namespace ft::ops
