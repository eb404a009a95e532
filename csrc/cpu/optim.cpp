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
    const double bc1 = 1 - std::pow(beta1, double(step)), bc2 = 1 - std::pow(beta2, double(step));
    const T step_size = T(lr / bc1), inv_sqrt_bc2 = T(1 / std::sqrt(bc2));
    const T b1 = T(beta1), b2 = T(beta2), e_ = T(eps), wd = T(weight_decay), decay = T(1 - lr * weight_decay);
    parallel_for(0, param->numel(), kElementwiseGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T gi = g[i];
        if (decoupled) p[i] *= decay;
        else gi += wd * p[i];
        m[i] = b1 * m[i] + (T(1) - b1) * gi;
        v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
        p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + e_);
      }
    });
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
