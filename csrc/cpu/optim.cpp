// CPU fused optimizer steps: one pass over each parameter.
#include <cmath>

#include "cpu/kernels.h"
#include "cpu/loops.h"

namespace ft::cpu::FT_CPU_LEVEL {

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first) {
  FT_DISPATCH_FLOATING_TYPES(param->dtype(), "sgd_step", [&] {
    using T = scalar_t;
    T* p = param->data_as<T>();
    const T* g = grad->data_as<T>();
    T* m = buf ? buf->data_as<T>() : nullptr;
    const T lr_ = T(lr), mom = T(momentum), damp = T(1 - dampening), wd = T(weight_decay);
    parallel_for(0, param->numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      if (!m) {
        if (wd == 0) {
          for (int64_t i = b; i < e; ++i) p[i] -= lr_ * g[i];
        } else {
          for (int64_t i = b; i < e; ++i) p[i] -= lr_ * (g[i] + wd * p[i]);
        }
        return;
      }
      for (int64_t i = b; i < e; ++i) {
        T d = g[i] + wd * p[i];
        const T v = first ? d : mom * m[i] + damp * d;
        m[i] = v;
        d = nesterov ? d + mom * v : v;
        p[i] -= lr_ * d;
      }
    });
  });
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
  FT_DISPATCH_FLOATING_TYPES(param->dtype(), "adam_step", [&] {
    using T = scalar_t;
    T* p = param->data_as<T>();
    const T* g = grad->data_as<T>();
    T* m = exp_avg->data_as<T>();
    T* v = exp_avg_sq->data_as<T>();
    // PyTorch's single-tensor Adam, step by step: 1 - beta rounded once from double (1 - float(0.9)
    // is 1.3e-5 off 0.1 in float), m.lerp_(g, 1 - beta1), v.mul_(beta2).addcmul_(g, g, 1 - beta2),
    // denom = sqrt(v) / sqrt(bc2) + eps, p.addcdiv_(m, denom, -step_size).
    const double bc1 = 1 - std::pow(beta1, double(step)), bc2 = 1 - std::pow(beta2, double(step));
    const T step_size = T(-(lr / bc1)), sqrt_bc2 = T(std::sqrt(bc2));
    const T w1 = T(1 - beta1), w2 = T(1 - beta2), b2 = T(beta2), e_ = T(eps), wd = T(weight_decay),
            decay = T(1 - lr * weight_decay);
    const bool lerp_from_m = std::abs(1 - beta1) < 0.5;  // lerp's two forms, as ATen picks them
    parallel_for(0, param->numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T gi = g[i];
        if (decoupled) p[i] *= decay;
        else gi += wd * p[i];
        m[i] = lerp_from_m ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * (T(1) - w1);
        v[i] = v[i] * b2 + w2 * gi * gi;
        const T denom = std::sqrt(v[i]) / sqrt_bc2 + e_;
        p[i] += step_size * (m[i] / denom);
      }
    });
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
