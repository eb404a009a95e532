// Copies, conversions, fills and detach.
#include <cstring>

#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

void check_inplace(const Tensor& self) {
  if (!autograd::is_grad_enabled()) return;
  FT_CHECK(!(self->no_grad_view && self->is_leaf()), RuntimeError,
           "A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that "
           "this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both "
           "the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
           "tracked) or both outside (if you want the inplace to be tracked).");
  if (self->multi_output_view >= 0 && self->requires_grad()) autograd::refuse_multi_output_view(self, false);
  FT_CHECK(!(self->is_leaf() && self->requires_grad()), RuntimeError,
           "a leaf Variable that requires grad is being used in an in-place operation.");
  // As PyTorch: a view that requires grad over a leaf base (the base requiring grad itself, or a
  // view between them made a leaf that does: arange(6.).reshape(2, 3).requires_grad_()[0]).
  const Tensor& base = self->view_base;
  FT_CHECK(!(base && base->is_leaf() && self->requires_grad()), RuntimeError,
           "a view of a leaf Variable that requires grad is being used in an in-place operation.");
}

Tensor inplace_source(const Tensor& self) {
  Tensor src = empty(self->shape(), self->dtype(), self->device());
  backend(self->device()).copy(src, self);
  if (autograd::is_grad_enabled()) {
    autograd::refresh_view(self);
    // A view's old values are read from its base's history, as PyTorch's CopySlices hands the op's
    // gradient for them to the base (hooks on the view's own node do not see it); else self's node.
    const Tensor& base = self->view_base;
    if (base && !self->no_grad_view && base->grad_fn() && base->is_contiguous() && self->requires_grad())
      autograd::record_region_of_base(src, self);
    else
      src->set_grad_fn(self->grad_fn());
  }
  return src;
}

Tensor commit_overwrite(const Tensor& self, const Tensor& values, const char* name) {
  autograd::refresh_view(self);
  if (!(autograd::is_grad_enabled() && self->requires_grad())) {
    backend(self->device()).copy(self, values);
    self->bump_version();
    return self;
  }
  autograd::record(values, name, {&self}, {}, [](const Tensor& g, const SavedTensors&, auto&) {
    return std::vector<Tensor>{zeros(g->shape(), g->dtype(), g->device())};
  });
  return commit_inplace(self, values);
}

namespace {

// The region (shape, strides, offset) of a contiguous tensor shaped `outer`,
// and its inverse, the region placed into zeros of shape `outer`: each is the
// other's backward, so gradients through CopySlices stay differentiable to any
// order (create_graph).
struct Region {
  Shape outer, shape, strides;
  int64_t offset;
};

Tensor embed_region(const Tensor& r, const Region& reg);

Tensor region_of(const Tensor& g, const Region& reg) {
  Tensor gc = contiguous(g);
  Tensor out;
  {
    autograd::GradModeGuard no_grad(false);
    out = clone(make_view(gc, reg.shape, reg.strides, gc->offset() + reg.offset));
  }
  if (autograd::any_requires_grad({&gc}))
    autograd::record(out, "AsStridedBackward0", {&gc}, {}, [reg](const Tensor& gg, const SavedTensors&, auto&) {
      return std::vector<Tensor>{embed_region(gg, reg)};
    });
  return out;
}

Tensor embed_region(const Tensor& r, const Region& reg) {
  Tensor out = zeros(reg.outer, r->dtype(), r->device());
  backend(r->device()).copy(make_view(out, reg.shape, reg.strides, reg.offset), r);
  if (autograd::any_requires_grad({&r}))
    autograd::record(out, "AsStridedScatterBackward0", {&r}, {}, [reg](const Tensor& gg, const SavedTensors&, auto&) {
      return std::vector<Tensor>{region_of(gg, reg)};
    });
  return out;
}

}  // namespace

Tensor embed_region(const Tensor& g, const Shape& outer, const Shape& shape, const Shape& strides, int64_t offset) {
  return embed_region(g, Region{outer, shape, strides, offset});
}

Tensor commit_inplace(const Tensor& self, const Tensor& r) {
  // check_inplace let it through when self itself does not require grad.
  if (self->multi_output_view >= 0 && r->requires_grad() && autograd::is_grad_enabled())
    autograd::refuse_multi_output_view(self, false);
  {
    autograd::GradModeGuard no_grad(false);
    backend(self->device()).copy(self, r);
  }
  self->bump_version();
  self->view_version = self->version();  // its grad_fn is set here, not stale
  if (!r->requires_grad()) return self;
  const Tensor base = self->view_base;
  // retain_grad() follows the tensor to its new node (its .grad is the new version's).
  if (self->retains_grad() && self->grad_fn()) self->grad_fn()->retained_output.reset();
  auto keep_retained = [&] {
    if (self->retains_grad()) self->grad_fn()->retained_output = self;
  };
  if (!base) {
    self->set_grad_fn(r->grad_fn());
    keep_retained();
    return self;
  }
  // The region self covers, as a view of a contiguous tensor shaped like base.
  FT_CHECK(base->is_contiguous(), RuntimeError,
           "fasttensor: an in-place operation on a view of a non-contiguous tensor that requires grad is not "
           "supported; call .contiguous() on the base first");
  const Shape view_shape = self->shape(), view_strides = self->strides();
  const int64_t view_offset = self->offset() - base->offset();
  Tensor new_base = make_view(base, base->shape(), base->strides(), base->offset());
  const Region region{base->shape(), view_shape, view_strides, view_offset};
  autograd::record(new_base, "CopySlices", {&base, &r}, {}, [region](const Tensor& g, const SavedTensors&, auto& needs) {
    Tensor g_base, g_r;
    if (autograd::is_grad_enabled()) {
      // create_graph: both results keep g's history (the base's part is g with the region masked to 0).
      if (needs[1]) g_r = region_of(g, region);
      if (needs[0]) {
        Tensor mask = zeros(region.outer, DType::Bool, g->device());
        backend(g->device()).fill(make_view(mask, region.shape, region.strides, region.offset), Scalar::from_bool(true));
        g_base = masked_fill(g, mask, Scalar::from_int(0));
      }
      return std::vector<Tensor>{g_base, g_r};
    }
    Tensor gc = contiguous(g);
    if (needs[1]) g_r = clone(make_view(gc, region.shape, region.strides, gc->offset() + region.offset));
    if (needs[0]) {
      g_base = clone(gc);
      backend(g->device()).fill(make_view(g_base, region.shape, region.strides, region.offset), Scalar::from_int(0));
    }
    return std::vector<Tensor>{g_base, g_r};
  });
  // A base that retains its gradient follows to its new node too (its .grad is the new version's).
  if (base->retains_grad() && base->grad_fn()) base->grad_fn()->retained_output.reset();
  base->set_grad_fn(new_base->grad_fn());
  if (base->retains_grad()) base->grad_fn()->retained_output = base;
  // The view's own history now runs through its base's CopySlices, as PyTorch's (AsStridedBackward0): made
  // from the base as for any view whose base changed in place.
  self->view_version = self->version() - 1;
  autograd::refresh_view_slow(self);
  return self;
}

namespace {
Tensor copy_into(const Tensor& out, const Tensor& a) {
  backend(a->device()).copy(out, a);
  if (autograd::any_requires_grad({&a}))
    autograd::record(out, "CloneBackward0", {&a}, {}, [](const Tensor& g, const SavedTensors&, auto&) {
      return std::vector<Tensor>{g};
    });
  return out;
}
}  // namespace

Tensor clone(const Tensor& a) { return copy_into(empty(a->shape(), a->dtype(), a->device()), a); }

Tensor clone_preserving(const Tensor& a) { return copy_into(empty_like(a, a->dtype(), a->device()), a); }

Tensor contiguous(const Tensor& a) { return a->is_contiguous() ? a : clone(a); }

Tensor to_dtype(const Tensor& a, DType dt) {
  if (a->dtype() == dt) return a;
  Tensor out = empty_like(a, dt, a->device());  // a's layout (preserve_format), as PyTorch's .to(dtype)
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
  check_no_internal_overlap(dst);
  check_no_partial_overlap(dst, src);
  const Shape shape = broadcast_shapes(dst->shape(), src->shape());
  FT_CHECK(shape == dst->shape(), RuntimeError, "output with shape ", dst->shape().str(),
           " doesn't match the broadcast shape ", shape.str());
  Tensor s = src;
  if (src->device() != dst->device() && !(src->dim() == 0 && src->device().is_cpu())) s = to_device(src, dst->device());
  if (autograd::any_requires_grad({&src, &dst}) && is_floating(dst->dtype())) {
    // dst's new values are src's: the gradient flows to src only.
    const Shape src_shape = src->shape();
    const DType src_dtype = src->dtype();
    Tensor r = empty(dst->shape(), dst->dtype(), dst->device());
    backend(dst->device()).copy(r, expand_to(s, dst->shape()));
    // The old values of dst get a zero gradient, src the rest.
    autograd::record(r, "CopyBackwards", {&dst, &src}, {}, [src_shape, src_dtype](const Tensor& g, const SavedTensors&, auto& needs) {
      Tensor g_dst, g_src;
      if (needs[0]) g_dst = zeros(g->shape(), g->dtype(), g->device());
      if (needs[1]) {
        Tensor gs = sum_to(g, src_shape);
        g_src = gs->dtype() == src_dtype ? gs : to_dtype(gs, src_dtype);
      }
      return std::vector<Tensor>{g_dst, g_src};
    });
    return commit_inplace(dst, r);
  }
  backend(dst->device()).copy(dst, expand_to(s, dst->shape()));
  dst->bump_version();
  return dst;
}

Tensor copy_result_(const Tensor& self, const Tensor& result) {
  const uint64_t since = autograd::next_sequence_nr();
  copy_(self, result);
  const auto& fn = self->grad_fn();
  if (fn && result->grad_fn() && std::strcmp(fn->name(), "CopyBackwards") == 0)
    autograd::name_recorded(self, result->grad_fn()->name(), since);
  return self;
}

Tensor fill_named(const Tensor& self, const Scalar& v, const char* name) {
  check_inplace(self);
  check_scalar_fits(v, self->dtype());
  if (autograd::any_requires_grad({&self})) {
    Tensor values = empty(self->shape(), self->dtype(), self->device());
    backend(self->device()).fill(values, v);
    return commit_overwrite(self, values, name);
  }
  backend(self->device()).fill(self, v);
  self->bump_version();
  return self;
}

// PyTorch's names: FillBackward2 for a number, FillBackward3 for a 0-d tensor.
Tensor fill_(const Tensor& self, const Scalar& v) { return fill_named(self, v, "FillBackward2"); }

Tensor zero_(const Tensor& self) { return fill_named(self, Scalar::from_int(0), "ZeroBackward0"); }

Tensor detach(const Tensor& a) { return make_view(a, a->shape(), a->strides(), a->offset()); }

}  // namespace ft::ops
