// The CUDA Backend: one per device, each method makes its device current and
// forwards to the kernels of kernels.h. Registered at module load; asking
// for it without a GPU raises RuntimeError (never aborts the process).
#include <array>
#include <mutex>

#include "core/backend.h"
#include "cuda/allocator.h"
#include "cuda/cuda_utils.h"
#include "cuda/kernels.h"

namespace ft::cuda {

namespace {

constexpr int kMaxDevices = 64;

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index) : index_(index) {}

  Allocator& allocator() override {
    set_device(index_);
    return device_allocator(index_);
  }
  void copy(const Tensor& dst, const Tensor& src) override {
    set_device(index_);
    cuda::copy(dst, src);
  }
  void fill(const Tensor& dst, const Scalar& v) override {
    set_device(index_);
    cuda::fill(dst, v);
  }
  // Host memory is pageable (NumPy arrays, CPU tensors): plain cudaMemcpy on
  // the legacy stream, ordered after every kernel queued before it.
  void copy_from_host(const Tensor& dst, const void* host) override {
    set_device(index_);
    const size_t bytes = dst->numel() * dst->itemsize();
    if (bytes > 0) FT_CUDA_CHECK(cudaMemcpy(dst->data(), host, bytes, cudaMemcpyHostToDevice));
  }
  void copy_to_host(void* host, const Tensor& src) override {
    set_device(index_);
    const size_t bytes = src->numel() * src->itemsize();
    if (bytes > 0) FT_CUDA_CHECK(cudaMemcpy(host, src->data(), bytes, cudaMemcpyDeviceToHost));
    raise_deferred_errors();  // the values read may come from an op with bad input
  }
  void linspace(const Tensor& dst, double start, double end) override {
    set_device(index_);
    cuda::linspace(dst, start, end);
  }
  void arange(const Tensor& dst, double start, double step) override {
    set_device(index_);
    cuda::arange(dst, start, step);
  }
  void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) override {
    set_device(index_);
    cuda::binary(op, out, a, b);
  }
  void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1) override {
    set_device(index_);
    cuda::unary(op, out, in, p0, p1);
  }
  void where(const Tensor& out, const Tensor& c, const Tensor& a, const Tensor& b) override {
    set_device(index_);
    cuda::where(out, c, a, b);
  }
  void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t mask) override {
    set_device(index_);
    cuda::reduce(op, out, in, mask);
  }
  void cumsum(const Tensor& out, const Tensor& in, int dim) override {
    set_device(index_);
    cuda::cumsum(out, in, dim);
  }
  void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) override {
    set_device(index_);
    cuda::matmul(out, a, b, accumulate);
  }
  void softmax(const Tensor& out, const Tensor& in, bool log) override {
    set_device(index_);
    cuda::softmax(out, in, log);
  }
  void softmax_backward(const Tensor& gi, const Tensor& go, const Tensor& out, bool log) override {
    set_device(index_);
    cuda::softmax_backward(gi, go, out, log);
  }
  void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                     const Tensor& target, int64_t ignore_index) override {
    set_device(index_);
    cuda::cross_entropy(losses, lse, valid, logits, target, ignore_index);
  }
  void cross_entropy_backward(const Tensor& gl, const Tensor& g, const Tensor& logits, const Tensor& target,
                              const Tensor& lse, int64_t ignore_index) override {
    set_device(index_);
    cuda::cross_entropy_backward(gl, g, logits, target, lse, ignore_index);
  }
  void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos) override {
    set_device(index_);
    cuda::index_gather(out, src, offsets, pos);
  }
  void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool acc) override {
    set_device(index_);
    cuda::index_scatter(dst, values, offsets, pos, acc);
  }
  void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t) override {
    set_device(index_);
    cuda::sort(values, indices, in, descending);  // every column (a full sort costs little there)
  }
  Tensor nonzero(const Tensor& in) override {
    set_device(index_);
    return cuda::nonzero(in);
  }
  void random_uniform(const Tensor& dst, double lo, double hi, Generator& g) override {
    set_device(index_);
    cuda::random_uniform(dst, lo, hi, g.seed, g.advance(uint64_t(dst->numel())));
  }
  void random_normal(const Tensor& dst, double mean, double std, bool, Generator& g) override {
    set_device(index_);
    cuda::random_normal(dst, mean, std, g.seed, g.advance(uint64_t(dst->numel())));
  }
  void random_int(const Tensor& dst, int64_t lo, int64_t hi, Generator& g) override {
    set_device(index_);
    cuda::random_int(dst, lo, hi, g.seed, g.advance(uint64_t(dst->numel())));
  }
  // One counter per element (advance counts values, four per counter).
  void random_poisson(const Tensor& dst, const Tensor& rate, Generator& g) override {
    set_device(index_);
    cuda::random_poisson(dst, rate, g.seed, g.advance(4 * uint64_t(dst->numel())));
  }
  void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, Generator& g) override {
    set_device(index_);
    cuda::random_binomial(dst, count, prob, g.seed, g.advance(4 * uint64_t(dst->numel())));
  }
  void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
                 const std::vector<Tensor>& bufs, double lr, double momentum, double dampening, double wd,
                 bool nesterov, const std::vector<bool>& first) override {
    set_device(index_);
    cuda::sgd_steps(params, grads, bufs, lr, momentum, dampening, wd, nesterov, first);
  }
  void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, double lr, double b1, double b2,
                 double eps, double wd, bool decoupled, int64_t step) override {
    set_device(index_);
    cuda::adam_step(p, g, m, v, lr, b1, b2, eps, wd, decoupled, step);
  }
  void synchronize() override {
    set_device(index_);
    FT_CUDA_CHECK(cudaDeviceSynchronize());
    raise_deferred_errors();
  }

 private:
  const int index_;
};

// Registered with ft::register_backend: the backend of device `index`
// (-1: the current device, 0 here).
Backend* get_backend(int index) {
  const int count = device_count();
  FT_CHECK(count > 0, RuntimeError, unavailable_reason());
  const int i = index < 0 ? 0 : index;
  FT_CHECK(i < count, RuntimeError, "CUDA error: invalid device ordinal (cuda:", i, " requested, ", count,
           count == 1 ? " device" : " devices", " available)");
  // Leaked on purpose: used until interpreter exit.
  static auto* backends = new std::array<CudaBackend*, kMaxDevices>();
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (!(*backends)[i]) (*backends)[i] = new CudaBackend(i);
  return (*backends)[i];
}

}  // namespace

void register_cuda_backend() { register_backend(DeviceType::CUDA, &get_backend); }

}  // namespace ft::cuda
