// Shared between gemm.cpp (baseline x86-64 flags) and the per-ISA kernel
// files gemm_avx2.cpp / gemm_avx512.cpp. Declarations and plain structs only:
// no inline or template functions here, so nothing compiled with AVX flags
// can be merged by the linker into code that runs on an older CPU.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ft::cpu {

// One GEMM problem, already in the kernels' orientation: the micro-kernels
// vectorize along N (C's columns) and broadcast along M.
template <class T>
struct GemmProblem {
  int64_t m, n, k;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs, b_cs;
  T* c;
  int64_t c_rs, c_cs;
  bool accumulate;
};

// Cache blocking of the serial algorithm (elements, not bytes).
//   kc: depth of one packed block (balanced: K is cut into equal blocks <= kc)
//   mc: rows of A packed at once; nc: columns of B packed at once.
//   read_a_in_place: skip packing A (only honoured when A has a unit stride).
//   read_b_in_place: skip packing B (only honoured when B has unit column stride).
//   a_panel_outer: loop order inside a block; true = each A micro-panel stays
//     in L1 while B micro-panels stream from L2; false = BLIS order (each B
//     micro-panel stays in L1 while A micro-panels stream from L2).
struct GemmBlocking {
  int64_t mc, kc, nc;
  bool read_a_in_place;
  bool read_b_in_place;
  bool a_panel_outer;
};

// Policy knobs of gemm_f32 / gemm_f64: the defaults were chosen by measurement
// (benchmarks/gemm_dev); benchmarks and tests may override them through
// gemm_tuning(), but not while another thread is inside a gemm call.
struct GemmTuning {
  GemmBlocking f32, f64;
  double min_flops_for_threads;   // 2*M*N*K below this runs on the caller only
  int64_t read_a_in_place_max_n;  // read a column-major A unpacked when N <= this
  int64_t read_b_in_place_max_m;  // read a row-major B unpacked when M <= this
  int force_split;                // 0 = auto, 1 = split M across threads, 2 = split N
  bool swap_skinny_n;             // C^T = B^T A^T when N is narrower than a vector and A^T is row-major
};
GemmTuning& gemm_tuning();

// Register blocking of each micro-kernel: MR rows of C (broadcast from A) by
// NR columns (vector loads from B). Defined here so the threading code in
// gemm.cpp splits work on tile boundaries.
constexpr int kGemmMR_f32_avx512 = 12, kGemmNR_f32_avx512 = 32;
constexpr int kGemmMR_f64_avx512 = 12, kGemmNR_f64_avx512 = 16;
constexpr int kGemmMR_f32_avx2 = 6, kGemmNR_f32_avx2 = 16;
constexpr int kGemmMR_f64_avx2 = 6, kGemmNR_f64_avx2 = 8;
// The baseline level: 16-byte vectors (SSE2's 16 registers on x86-64,
// NEON's 32 on aarch64, room for 24 accumulators there).
#if defined(__aarch64__)
constexpr int kGemmMR_f32_portable = 8, kGemmNR_f32_portable = 12;
constexpr int kGemmMR_f64_portable = 8, kGemmNR_f64_portable = 6;
#else
constexpr int kGemmMR_f32_portable = 6, kGemmNR_f32_portable = 8;
constexpr int kGemmMR_f64_portable = 6, kGemmNR_f64_portable = 4;
#endif

// Serial blocked GEMM for one problem (one thread's share), per ISA.
void gemm_serial_f32_portable(const GemmProblem<float>& p, const GemmBlocking& blocking);
void gemm_serial_f64_portable(const GemmProblem<double>& p, const GemmBlocking& blocking);
void gemm_serial_f32_avx2(const GemmProblem<float>& p, const GemmBlocking& blocking);
void gemm_serial_f64_avx2(const GemmProblem<double>& p, const GemmBlocking& blocking);
void gemm_serial_f32_avx512(const GemmProblem<float>& p, const GemmBlocking& blocking);
void gemm_serial_f64_avx512(const GemmProblem<double>& p, const GemmBlocking& blocking);

// A 64-byte aligned buffer owned by the calling thread, grown on demand and
// reused across calls (packed panels live here). Contents are not preserved
// across calls that grow it.
void* gemm_thread_scratch(size_t bytes);

}  // namespace ft::cpu
