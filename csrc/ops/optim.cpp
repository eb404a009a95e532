// Fused optimizer updates: one kernel pass per parameter (SGD: a group of
// parameters per backend call).
#include "ops/ops.h"

namespace ft::ops {

namespace {
void check_param(const Tensor& p, const Tensor& other, const char* what) {
  FT_CHECK(p->shape() == other->shape() && p->dtype() == other->dtype() && p->device() == other->device(),
           RuntimeError, "optimizer step: ", what, " of shape ", other->shape().str(), " (", dtype_name(other->dtype()),
           ", ", other->device().str(), ") does not match the parameter of shape ", p->shape().str(), " (",
           dtype_name(p->dtype()), ", ", p->device().str(), ")");
  FT_CHECK(other->is_contiguous(), RuntimeError, "optimizer step: ", what, " must be contiguous");
}

// The gradient as the kernels take it (contiguous, the parameter's dtype), after the checks.
Tensor checked_sgd_grad(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf) {
  FT_CHECK(param->is_contiguous(), RuntimeError, "optimizer step: the parameter must be contiguous");
  Tensor g = grad->is_contiguous() && grad->dtype() == param->dtype() ? grad : contiguous(cast_to(grad, param->dtype()));
  check_param(param, g, "grad");
  if (momentum_buf) check_param(param, momentum_buf, "momentum buffer");
  return g;
}
}  // namespace

void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_bufs, double lr, double momentum, double dampening,
               double weight_decay, bool nesterov, const std::vector<bool>& first) {
  const size_t n = params.size();
  FT_CHECK(grads.size() == n && momentum_bufs.size() == n && first.size() == n, RuntimeError,
           "optimizer step: ", n, " parameters but ", grads.size(), " gradients, ", momentum_bufs.size(),
           " momentum buffers and ", first.size(), " first-step flags");
  std::vector<Tensor> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = checked_sgd_grad(params[i], grads[i], momentum_bufs[i]);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && params[j]->device() == params[i]->device() && params[j]->dtype() == params[i]->dtype()) ++j;
    const auto from = static_cast<std::ptrdiff_t>(i), to = static_cast<std::ptrdiff_t>(j);
    backend(params[i]->device())
        .sgd_steps({params.begin() + from, params.begin() + to}, {g.begin() + from, g.begin() + to},
                   {momentum_bufs.begin() + from, momentum_bufs.begin() + to}, lr, momentum, dampening, weight_decay,
                   nesterov, {first.begin() + from, first.begin() + to});
    i = j;
  }
  for (const Tensor& p : params) p->bump_version();
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
  FT_CHECK(param->is_contiguous(), RuntimeError, "optimizer step: the parameter must be contiguous");
  Tensor g = grad->is_contiguous() && grad->dtype() == param->dtype() ? grad : contiguous(cast_to(grad, param->dtype()));
  check_param(param, g, "grad");
  check_param(param, exp_avg, "exp_avg");
  check_param(param, exp_avg_sq, "exp_avg_sq");
  backend(param->device()).adam_step(param, g, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled,
                                     step);
  param->bump_version();
}

}  // namespace ft::ops
