// Copies, conversions, fills and detach.
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

void check_inplace(const Tensor& self) {
  if (!autograd::is_grad_enabled()) return;
  FT_CHECK(!(self->is_leaf() && self->requires_grad()), RuntimeError,
           "a leaf Variable that requires grad is being used in an in-place operation.");
  const Tensor& base = self->view_base;
  if (base && base->requires_grad()) {
    FT_CHECK(!base->is_leaf(), RuntimeError,
             "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    // PyTorch rewrites the base's history here; we refuse rather than give a
    // wrong gradient to the base.
    throw RuntimeError(
        "fasttensor does not support in-place operations on a view of a tensor that requires grad (the base's "
        "gradient would miss the change); use an out-of-place op, or modify it inside no_grad()");
  }
}

Tensor clone(const Tensor& a) {
  Tensor out = empty(a->shape(), a->dtype(), a->device());
  backend(a->device()).copy(out, a);
  if (autograd::any_requires_grad({&a}))
    autograd::record(out, "CloneBackward0", {&a}, {}, [](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{g};
    });
  return out;
}

Tensor contiguous(const Tensor& a) { return a->is_contiguous() ? a : clone(a); }

Tensor to_dtype(const Tensor& a, DType dt) {
  if (a->dtype() == dt) return a;
  Tensor out = empty(a->shape(), dt, a->device());
  backend(a->device()).copy(out, a);
  if (is_floating(dt) && is_floating(a->dtype()) && autograd::any_requires_grad({&a})) {
    const DType from = a->dtype();
    autograd::record(out, "ToCopyBackward0", {&a}, {}, [from](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{to_dtype(g, from)};
    });
  }
  return out;
}

Tensor to_device(const Tensor& a, const Device& d) {
  if (a->device() == d) return a;
  Tensor out = empty(a->shape(), a->dtype(), d);
  Tensor src = a->is_contiguous() ? a : clone(a);
  if (a->device().is_cpu()) {
    backend(d).copy_from_host(out, src->data());
  } else if (d.is_cpu()) {
    backend(a->device()).copy_to_host(out->data(), src);
  } else {
    // Between two accelerators: through the host.
    Tensor host = to_device(src, Device{});
    backend(d).copy_from_host(out, host->data());
  }
  if (autograd::any_requires_grad({&a})) {
    const Device from = a->device();
    autograd::record(out, "ToCopyBackward0", {&a}, {}, [from](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{to_device(g, from)};
    });
  }
  return out;
}

Tensor copy_(const Tensor& dst, const Tensor& src) {
  check_inplace(dst);
  const Shape shape = broadcast_shapes(dst->shape(), src->shape());
  FT_CHECK(shape == dst->shape(), RuntimeError, "output with shape ", dst->shape().str(),
           " doesn't match the broadcast shape ", shape.str());
  Tensor s = src;
  if (src->device() != dst->device() && !(src->dim() == 0 && src->device().is_cpu())) s = to_device(src, dst->device());
  {
    autograd::GradModeGuard no_grad(false);
    backend(dst->device()).copy(dst, expand_to(s, dst->shape()));
  }
  dst->bump_version();
  if (autograd::any_requires_grad({&src}) && is_floating(dst->dtype())) {
    // dst now holds src's values: its gradient flows to src only.
    Tensor none;
    const Shape src_shape = src->shape();
    const DType src_dtype = src->dtype();
    autograd::record(dst, "CopyBackwards", {&none, &src}, {},
                     [src_shape, src_dtype](const Tensor& g, const SavedTensors&, auto&) {
                       Tensor gs = sum_to(g, src_shape);
                       return std::vector<Tensor>{Tensor(), to_dtype(gs, src_dtype)};
                     });
  }
  return dst;
}

Tensor fill_(const Tensor& self, const Scalar& v) {
  check_inplace(self);
  backend(self->device()).fill(self, v);
  self->bump_version();
  return self;
}

Tensor zero_(const Tensor& self) { return fill_(self, Scalar::from_int(0)); }

Tensor detach(const Tensor& a) { return make_view(a, a->shape(), a->strides(), a->offset()); }

}  // namespace ft::ops
