// The CPU Backend of one SIMD level: forwards each kernel to this level's
// implementation; matmul goes to the BLIS-style gemm (which picks its own
// micro-kernel) or, for integers, a plain triple loop.
#include <cstring>

#include "cpu/gemm.h"
#include "cpu/kernels.h"
#include "cpu/loops.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

template <class T>
void matmul_integer(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  const int64_t B = out->shape()[0], M = out->shape()[1], N = out->shape()[2], K = a->shape()[2];
  const auto &as = a->strides(), &bs = b->strides(), &os = out->strides();
  const T* pa = a->data_as<T>();
  const T* pb = b->data_as<T>();
  T* po = out->data_as<T>();
  for (int64_t z = 0; z < B; ++z)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T acc = accumulate ? po[z * os[0] + i * os[1] + j * os[2]] : T(0);
        for (int64_t k = 0; k < K; ++k)
          acc = T(acc + pa[z * as[0] + i * as[1] + k * as[2]] * pb[z * bs[0] + k * bs[1] + j * bs[2]]);
        po[z * os[0] + i * os[1] + j * os[2]] = acc;
      }
}

class CpuBackend final : public Backend {
 public:
  Allocator& allocator() override { return cpu_allocator(); }
  void copy(const Tensor& dst, const Tensor& src) override { FT_CPU_LEVEL::copy(dst, src); }
  void fill(const Tensor& dst, const Scalar& v) override { FT_CPU_LEVEL::fill(dst, v); }
  void copy_from_host(const Tensor& dst, const void* host) override {
    std::memcpy(dst->data(), host, dst->numel() * dst->itemsize());
  }
  void copy_to_host(void* host, const Tensor& src) override {
    std::memcpy(host, src->data(), src->numel() * src->itemsize());
  }
  void arange(const Tensor& dst, double start, double step) override { FT_CPU_LEVEL::arange(dst, start, step); }
  void linspace(const Tensor& dst, double start, double end) override { FT_CPU_LEVEL::linspace(dst, start, end); }
  void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) override {
    FT_CPU_LEVEL::binary(op, out, a, b);
  }
  void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) override {
    FT_CPU_LEVEL::unary(op, out, in, p0, p1);
  }
  void where(const Tensor& out, const Tensor& c, const Tensor& a, const Tensor& b) override {
    FT_CPU_LEVEL::where(out, c, a, b);
  }
  void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t mask) override {
    FT_CPU_LEVEL::reduce(op, out, in, mask);
  }
  void cumsum(const Tensor& out, const Tensor& in, int dim) override { FT_CPU_LEVEL::cumsum(out, in, dim); }

  void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) override {
    // out (B, M, N) = a (B, M, K) @ b (B, K, N)
    const int64_t B = out->shape()[0], M = out->shape()[1], N = out->shape()[2], K = a->shape()[2];
    const auto &as = a->strides(), &bs = b->strides(), &os = out->strides();
    switch (out->dtype()) {
      case DType::Float32:
        for (int64_t z = 0; z < B; ++z)
          gemm_f32(M, N, K, a->data_as<float>() + z * as[0], as[1], as[2], b->data_as<float>() + z * bs[0], bs[1],
                   bs[2], out->data_as<float>() + z * os[0], os[1], os[2], accumulate);
        return;
      case DType::Float64:
        for (int64_t z = 0; z < B; ++z)
          gemm_f64(M, N, K, a->data_as<double>() + z * as[0], as[1], as[2], b->data_as<double>() + z * bs[0], bs[1],
                   bs[2], out->data_as<double>() + z * os[0], os[1], os[2], accumulate);
        return;
      default:
        FT_DISPATCH_ALL_TYPES(out->dtype(), "matmul", [&] {
          if constexpr (std::is_same_v<scalar_t, bool>)
            throw NotImplementedError("\"addmm_impl_cpu_\" not implemented for 'Bool'");
          else matmul_integer<scalar_t>(out, a, b, accumulate);
        });
    }
  }

  void softmax(const Tensor& out, const Tensor& in, bool log) override { FT_CPU_LEVEL::softmax(out, in, log); }
  void softmax_backward(const Tensor& gi, const Tensor& go, const Tensor& out, bool log) override {
    FT_CPU_LEVEL::softmax_backward(gi, go, out, log);
  }
  void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                     const Tensor& target, int64_t ignore_index) override {
    FT_CPU_LEVEL::cross_entropy(losses, lse, valid, logits, target, ignore_index);
  }
  void cross_entropy_backward(const Tensor& gl, const Tensor& g, const Tensor& logits, const Tensor& target,
                              const Tensor& lse, int64_t ignore_index) override {
    FT_CPU_LEVEL::cross_entropy_backward(gl, g, logits, target, lse, ignore_index);
  }
  void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos) override {
    FT_CPU_LEVEL::index_gather(out, src, offsets, pos);
  }
  void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool acc) override {
    FT_CPU_LEVEL::index_scatter(dst, values, offsets, pos, acc);
  }
  Tensor nonzero(const Tensor& in) override { return FT_CPU_LEVEL::nonzero(in); }
  void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t k) override {
    FT_CPU_LEVEL::sort(values, indices, in, descending, k);
  }
  void random_uniform(const Tensor& dst, double lo, double hi, Generator& g) override {
    FT_CPU_LEVEL::random_uniform(dst, lo, hi, g);
  }
  void random_normal(const Tensor& dst, double mean, double std, bool blocked, Generator& g) override {
    FT_CPU_LEVEL::random_normal(dst, mean, std, blocked, g);
  }
  void random_int(const Tensor& dst, int64_t lo, int64_t hi, Generator& g) override {
    FT_CPU_LEVEL::random_int(dst, lo, hi, g);
  }
  void random_distribution(const Tensor& dst, RandomDistribution kind, double a, double b, Generator& g) override {
    FT_CPU_LEVEL::random_distribution(dst, kind, a, b, g);
  }
  void random_poisson(const Tensor& dst, const Tensor& rate, Generator& g) override {
    FT_CPU_LEVEL::random_poisson(dst, rate, g);
  }
  void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, Generator& g) override {
    FT_CPU_LEVEL::random_binomial(dst, count, prob, g);
  }
  void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& bufs, double lr, double momentum, double dampening, double wd,
                 bool nesterov, const std::vector<bool>& first) override {
    for (size_t i = 0; i < params.size(); ++i)
      FT_CPU_LEVEL::sgd_step(params[i], grads[i], bufs[i], lr, momentum, dampening, wd, nesterov, first[i]);
  }
  void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, double lr, double b1, double b2,
                 double eps, double wd, bool decoupled, int64_t step) override {
    FT_CPU_LEVEL::adam_step(p, g, m, v, lr, b1, b2, eps, wd, decoupled, step);
  }
};

}  // namespace

Backend* backend() {
  static CpuBackend b;
  return &b;
}

}  // namespace ft::cpu::FT_CPU_LEVEL
