// Losses: cross-entropy (one fused, numerically stable log-softmax + NLL
// kernel, forward and backward, reduction folded into its node as PyTorch's
// NllLossBackward0) and mean squared error.
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

// Class-probability targets: -sum(target * log_softmax(input)) over classes.
Tensor soft_cross_entropy(const Tensor& input, const Tensor& target, Reduction r) {
  Tensor per_item = unary(UnaryOp::Neg, sum(mul(target, log_softmax(input, input->dim() == 1 ? 0 : 1)),
                                            {input->dim() == 1 ? 0 : 1}, false));
  return reduce_losses(per_item, r);
}
}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction r, int64_t ignore_index) {
  check_same_device(input, target, "cross_entropy");
  FT_CHECK(is_floating(input->dtype()), NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for '",
           dtype_scalar_name(input->dtype()), "'");
  FT_CHECK(input->dim() >= 1, RuntimeError, "cross_entropy: input must have at least one dimension, got a 0-d tensor");
  if (input->dim() >= 2 && target->dim() >= 1)
    FT_CHECK(target->shape()[0] == input->shape()[0], ValueError, "Expected input batch_size (", input->shape()[0],
             ") to match target batch_size (", target->shape()[0], ").");
  // A target shaped like the input holds class probabilities (a float target of another shape is taken
  // for class indices, as PyTorch does, and refused by their checks).
  if (is_floating(target->dtype()) && target->shape() == input->shape()) return soft_cross_entropy(input, target, r);
  // Class indices: (C) with a 0-d target (or a 1-element one), (N, C) with (N), (N, C, d1..) with (N, d1..).
  const bool unbatched = input->dim() == 1;
  if (!unbatched) {
    FT_CHECK(target->dim() >= 1 && target->shape()[0] == input->shape()[0], ValueError,
             "Expected input batch_size (", input->shape()[0], ") to match target batch_size (",
             target->dim() >= 1 ? target->shape()[0] : 1, ").");
  }
  FT_CHECK(!(input->dim() <= 2 && target->dim() > 1), RuntimeError,
           "0D or 1D target tensor expected, multi-target not supported");
  FT_CHECK(target->dtype() == DType::Int64 || target->dtype() == DType::UInt8, RuntimeError,
           "expected target dtype to be Long or Byte, but got ", dtype_scalar_name(target->dtype()));
  if (unbatched && target->dim() == 1) {
    FT_CHECK(target->shape()[0] == 1, ValueError, "For 1D input, 1D target must have size 1, but got target size: ",
             target->shape()[0]);
    return cross_entropy(input, reshape(target, {}), r, ignore_index);
  }
  FT_CHECK(target->dim() == input->dim() - 1, RuntimeError,
           input->dim() <= 2 ? std::string("0D or 1D target tensor expected, multi-target not supported")
                             : str("expected target of shape (N, d1, ...) for input ", input->shape().str(),
                                   ", got ", target->shape().str()));
  // Rows of logits (R, C): classes moved last for spatial inputs.
  Tensor logits = unbatched ? unsqueeze(input, 0) : input;
  if (logits->dim() > 2) logits = reshape(transpose(flatten(logits, 2, -1), 1, 2), {-1, input->shape()[1]});
  for (int d = 0; d < input->dim(); ++d)
    if (d != (unbatched ? 0 : 1))
      FT_CHECK(target->shape()[d - (d > (unbatched ? 0 : 1) ? 1 : 0)] == input->shape()[d], RuntimeError,
               "cross_entropy: target ", target->shape().str(), " does not match input ", input->shape().str());
  Tensor tgt = contiguous(reshape(cast_to(target, DType::Int64), {-1}));
  const int64_t rows = logits->shape()[0];

  // Rows whose target is ignore_index have loss 0 and gradient 0 (the kernels
  // see to that), and the mean counts only the others: the kernel marks them
  // in `valid`, whose sum stays on the device (no host synchronization).
  Tensor x = contiguous(logits);
  Tensor losses = empty(Shape{rows}, x->dtype(), x->device());
  Tensor lse = empty(Shape{rows}, x->dtype(), x->device());
  Tensor valid = r == Reduction::Mean ? empty(Shape{rows}, x->dtype(), x->device()) : Tensor();
  if (rows > 0) backend(x->device()).cross_entropy(losses, lse, valid, x, tgt, ignore_index);
  Tensor out, n_valid;
  {
    autograd::GradModeGuard no_grad(false);
    if (r == Reduction::Mean) {
      n_valid = sum(valid, {}, false);
      out = div(sum(losses, {}, false), n_valid);  // 0 / 0 = NaN when every row is ignored, as PyTorch
    } else if (r == Reduction::Sum) {
      out = sum(losses, {}, false);
    } else {
      out = reshape(losses, target->shape().vec());
    }
  }
  if (autograd::any_requires_grad({&logits})) {
    autograd::record(out, "NllLossBackward0", {&logits}, {{x}, {tgt}, {lse}, {n_valid}},
                     [r, rows, ignore_index](const Tensor& g, const SavedTensors& s, auto&) {
                       // Per-row upstream gradient (rows,), then the fused kernel.
                       Tensor g_rows;
                       if (r == Reduction::None) g_rows = reshape(g, {rows});
                       else if (r == Reduction::Mean) g_rows = expand(div(g, s[3]), {rows});
                       else g_rows = expand(g, {rows});
                       const Tensor x = s[0];
                       if (autograd::is_grad_enabled()) {
                         // create_graph: the same gradient, (softmax(x) - one_hot(t)) g per
                         // counted row, from differentiable ops, so it has a gradient itself.
                         Tensor t = unsqueeze(s[1], 1);
                         Tensor classes = arange(Scalar::from_int(0), Scalar::from_int(x->shape()[1]), Scalar::from_int(1),
                                                 DType::Int64, x->device());
                         Tensor one_hot = to_dtype(binary(BinaryOp::Eq, t, classes), x->dtype());
                         Tensor counted = binary(BinaryOp::Ne, t, wrap_scalar(Scalar::from_int(ignore_index)));
                         Tensor gi = mul(sub(softmax(x, 1, std::nullopt), one_hot), unsqueeze(g_rows, 1));
                         return std::vector<Tensor>{where(counted, gi, wrap_scalar(Scalar::from_int(0)))};
                       }
                       Tensor gi = empty(x->shape(), x->dtype(), x->device());
                       if (gi->numel() > 0)
                         backend(x->device()).cross_entropy_backward(gi, g_rows, x, s[1], s[2], ignore_index);
                       return std::vector<Tensor>{gi};
                     });
  }
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r) {
  Tensor d = sub(input, target);
  return reduce_losses(mul(d, d), r);
}

}  // namespace ft::ops
