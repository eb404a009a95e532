// softmax / log_softmax over any dim: the kernel works on contiguous rows,
// so a non-last dim is moved last (a transposed copy) and moved back; the
// result is contiguous, as PyTorch's.
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

namespace {

// x with dim d moved last, as a contiguous (R, C) matrix view.
Tensor rows_of(const Tensor& x, int d) {
  Tensor moved = (d == x->dim() - 1 || x->dim() == 0) ? x : transpose(x, d, x->dim() - 1);
  return contiguous(moved);
}

Tensor from_rows(const Tensor& rows, const Tensor& like, int d) {
  if (d == like->dim() - 1 || like->dim() == 0) return rows;
  return transpose(rows, d, like->dim() - 1);
}

Tensor softmax_forward(const Tensor& x, int d, bool log) {
  Tensor r = rows_of(x, d);
  const int64_t c = x->dim() == 0 ? 1 : r->shape()[r->dim() - 1];
  Tensor out = empty(r->shape(), r->dtype(), r->device());
  if (out->numel() > 0)
    backend(x->device()).softmax(make_view(out, Shape{out->numel() / c, c}, Shape{c, 1}, 0),
                                 make_view(r, Shape{r->numel() / c, c}, Shape{c, 1}, r->offset()), log);
  return contiguous(from_rows(out, x, d));  // contiguous whatever x's layout or dim, as PyTorch's
}

Tensor softmax_backward(const Tensor& g, const Tensor& out, int d, bool log) {
  if (autograd::is_grad_enabled()) {
    // Differentiable form for double backward.
    if (log) return sub(g, mul(unary(UnaryOp::Exp, out), sum(g, {d}, true)));
    return mul(out, sub(g, sum(mul(g, out), {d}, true)));
  }
  Tensor gr = rows_of(g, d), orr = rows_of(out, d);
  const int64_t c = out->dim() == 0 ? 1 : gr->shape()[gr->dim() - 1];
  Tensor gi = empty(gr->shape(), gr->dtype(), gr->device());
  if (gi->numel() > 0) {
    const Shape s2{gi->numel() / c, c}, st{c, 1};
    backend(g->device()).softmax_backward(make_view(gi, s2, st, 0), make_view(gr, s2, st, gr->offset()),
                                          make_view(orr, s2, st, orr->offset()), log);
  }
  return from_rows(gi, out, d);
}

Tensor softmax_impl(const Tensor& a, int64_t dim, std::optional<DType> dt, bool log) {
  const int d = wrap_dim(dim, a->dim());
  const DType out_dtype = dt.value_or(a->dtype());
  FT_CHECK(is_floating(out_dtype), NotImplementedError, "\"", log ? "log_" : "", "softmax_",
           d == a->dim() - 1 || a->dim() == 0 ? "lastdim_" : "", "kernel_impl\" not implemented for '",
           dtype_scalar_name(a->dtype()), "'");
  Tensor x = cast_to(a, out_dtype);
  Tensor out = softmax_forward(x, d, log);
  if (autograd::any_requires_grad({&a})) {
    const DType in_dtype = a->dtype();
    autograd::record(out, log ? "LogSoftmaxBackward0" : "SoftmaxBackward0", {&a}, {{out, true}},
                     [d, log, in_dtype](const Tensor& g, const SavedTensors& s, auto&) {
                       Tensor gi = softmax_backward(g, s[0], d, log);
                       return std::vector<Tensor>{gi->dtype() == in_dtype ? gi : to_dtype(gi, in_dtype)};
                     });
  }
  return out;
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t dim, std::optional<DType> dt) { return softmax_impl(a, dim, dt, false); }
Tensor log_softmax(const Tensor& a, int64_t dim, std::optional<DType> dt) { return softmax_impl(a, dim, dt, true); }

}  // namespace ft::ops
