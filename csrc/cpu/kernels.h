// The CPU kernels of one SIMD level. Every file that defines them is compiled
// once per level (FT_CPU_LEVEL = avx512, avx2 or baseline, each with its own
// -m flags), and cpu/dispatch.cpp picks the level at run time from CPUID.
#pragma once

#include "core/backend.h"

#ifndef FT_CPU_LEVEL
#error "FT_CPU_LEVEL must name the SIMD level this file is compiled for"
#endif

namespace ft::cpu::FT_CPU_LEVEL {

void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, const Scalar& value);
void arange(const Tensor& dst, double start, double step);
void linspace(const Tensor& dst, double start, double end);
void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
void unary(UnaryOp op, const Tensor& out, const Tensor& in, double p0, double p1);
void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
void reduce(ReduceOp op, const Tensor& out, const Tensor& in, uint32_t dim_mask);
void cumsum(const Tensor& out, const Tensor& in, int dim);
void softmax(const Tensor& out, const Tensor& in, bool log);
void softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, bool log);
void cross_entropy(const Tensor& losses, const Tensor& lse, const Tensor& valid, const Tensor& logits,
                   const Tensor& target, int64_t ignore_index);
void cross_entropy_backward(const Tensor& grad_logits, const Tensor& grad_losses, const Tensor& logits,
                            const Tensor& target, const Tensor& lse, int64_t ignore_index);
void index_gather(const Tensor& out, const Tensor& src, const Tensor& offsets, int pos);
void index_scatter(const Tensor& dst, const Tensor& values, const Tensor& offsets, int pos, bool accumulate);
Tensor nonzero(const Tensor& in);
void sort(const Tensor& values, const Tensor& indices, const Tensor& in, bool descending, int64_t k);
void random_uniform(const Tensor& dst, double low, double high, Generator& g);
void random_normal(const Tensor& dst, double mean, double std, bool blocked, Generator& g);
void random_int(const Tensor& dst, int64_t low, int64_t high, Generator& g);
void random_distribution(const Tensor& dst, RandomDistribution kind, double a, double b, Generator& g);
void random_poisson(const Tensor& dst, const Tensor& rate, Generator& g);
void random_binomial(const Tensor& dst, const Tensor& count, const Tensor& prob, Generator& g);
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& buf, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool first);
void adam_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool decoupled, int64_t step);

// This level's Backend (forwards to the functions above; matmul to gemm).
Backend* backend();

}  // namespace ft::cpu::FT_CPU_LEVEL
