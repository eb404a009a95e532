// Fused optimizer updates: one kernel pass per parameter.
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
}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first) {
  FT_CHECK(param->is_contiguous(), RuntimeError, "optimizer step: the parameter must be contiguous");
  Tensor g = grad->is_contiguous() && grad->dtype() == param->dtype() ? grad : contiguous(cast_to(grad, param->dtype()));
  check_param(param, g, "grad");
  if (momentum_buf) check_param(param, momentum_buf, "momentum buffer");
  backend(param->device()).sgd_step(param, g, momentum_buf ? momentum_buf : Tensor(), lr, momentum, dampening,
                                    weight_decay, nesterov, first);
  param->bump_version();
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
