// CUDA fused optimizer steps: one pass over each parameter, the same math as
// cpu/optim.cpp. All tensors contiguous, one element per thread.
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// SGD: d = grad + wd * p; buf = first ? d : momentum * buf + (1 - dampening) * d;
//      d = nesterov ? d + momentum * buf : buf (with a buffer); p -= lr * d.
template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, int64_t n, T lr, T momentum, T damp, T wd, bool nesterov,
                           bool first) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    if (!buf) {
      p[i] -= wd == T(0) ? lr * g[i] : lr * (g[i] + wd * p[i]);
      continue;
    }
    T d = g[i] + wd * p[i];
    const T v = first ? d : momentum * buf[i] + damp * d;
    buf[i] = v;
    d = nesterov ? d + momentum * v : v;
    p[i] -= lr * d;
  }
}

// Adam / AdamW (decoupled): step_size = lr / (1 - beta1^t), inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t).
template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, T step_size, T inv_sqrt_bc2, T b1, T b2, T eps,
                            T wd, T decay, bool decoupled) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    T gi = g[i];
    if (decoupled) p[i] *= decay;
    else gi += wd * p[i];
    m[i] = b1 * m[i] + (T(1) - b1) * gi;
    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
    p[i] -= step_size * m[i] / (math::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& buf, double lr, double momentum, double dampening,
              double weight_decay, bool nesterov, bool first) {
  const int64_t n = param->numel();
  if (n == 0) return;
  FT_DISPATCH_FLOATING_TYPES(param->dtype(), "sgd_step", [&] {
    using T = scalar_t;
    sgd_kernel<T><<<grid_size(n), kThreads, 0, stream()>>>(param->data_as<T>(), grad->data_as<T>(),
                                                           buf ? buf->data_as<T>() : nullptr, n, T(lr), T(momentum),
                                                           T(1 - dampening), T(weight_decay), nesterov, first);
    FT_CUDA_CHECK_LAUNCH();
  });
}

void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step) {
  const int64_t n = param->numel();
  if (n == 0) return;
  const double bc1 = 1 - std::pow(beta1, double(step)), bc2 = 1 - std::pow(beta2, double(step));
  FT_DISPATCH_FLOATING_TYPES(param->dtype(), "adam_step", [&] {
    using T = scalar_t;
    adam_kernel<T><<<grid_size(n), kThreads, 0, stream()>>>(
        param->data_as<T>(), grad->data_as<T>(), exp_avg->data_as<T>(), exp_avg_sq->data_as<T>(), n, T(lr / bc1),
        T(1 / std::sqrt(bc2)), T(beta1), T(beta2), T(eps), T(weight_decay), T(1 - lr * weight_decay), decoupled);
    FT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace ft::cuda
