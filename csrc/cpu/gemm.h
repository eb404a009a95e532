// Dense matrix multiply for the CPU backend (our own BLIS-style kernels).
//
//   C[i,j] = (accumulate ? C[i,j] : 0) + sum_k A[i,k] * B[k,j]
//
// A is M x K, B is K x N, C is M x N. Every operand is given by a pointer and
// element strides (row, col), so transposed or non-contiguous views are
// handled while packing, never by copies: e.g. X^T of a row-major 784x256 X is
// (X, row_stride = 1, col_stride = 256). C must not alias A or B.
//
// M, N, K may be 0 (K == 0 means C = 0 unless accumulating). The kernel is
// chosen at run time from ft::cpu::simd_level() (AVX-512, AVX2+FMA or
// portable C++) and large products run on ft::cpu::parallel_for.
#pragma once

#include <cstdint>

namespace ft::cpu {

void gemm_f32(int64_t M, int64_t N, int64_t K,
              const float* A, int64_t a_row_stride, int64_t a_col_stride,
              const float* B, int64_t b_row_stride, int64_t b_col_stride,
              float* C, int64_t c_row_stride, int64_t c_col_stride,
              bool accumulate);

void gemm_f64(int64_t M, int64_t N, int64_t K,
              const double* A, int64_t a_row_stride, int64_t a_col_stride,
              const double* B, int64_t b_row_stride, int64_t b_col_stride,
              double* C, int64_t c_row_stride, int64_t c_col_stride,
              bool accumulate);

}  // namespace ft::cpu
