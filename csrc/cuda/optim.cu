// CUDA fused optimizer steps: one pass over each parameter, the same math as
// cpu/optim.cpp. All tensors contiguous, one element per thread. SGD over a
// list of parameters updates up to kListMax of them per launch.
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

// SGD: d = grad + wd * p; buf = first ? d : momentum * buf + (1 - dampening) * d;
//      d = nesterov ? d + momentum * buf : buf (with a buffer); p -= lr * d.
template <class T>
struct SgdHyper {
  T lr, momentum, damp, wd;
  bool nesterov;
};

template <class T>
__device__ __forceinline__ void sgd_update(T* p, const T* g, T* buf, int64_t i, const SgdHyper<T>& h, bool first) {
  if (!buf) {
    p[i] -= h.wd == T(0) ? h.lr * g[i] : h.lr * (g[i] + h.wd * p[i]);
    return;
  }
  T d = g[i] + h.wd * p[i];
  const T v = first ? d : h.momentum * buf[i] + h.damp * d;
  buf[i] = v;
  d = h.nesterov ? d + h.momentum * v : v;
  p[i] -= h.lr * d;
}

// Up to kListMax parameters in one launch: parameter k gets blocks
// [block_end[k - 1], block_end[k]), each covering kListChunk elements.
constexpr int kListMax = 32;
constexpr int64_t kListChunk = int64_t(kThreads) * 4;

template <class T>
struct SgdList {
  T* p[kListMax];
  const T* g[kListMax];
  T* buf[kListMax];
  int64_t n[kListMax];
  int64_t block_end[kListMax];
  uint32_t first;  // bit k: parameter k's first step
  int count;
};

template <class T>
__global__ void __launch_bounds__(kThreads) sgd_list_kernel(SgdList<T> list, SgdHyper<T> h) {
  int k = 0;
  while (k + 1 < list.count && int64_t(blockIdx.x) >= list.block_end[k]) ++k;
  const int64_t begin = (int64_t(blockIdx.x) - (k == 0 ? 0 : list.block_end[k - 1])) * kListChunk;
  const int64_t end = min(list.n[k], begin + kListChunk);
  const bool first = (list.first >> k) & 1u;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x)
    sgd_update(list.p[k], list.g[k], list.buf[k], i, h, first);
}

// Adam / AdamW (decoupled), the CPU kernel's steps: neg_step_size = -lr / (1 - beta1^t),
// sqrt_bc2 = sqrt(1 - beta2^t), w1 = 1 - beta1 and w2 = 1 - beta2 rounded once from double.
template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, T neg_step_size, T sqrt_bc2, T w1, bool lerp_from_m,
                            T b2, T w2, T eps, T wd, T decay, bool decoupled) {
  for (int64_t i = global_thread_index(); i < n; i += global_thread_count()) {
    T gi = g[i];
    if (decoupled) p[i] *= decay;
    else gi += wd * p[i];
    m[i] = lerp_from_m ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * (T(1) - w1);
    v[i] = v[i] * b2 + w2 * gi * gi;
    const T denom = math::sqrt(v[i]) / sqrt_bc2 + eps;
    p[i] += neg_step_size * (m[i] / denom);
  }
}

}  // namespace

void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& bufs, double lr, double momentum, double dampening, double weight_decay,
               bool nesterov, const std::vector<bool>& first) {
  if (params.empty()) return;
  FT_DISPATCH_FLOATING_TYPES(params[0]->dtype(), "sgd_step", [&] {
    using T = scalar_t;
    const SgdHyper<T> h{T(lr), T(momentum), T(1 - dampening), T(weight_decay), nesterov};
    SgdList<T> list{};
    int64_t blocks = 0;
    auto launch = [&] {
      if (list.count == 0) return;
      sgd_list_kernel<T><<<unsigned(blocks), kThreads, 0, stream()>>>(list, h);
      FT_CUDA_CHECK_LAUNCH();
      list = SgdList<T>{};
      blocks = 0;
    };
    for (size_t i = 0; i < params.size(); ++i) {
      const int64_t n = params[i]->numel();
      if (n == 0) continue;
      const int64_t more = ceil_div(n, kListChunk);
      if (list.count == kListMax || blocks + more > int64_t(INT32_MAX)) launch();
      const int k = list.count++;
      list.p[k] = params[i]->data_as<T>();
      list.g[k] = grads[i]->data_as<T>();
      list.buf[k] = bufs[i] ? bufs[i]->data_as<T>() : nullptr;
      list.n[k] = n;
      blocks += more;
      list.block_end[k] = blocks;
      if (first[i]) list.first |= 1u << k;
    }
    launch();
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
        param->data_as<T>(), grad->data_as<T>(), exp_avg->data_as<T>(), exp_avg_sq->data_as<T>(), n, T(-(lr / bc1)),
        T(std::sqrt(bc2)), T(1 - beta1), std::abs(1 - beta1) < 0.5, T(beta2), T(1 - beta2), T(eps), T(weight_decay),
        T(1 - lr * weight_decay), decoupled);
    FT_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace ft::cuda
