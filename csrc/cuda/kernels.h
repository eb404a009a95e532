// The CUDA kernels behind the Backend interface (see core/backend.h for what
// each one computes). Each is a host function that checks, plans and
// launches on the current device; one file per family:
//   elementwise.cu  copy, fill, arange, binary, unary, where
//   reduce.cu       reduce, cumsum
//   matmul.cu       matmul (fp32 tiled / TF32 tensor cores, fp64, integers)
//   softmax.cu      softmax, cross-entropy and their backwards
//   index.cu        index_gather, index_scatter, nonzero
//   sort.cu         sort (rows, bitonic)
//   random.cu       Philox uniform / normal / integers, Poisson and binomial counts
//   optim.cu        fused SGD and Adam steps
#pragma once

#include <string>
#include <vector>

#include "core/backend.h"

namespace ft::cuda {

void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, const Scalar& value);
void arange(const Tensor& dst, double start, double step);
void linspace(const Tensor& dst, double start, double end);
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);

void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t dim_mask);
void cumsum(const Tensor& out, const Tensor& in, int dim);

void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate);
// The fp32 SIMT matmul kernels by name; one may be forced for every fp32
// matmul without TF32 (the GPU benchmark's sweep, the tests), "" = by shape.
std::vector<std::string> matmul_kernels();
std::string forced_matmul_kernel();
void force_matmul_kernel(const std::string& name);  // ValueError for an unknown name

void softmax(const Tensor& out, const Tensor& in, bool log);
// The launch shapes of the softmax forward's register-cached path by name
// ("<threads per row>x<threads per block>"); one may be forced (the GPU
// benchmark's sweep, the tests), "" = by shape.
std::vector<std::string> softmax_launches();
std::string forced_softmax_launch();
void force_softmax_launch(const std::string& name);  // ValueError for an unknown name
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log);
void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                   const Tensor& target, int64_t ignore_index);
void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses, const Tensor& logits,
                            const Tensor& target, const Tensor& lse, int64_t ignore_index);

void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos);
void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool accumulate);
Tensor nonzero(const Tensor& in);

void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending);

void random_uniform(const Tensor& dst, double low, double high, uint64_t seed, uint64_t offset);
void random_normal(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t offset);
void random_int(const Tensor& dst, int64_t low, int64_t high, uint64_t seed, uint64_t offset);
// One Philox counter per element (offset + i), each element stepping its own
// stream (see random.cu); a negative or NaN rate raises RuntimeError.
void random_poisson(const Tensor& dst, const Tensor& rate, uint64_t seed, uint64_t offset);
void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, uint64_t seed, uint64_t offset);

void sgd_steps(const std::vector<Tensor>& params, const std::vector<Tensor>& grads,
               const std::vector<Tensor>& momentum_bufs, double lr, double momentum, double dampening,
               double weight_decay, bool nesterov, const std::vector<bool>& first);
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step);

}  // namespace ft::cuda
