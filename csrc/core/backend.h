// Backend: the one dispatch point between ops and device kernels. Ops check
// arguments, work out shapes and dtypes, allocate outputs, then call these;
// kernels know nothing of autograd or Python. A new device implements this
// interface; no op changes.
//
// Conventions for every kernel:
// - `out` is allocated by the op with its final shape and dtype.
// - Elementwise inputs arrive already broadcast to out's shape (stride 0 on
//   broadcast dims) and already of the compute dtype (see each op), so the
//   kernel only walks strides. Any operand may be non-contiguous.
// - All tensors of one call are on the backend's device.
#pragma once

#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/storage.h"
#include "core/tensor.h"

namespace ft {

enum class BinaryOp : uint8_t {
  // Arithmetic: out dtype == input dtype.
  Add, Sub, Mul, Div, FloorDiv, Remainder, Fmod, Pow, Maximum, Minimum,
  // (Remainder: sign of the divisor, as Python's %; Fmod: sign of the dividend, as C's fmod.)
  BitAnd, BitOr, BitXor,  // integers and bool only
  // Integers only; a shift by a negative amount or the width or more gives 0
  // (right shift of a negative number: -1), as PyTorch's.
  LeftShift, RightShift,
  // Comparisons and logic: out dtype is bool.
  Eq, Ne, Lt, Le, Gt, Ge, LogicalAnd, LogicalOr, LogicalXor,
  // Backward helpers (float only): a = incoming grad, b = saved tensor.
  ReluBackward,     // a where b is not <= 0 (b = relu's output; a NaN b passes a)
  SigmoidBackward,  // a * b * (1 - b), b = output
  TanhBackward,     // a * (1 - b * b), b = output
};

enum class UnaryOp : uint8_t {
  Neg, Abs, Sign, Exp, Log, Log1p, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu,
  Expm1, Exp2, Log2, Log10, Sinh, Cosh, Tan, Asin, Acos, Atan, Erf,
  Asinh, Acosh, Atanh, Erfc,
  Lgamma, Digamma, Trigamma,  // trigamma: digamma's derivative (autograd's, not bound)
  Reciprocal, Square, Floor, Ceil, Round, Trunc,
  LogicalNot,  // out bool
  IsNan,       // out bool
  IsFinite,    // out bool
  IsInf,       // out bool
  Clamp,       // p0 = min (or -inf / lowest), p1 = max
};

enum class ReduceOp : uint8_t { Sum, Mean, Prod, Max, Min, ArgMax, ArgMin, All, Any };

// PyTorch's other CPU distributions (Backend::random_distribution); u is a
// 53-bit uniform double draw, z a normal drawn one at a time.
enum class RandomDistribution : uint8_t {
  Bernoulli,    // u < a
  Exponential,  // (-1 / a) log1p(-u)
  Geometric,    // ceil(log(u) / log1p(-a))
  Cauchy,       // a + b tan(pi (u - 1/2)), fused
  LogNormal,    // exp(a + b z), fused
  Bits,         // random_() without bounds: dtype-wide integers (floats: up to 2^mantissa)
};

struct Backend {
  virtual ~Backend() = default;
  virtual Allocator& allocator() = 0;

  // dst[i] = (dst dtype) src[i]; same shape, any strides and dtypes. Used for
  // contiguous(), to(dtype), clone, assignment through views, cat.
  virtual void copy(const Tensor& dst, const Tensor& src) = 0;
  virtual void fill(const Tensor& dst, const Scalar& value) = 0;
  // Between host memory and a contiguous tensor of this device (dst/src's nbytes).
  virtual void copy_from_host(const Tensor& dst, const void* host) = 0;
  virtual void copy_to_host(void* host, const Tensor& src) = 0;
  // dst[i] = start + i * step (dst contiguous, 1-D), rounded as PyTorch's kernels round.
  virtual void arange(const Tensor& dst, double start, double step) = 0;
  // dst (n >= 2, contiguous, floating) = n points from start to end, as PyTorch computes them:
  // in dst's dtype, step = (end - start) / (n - 1), i < n/2: start + step i, else end - step (n-1-i).
  virtual void linspace(const Tensor& dst, double start, double end) = 0;

  virtual void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) = 0;
  // p0 / p1: parameters (Clamp's bounds).
  virtual void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0 = 0, double p1 = 0) = 0;
  // out[i] = cond[i] ? a[i] : b[i]; cond bool, a/b of out's dtype.
  virtual void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) = 0;

  // Reduces `in` over the dims set in dim_mask (bit d = dim d). `out` has
  // in's rank with size 1 on the reduced dims (keepdim layout; the op views it
  // without them afterwards). Sum/Mean/Prod accumulate in out's dtype (int64
  // for integer sums, float for float), Max/Min keep the dtype (NaN
  // propagates), ArgMax/ArgMin write int64 indices (first occurrence; reduce
  // exactly one dim), All/Any write bool.
  virtual void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t dim_mask) = 0;
  // Inclusive prefix sum along dim; out same shape, dtype of out.
  virtual void cumsum(const Tensor& out, const Tensor& in, int dim) = 0;

  // out (B, M, N) = a (B, M, K) @ b (B, K, N), all three 3-D with any strides
  // (batch stride 0 for a broadcast operand). Same float dtype, or integer.
  // With accumulate, out += a @ b (out already holds values, e.g. a broadcast bias).
  virtual void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) = 0;

  // Row softmax over the last dim of a contiguous (R, C) tensor.
  virtual void softmax(const Tensor& out, const Tensor& in, bool log) = 0;
  // grad_in = out * (grad_out - sum(grad_out * out))        (softmax)
  // grad_in = grad_out - exp(out) * sum(grad_out)           (log_softmax)
  virtual void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log) = 0;
  // Fused log-softmax + NLL. logits (N, C) contiguous float, target (N,) int64.
  // losses (N,) = logsumexp(row) - row[target]; lse (N,) keeps logsumexp for backward.
  // A row whose target is ignore_index has loss 0; valid (N,) of the logits'
  // dtype, when given (not null), gets 1 for the other rows and 0 for those.
  // Raises IndexError for another target outside [0, C): the CPU at once,
  // CUDA at the next read of a result (see cuda/cuda_utils.h, deferred checks).
  virtual void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                             const Tensor& target, int64_t ignore_index) = 0;
  // grad_logits (N, C) = (softmax(row) - onehot(target)) * grad_losses[n]  (grad_losses (N,), any stride),
  // 0 in the rows whose target is ignore_index.
  // A kernel may use lse, or recompute the row's max and sum for accuracy (the CPU does).
  virtual void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses, const Tensor& logits,
                                      const Tensor& target, const Tensor& lse, int64_t ignore_index) = 0;

  // Advanced indexing. src holds the dims that are not indexed (any
  // strides); offsets (n,) int64 contiguous are element offsets into src's
  // storage, already bounds-checked. out has src's dims with one dim of size n
  // inserted at `pos`:  out[b.., i, a..] = src[b.., a..] shifted by offsets[i].
  virtual void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos) = 0;
  // The reverse: dst[b.., a..] shifted by offsets[i] (+)= values[b.., i, a..].
  // With accumulate repeated offsets add up (autograd of indexing: floating
  // types only, which CUDA checks); without, one of the writes wins.
  virtual void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos,
                             bool accumulate) = 0;
  // Positions of nonzero elements: returns an (n, ndim) int64 tensor.
  virtual Tensor nonzero(const Tensor& in) = 0;
  // Sorts each row of a contiguous (R, C) tensor into values (R, C) of its
  // dtype and indices (R, C) int64, both contiguous. Stable: equal keys keep
  // their order (descending too); NaN sorts as the largest value. Only the
  // first `k` columns of the results need to be right (topk; k = C: all).
  virtual void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t k) = 0;

  // Random fills of a contiguous dst from g. The CPU follows PyTorch's CPU
  // generator and kernels (see core/generator.h, cpu/random.cpp): dst's
  // elements take the draws in order, under g.mutex. CUDA: Philox counters
  // (g.seed, g.advance()), element i of a fill using counter first + i / 4.
  virtual void random_uniform(const Tensor& dst, double low, double high, Generator& g) = 0;
  // `blocked`: the caller's tensor is contiguous with >= 16 elements, where
  // PyTorch's CPU draws all uniforms first and pairs them in blocks of 16;
  // otherwise one normal at a time (the Box-Muller sine kept in g).
  virtual void random_normal(const Tensor& dst, double mean, double std, bool blocked, Generator& g) = 0;
  // Integers uniform in [low, high).
  virtual void random_int(const Tensor& dst, int64_t low, int64_t high, Generator& g) = 0;
  // The CPU's other distributions in PyTorch's draws, each element in double
  // and then converted. Other devices have none: ops builds these there from
  // uniform draws.
  virtual void random_distribution(const Tensor& dst, RandomDistribution kind, double a, double b, Generator& g) {
    (void)dst, (void)kind, (void)a, (void)b, (void)g;
    throw RuntimeError("random_distribution: only the CPU backend draws these directly");
  }
  // Poisson counts of the rates, and Binomial(count, prob) draws (dst, rate,
  // count, prob contiguous, one shape and dtype), both devices with the
  // samplers of cpu/random_counts.h and so the same edge values: rate 0 ->
  // 0, a count past int64 (an infinite rate too) -> -2^63 as PyTorch's CPU;
  // count <= 0 or p <= 0 -> 0, p >= 1 -> count, NaN -> NaN. The CPU draws
  // one element after another from g (PyTorch's CPU numbers), and a negative
  // or NaN rate raises after the draws of the elements before it, as
  // PyTorch's CPU kernel. CUDA: element i draws a Philox stream of its own
  // from counter first + i (one counter per element, cuda/random.cu), and a
  // negative or NaN rate raises once the kernel is done (the generator moved
  // on by the whole call), where PyTorch's CUDA kernel fails a device assert.
  virtual void random_poisson(const Tensor& dst, const Tensor& rate, Generator& g) {
    (void)dst, (void)rate, (void)g;
    throw NotImplementedError("poisson: this device has no kernel for it (Backend::random_poisson); "
                              "draw on the CPU and move the result");
  }
  virtual void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, Generator& g) {
    (void)dst, (void)count, (void)prob, (void)g;
    throw NotImplementedError("binomial: this device has no kernel for it (Backend::random_binomial); "
                              "draw on the CPU and move the result");
  }

  // Optimizer steps, fused; all tensors contiguous, same shape and dtype.
  // SGD over a list of parameters (an optimizer's group) on this device, all
  // of one dtype; for each p with its grad, momentum buffer (may be null) and
  // first-step flag:
  //   d = grad + wd * p; buf = first ? d : momentum * buf + (1 - dampening) * d;
  //   d = nesterov ? d + momentum * buf : buf (with a buffer); p -= lr * d.
  // CUDA updates up to 32 parameters per launch.
  virtual void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                         const std::vector<Tensor>& momentum_bufs, double lr, double momentum, double dampening,
                         double weight_decay, bool nesterov, const std::vector<bool>& first) = 0;
  // Adam / AdamW (decoupled = AdamW): step is the 1-based step count.
  virtual void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                         double lr, double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                         int64_t step) = 0;

  virtual void synchronize() {}
};

// The backend for a device; RuntimeError when that device is not available.
Backend& backend(const Device& device);
// Devices register themselves at load time (the CPU always; CUDA when compiled).
void register_backend(DeviceType type, Backend* (*get)(int index));

}  // namespace ft
