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
  std::vector<Tensor> g(n), work(n);
  for (size_t i = 0; i < n; ++i) {
    g[i] = checked_sgd_grad(params[i], grads[i], momentum_bufs[i]);
    // The kernels update contiguous memory: a strided parameter is updated
    // in a contiguous copy, written back below.
    work[i] = params[i]->is_contiguous() ? params[i] : clone(params[i]);
  }
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && params[j]->device() == params[i]->device() && params[j]->dtype() == params[i]->dtype()) ++j;
    const auto from = static_cast<std::ptrdiff_t>(i), to = static_cast<std::ptrdiff_t>(j);
    backend(params[i]->device())
        .sgd_steps({work.begin() + from, work.begin() + to}, {g.begin() + from, g.begin() + to},
                   {momentum_bufs.begin() + from, momentum_bufs.begin() + to}, lr, momentum, dampening, weight_decay,
                   nesterov, {first.begin() + from, first.begin() + to});
    i = j;
  }
  for (size_t i = 0; i < n; ++i) {
    if (work[i] != params[i]) backend(params[i]->device()).copy(params[i], work[i]);
    params[i]->bump_version();
  }
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
  Tensor g = grad->is_contiguous() && grad->dtype() == param->dtype() ? grad : contiguous(cast_to(grad, param->dtype()));
  check_param(param, g, "grad");
  check_param(param, exp_avg, "exp_avg");
  check_param(param, exp_avg_sq, "exp_avg_sq");
  Tensor work = param->is_contiguous() ? param : clone(param);  // as in sgd_steps
  backend(param->device()).adam_step(work, g, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, decoupled,
                                     step);
  if (work != param) backend(param->device()).copy(param, work);
  param->bump_version();
}

}  // namespace ft::ops
