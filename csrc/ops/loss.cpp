// Losses: cross-entropy (one fused, numerically stable log-softmax + NLL
// kernel, forward and backward) and mean squared error.
#include "autograd/grad_mode.h"
#include "ops/ops.h"

namespace ft::ops {

using autograd::SavedTensors;

Reduction parse_reduction(const std::string& s) {
  if (s == "mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  if (s == "none") return Reduction::None;
  throw ValueError(s + " is not a valid value for reduction");
}

namespace {
Tensor reduce_losses(const Tensor& losses, Reduction r) {
  if (r == Reduction::Mean) return mean(losses, {}, false);
  if (r == Reduction::Sum) return sum(losses, {}, false);
  return losses;
}
}  // namespace

Tensor cross_entropy(const Tensor& logits_in, const Tensor& target, Reduction r) {
  check_same_device(logits_in, target, "cross_entropy");
  FT_CHECK(is_floating(logits_in->dtype()), RuntimeError, "\"log_softmax_lastdim_kernel_impl\" not implemented for '",
           dtype_scalar_name(logits_in->dtype()), "'");
  FT_CHECK(logits_in->dim() == 1 || logits_in->dim() == 2, RuntimeError,
           "cross_entropy: expected input of shape (N, C) or (C,), got ", logits_in->shape().str());
  FT_CHECK(!is_floating(target->dtype()) || target->shape() != logits_in->shape(), NotImplementedError,
           "cross_entropy with class probabilities as targets is not supported yet");
  FT_CHECK(target->dtype() == DType::Int64, RuntimeError, "expected scalar type Long but found ",
           dtype_scalar_name(target->dtype()));
  const bool unbatched = logits_in->dim() == 1;
  Tensor logits = unbatched ? unsqueeze(logits_in, 0) : logits_in;
  Tensor tgt = unbatched ? reshape(target, {1}) : target;
  FT_CHECK(tgt->dim() == 1 && tgt->shape()[0] == logits->shape()[0], ValueError, "Expected input batch_size (",
           logits->shape()[0], ") to match target batch_size (", tgt->numel(), ").");
  const int64_t n = logits->shape()[0];
  Tensor x = contiguous(logits), t = contiguous(tgt);
  Tensor losses = empty(Shape{n}, x->dtype(), x->device());
  Tensor lse = empty(Shape{n}, x->dtype(), x->device());
  if (n > 0) backend(x->device()).cross_entropy(losses, lse, x, t);
  Tensor per_row;
  if (autograd::any_requires_grad({&logits})) {
    // The per-row losses are one node; the reduction (mean/sum) is its own.
    per_row = make_view(losses, losses->shape(), losses->strides(), 0);
    autograd::record(per_row, "NllLossBackward0", {&logits}, {{x}, {t}, {lse}},
                     [](const Tensor& g, const SavedTensors& s, auto&) {
                       const Tensor x = s[0];
                       Tensor gi = empty(x->shape(), x->dtype(), x->device());
                       if (gi->numel() > 0) backend(x->device()).cross_entropy_backward(gi, g, x, s[1], s[2]);
                       return std::vector<Tensor>{gi};
                     });
  } else {
    per_row = losses;
  }
  Tensor out = reduce_losses(per_row, r);
  return unbatched && r == Reduction::None ? reshape(out, {}) : out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r) {
  Tensor d = sub(input, target);
  return reduce_losses(mul(d, d), r);
}

}  // namespace ft::ops
