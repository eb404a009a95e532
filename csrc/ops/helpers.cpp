// Broadcasting, promotion and sum_to: the helpers every op shares.
#include <algorithm>
#include <cmath>

#include "ops/ops.h"

namespace ft::ops {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  if (a == b) return a;
  const int n = std::max(a.size(), b.size());
  Shape out = Shape::filled(n, 1);
  for (int i = n - 1; i >= 0; --i) {  // from the last dim, as PyTorch reports the first mismatch
    const int ia = i - (n - a.size()), ib = i - (n - b.size());
    const int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    FT_CHECK(sa == sb || sa == 1 || sb == 1, RuntimeError, "The size of tensor a (", sa,
             ") must match the size of tensor b (", sb, ") at non-singleton dimension ", i);
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

namespace {
// PyTorch's combine_categories: the higher-priority group wins unless the
// lower one brings a floating category to a non-floating result.
std::optional<DType> combine_categories(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (is_floating(*higher)) return higher;
  if (lower && (*higher == DType::Bool || is_floating(*lower))) return promote_types(*higher, *lower);
  return higher;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  std::optional<DType> dims, zero, wrapped;
  for (const Tensor* t : {&a, &b}) {
    const bool is_wrapped = (*t)->is_wrapped_number;
    std::optional<DType>& slot = is_wrapped ? wrapped : ((*t)->dim() > 0 ? dims : zero);
    // A Python float counts as the default dtype (it is stored as double).
    const DType dt = is_wrapped && is_floating((*t)->dtype()) ? default_dtype() : (*t)->dtype();
    slot = slot ? promote_types(*slot, dt) : dt;
  }
  return *combine_categories(dims, combine_categories(zero, wrapped));
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  if (a->device() == b->device()) return;
  // A 0-d CPU tensor (a Python number) may join a CUDA op, as in PyTorch.
  if (b->dim() == 0 && b->device().is_cpu()) return;
  if (a->dim() == 0 && a->device().is_cpu()) return;
  throw RuntimeError(str("Expected all tensors to be on the same device, but found at least two devices, ",
                         a->device().str(), " and ", b->device().str(), "! (when checking argument for ", op, ")"));
}

Tensor expand_to(const Tensor& t, const Shape& shape) {
  if (t->shape() == shape) return t;
  const int n = shape.size(), off = n - t->dim();
  Shape strides = Shape::filled(n, 0);
  for (int i = 0; i < t->dim(); ++i)
    strides[i + off] = t->shape()[i] == 1 && shape[i + off] != 1 ? 0 : t->strides()[i];
  return make_view(t, shape, strides, t->offset());
}

Tensor cast_to(const Tensor& t, DType dt) {
  if (t->dtype() == dt) return t;
  // A Python number (0-d, on the CPU) converted here rather than by a copy kernel launch: the same
  // static_cast of its one value. (A float to an integer dtype is left to the kernel; result_type
  // never asks for it.)
  if (t->is_wrapped_number && t->device().is_cpu() && (is_floating(dt) || !is_floating(t->dtype()))) {
    Tensor out = empty(Shape{}, dt, t->device());
    FT_DISPATCH_ALL_TYPES(t->dtype(), "cast_to", [&] {
      const scalar_t v = *t->data_as<scalar_t>();
      using src_t = scalar_t;
      FT_DISPATCH_ALL_TYPES(dt, "cast_to", [&] { *out->data_as<scalar_t>() = static_cast<scalar_t>(static_cast<src_t>(v)); });
    });
    out->is_wrapped_number = true;
    return out;
  }
  Tensor out = empty(t->shape(), dt, t->device());
  backend(t->device()).copy(out, t);
  out->is_wrapped_number = t->is_wrapped_number;
  return out;
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad->shape() == shape) return grad;
  const int lead = grad->dim() - shape.size();
  std::vector<int64_t> dims;
  for (int i = 0; i < grad->dim(); ++i)
    if (i < lead || (shape[i - lead] == 1 && grad->shape()[i] != 1)) dims.push_back(i);
  Tensor r = dims.empty() ? grad : sum(grad, dims, /*keepdim=*/true);
  return view(r, shape.vec());
}

bool has_internal_overlap(const Tensor& t) {
  if (t->numel() == 0) return false;  // (a NumPy array of no elements may have 0 strides)
  for (int d = 0; d < t->dim(); ++d)
    if (t->strides()[d] == 0 && t->shape()[d] > 1) return true;
  return false;
}

void check_no_internal_overlap(const Tensor& out) {
  FT_CHECK(!has_internal_overlap(out), RuntimeError,
           "unsupported operation: more than one element of the written-to tensor refers to a single memory "
           "location. Please clone() the tensor before performing the operation.");
}

namespace {
void check_overlap(const Tensor& out, const Tensor& in, bool same_layout_allowed) {
  if (!in || out->storage() != in->storage() || out->numel() == 0 || in->numel() == 0) return;
  // Elementwise in place (each element reads itself): the same offset, shape and strides, where a
  // size-1 dim's stride does not matter (x[:1] += 1 reads x[:1] re-expanded with stride 0 there).
  bool same_layout = out->offset() == in->offset() && out->shape() == in->shape();
  for (int d = 0; same_layout && d < out->dim(); ++d)
    same_layout = out->shape()[d] == 1 || out->strides()[d] == in->strides()[d];
  const char* message =
      "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory "
      "location. Please clone() the tensor before performing the operation.";
  if (same_layout) {
    FT_CHECK(same_layout_allowed, RuntimeError, message);
    return;
  }
  // As PyTorch: decided only for dense layouts, whose memory ranges are exact.
  if (!is_non_overlapping_and_dense(out) || !is_non_overlapping_and_dense(in)) return;
  const int64_t out_end = out->offset() + out->numel(), in_end = in->offset() + in->numel();
  FT_CHECK(out_end <= in->offset() || in_end <= out->offset(), RuntimeError, message);
}
}  // namespace

void check_no_partial_overlap(const Tensor& out, const Tensor& in) { check_overlap(out, in, true); }
void check_no_overlap(const Tensor& out, const Tensor& in) { check_overlap(out, in, false); }

void check_scalar_fits(const Scalar& v, DType dt) {
  const char* type = nullptr;
  bool fits = true;
  auto in_range = [&](double lo, double hi) {
    if (v.is_floating()) return v.d == v.d && v.d >= lo && v.d <= hi;  // NaN and +-inf never fit an integer
    return double(v.i) >= lo && double(v.i) <= hi;
  };
  switch (dt) {
    // uint8 takes the ints -255..255: negative ones wrap (-1 is 255), as PyTorch's check allows; a
    // float must lie in 0..255 (-1.0 does not fit).
    case DType::UInt8: type = "uint8_t"; fits = v.is_bool() || (v.is_floating() ? in_range(0.0, 255.0) : in_range(-255.0, 255.0)); break;
    case DType::Int32: type = "int"; fits = v.is_bool() || in_range(-2147483648.0, 2147483647.0); break;
    case DType::Int64: type = "int64_t"; fits = v.is_bool() || !v.is_floating() || in_range(-9223372036854775808.0, 9223372036854774784.0); break;
    case DType::Float32: type = "float"; fits = !v.is_floating() || !(std::isfinite(v.d) && std::fabs(v.d) > 3.4028235677973366e38); break;
    default: break;
  }
  FT_CHECK(fits, RuntimeError, "value cannot be converted to type ", type, " without overflow");
}

}  // namespace ft::ops
