// gemm_f32 / gemm_f64: orientation, kernel selection, threading, and the
// portable (vector-extension) kernels. The SIMD kernels are in gemm_avx2.cpp and
// gemm_avx512.cpp; the shared loop nest is gemm_blocked.h.
#include "gemm.h"

#include <cstdlib>
#include <new>

#include "cpuinfo.h"
#include "gemm_blocked.h"
#include "gemm_internal.h"
#include "parallel.h"

namespace ft::cpu {
namespace {

// 16-byte vectors written with GCC/Clang vector extensions: the baseline
// level's micro-kernel, SSE2 on x86-64 and NEON on aarch64 (where a * b + c
// compiles to one fused multiply-add). Lane-wise the same arithmetic as the
// plain C++ loop: each element of C sums its products in k order.
template <class Scalar>
struct PortableVecOps {
  using T = Scalar;
  typedef Scalar Vec __attribute__((vector_size(16)));
  static constexpr int kLanes = 16 / sizeof(Scalar);
  static Vec zero() { return Vec{}; }
  static Vec load(const T* p) {
    Vec v;
    __builtin_memcpy(&v, p, sizeof(Vec));
    return v;
  }
  static Vec broadcast(const T* p) {
    Vec v;
    for (int i = 0; i < kLanes; ++i) v[i] = *p;  // folds to one broadcast
    return v;
  }
  static Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
  static Vec add(Vec a, Vec b) { return a + b; }
  static void store(T* p, Vec v) { __builtin_memcpy(p, &v, sizeof(Vec)); }
  static int tail_mask(int n) { return n; }  // n in [1, kLanes]: the lanes in use
  // Unrolled lane by lane (a memcpy of n elements would be a library call).
  static Vec masked_load(int n, const T* p) {
    Vec v{};
#pragma GCC unroll 16
    for (int i = 0; i < kLanes; ++i)
      if (i < n) v[i] = p[i];
    return v;
  }
  static void masked_store(T* p, int n, Vec v) {
#pragma GCC unroll 16
    for (int i = 0; i < kLanes; ++i)
      if (i < n) p[i] = v[i];
  }
  static void prefetch(const T* p) { __builtin_prefetch(p); }
};

template <class Scalar, int MR, int NR>
struct PortableKernels {
  using T = Scalar;
  static constexpr int kMR = MR;
  static constexpr int kNR = NR;
  static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
    pack_a_portable<T, kMR>(a, rs, cs, rows, depth, dst);
  }
  static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
    pack_b_portable<T, kNR>(b, rs, cs, depth, cols, dst);
  }
  static void micro_tile(const MicroTileArgs<T>& t) { kTable.run(t); }
  static constexpr MicroKernelTable<PortableVecOps<Scalar>, kMR, kNR> kTable{};
};

struct ThreadScratch {
  void* data = nullptr;
  size_t capacity = 0;
  ThreadScratch() = default;
  ThreadScratch(const ThreadScratch&) = delete;
  ThreadScratch& operator=(const ThreadScratch&) = delete;
  ~ThreadScratch() { std::free(data); }
};

}  // namespace

void* gemm_thread_scratch(size_t bytes) {
  thread_local ThreadScratch scratch;
  if (bytes > scratch.capacity) {
    // Grow geometrically, page-rounded.
    const size_t grown = scratch.capacity + scratch.capacity / 2;
    size_t want = bytes > grown ? bytes : grown;
    want = (want + 4095) / 4096 * 4096;
    std::free(scratch.data);
    scratch.data = nullptr;
    scratch.capacity = 0;
    // posix_memalign, not std::aligned_alloc: macOS has the latter only from 10.15.
    void* p = nullptr;
    if (posix_memalign(&p, 64, want) != 0) throw std::bad_alloc();
    scratch.data = p;
    scratch.capacity = want;
  }
  return scratch.data;
}

void gemm_serial_f32_portable(const GemmProblem<float>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<PortableKernels<float, kGemmMR_f32_portable, kGemmNR_f32_portable>>(p, blocking);
}

void gemm_serial_f64_portable(const GemmProblem<double>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<PortableKernels<double, kGemmMR_f64_portable, kGemmNR_f64_portable>>(p, blocking);
}

GemmTuning& gemm_tuning() {
  static GemmTuning tuning = [] {
    GemmTuning t{};
    // Measured on a 2-core Xeon (AVX-512, 48 KiB L1d, 2 MiB L2 per core):
    // kc = 512 floats keeps the A micro-panel (12 x 512 x 4 B = 24 KiB) in L1
    // and makes fewer passes over C than 256; nc = 512 makes the packed B
    // block 512 x 512 x 4 B = 1 MiB, half the L2; mc = 240 keeps a packed A
    // block (only packed when A is not row-major) in L2 next to it.
    t.f32.mc = 240;
    t.f32.kc = 512;
    t.f32.nc = 512;
    // f64: same bytes per block (B block 256 x 512 x 8 B = 1 MiB).
    t.f64.mc = 240;
    t.f64.kc = 256;
    t.f64.nc = 512;
    t.f32.read_a_in_place = t.f64.read_a_in_place = false;  // decided per call, see gemm_any
    t.f32.read_b_in_place = t.f64.read_b_in_place = false;
    t.f32.a_panel_outer = t.f64.a_panel_outer = true;  // measured ~5-10% faster than BLIS order
    // 2*64^3 flops: at 64^3 two threads already win (2.3 vs 3.6 us, warm pool).
    t.min_flops_for_threads = 2.0 * 64 * 64 * 64;
    t.read_a_in_place_max_n = 2 * kGemmNR_f32_avx512;
    t.read_b_in_place_max_m = 2 * kGemmMR_f32_avx512;
    t.force_split = 0;
    t.swap_skinny_n = true;
    return t;
  }();
  return tuning;
}

namespace {

template <class T>
using SerialGemmFn = void (*)(const GemmProblem<T>&, const GemmBlocking&);

// The serial implementation for the SIMD level in use, with the granularity
// the threading code splits on: MR rows, or one vector of `lanes` columns.
template <class T>
struct GemmImpl {
  SerialGemmFn<T> serial;
  int mr, lanes;
};

GemmImpl<float> select_impl(const float*) {
  switch (simd_level()) {
#if FT_CPU_X86
    case SimdLevel::AVX512: return {gemm_serial_f32_avx512, kGemmMR_f32_avx512, 16};
    case SimdLevel::AVX2: return {gemm_serial_f32_avx2, kGemmMR_f32_avx2, 8};
#endif
    default: break;
  }
  return {gemm_serial_f32_portable, kGemmMR_f32_portable, 4};
}

GemmImpl<double> select_impl(const double*) {
  switch (simd_level()) {
#if FT_CPU_X86
    case SimdLevel::AVX512: return {gemm_serial_f64_avx512, kGemmMR_f64_avx512, 8};
    case SimdLevel::AVX2: return {gemm_serial_f64_avx2, kGemmMR_f64_avx2, 4};
#endif
    default: break;
  }
  return {gemm_serial_f64_portable, kGemmMR_f64_portable, 2};
}

const GemmBlocking& blocking_for(const float*) { return gemm_tuning().f32; }
const GemmBlocking& blocking_for(const double*) { return gemm_tuning().f64; }

// C^T = B^T A^T: the same product with the roles of M and N exchanged.
template <class T>
GemmProblem<T> transposed_problem(const GemmProblem<T>& p) {
  GemmProblem<T> t = p;
  t.m = p.n;
  t.n = p.m;
  t.a = p.b;
  t.a_rs = p.b_cs;
  t.a_cs = p.b_rs;
  t.b = p.a;
  t.b_rs = p.a_cs;
  t.b_cs = p.a_rs;
  t.c_rs = p.c_cs;
  t.c_cs = p.c_rs;
  return t;
}

template <class T>
void zero_or_keep_c(const GemmProblem<T>& p) {
  if (p.accumulate) return;
  for (int64_t i = 0; i < p.m; ++i)
    for (int64_t j = 0; j < p.n; ++j) p.c[i * p.c_rs + j * p.c_cs] = T(0);
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <class T>
void gemm_any(GemmProblem<T> p) {
  if (p.m <= 0 || p.n <= 0) return;
  if (p.k <= 0) {
    zero_or_keep_c(p);
    return;
  }
  const GemmTuning& tuning = gemm_tuning();
  const GemmImpl<T> impl = select_impl(p.a);

  // The kernels vectorize along C's columns, so they want C's unit stride
  // there: a column-major C is done as C^T = B^T A^T. So is a result narrower
  // than one vector (N = 10: 6 of 16 lanes idle) when A has unit row stride
  // (A = H^T in the MLP's dW2 = H^T dO): then B^T A^T reads A^T = H in place
  // as its B operand and every lane is used.
  const bool c_col_major = p.c_cs != 1 && p.c_rs == 1;
  const bool skinny_n = tuning.swap_skinny_n && p.n < impl.lanes && p.m >= impl.lanes && p.a_rs == 1;
  if (c_col_major || skinny_n) p = transposed_problem(p);

  const GemmBlocking blocking = blocking_for(p.a);
  // Packing A costs a pass over M*K that is amortized over N/NR micro-tiles.
  // A row-major A is read in place at every size (measured: it is as fast as
  // the packed panel and saves the transpose); a column-major A only for a
  // narrow C (its k-major rows span many pages, so packing wins when reused).
  auto choose_blocking = [&](const GemmProblem<T>& part) {
    GemmBlocking b = blocking;
    b.read_a_in_place = b.read_a_in_place || part.a_cs == 1 ||
                        (part.a_rs == 1 && part.n <= tuning.read_a_in_place_max_n);
    // B is reused M/MR times: skip packing when that is about once.
    b.read_b_in_place = b.read_b_in_place || (part.b_cs == 1 && part.m <= tuning.read_b_in_place_max_m);
    return b;
  };

  const double flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
  const int threads = get_num_threads();
  if (threads <= 1 || flops < tuning.min_flops_for_threads || in_parallel_region()) {
    impl.serial(p, choose_blocking(p));
    return;
  }

  // Split C into one block per thread, either along M in units of MR rows or
  // along N in units of one vector of columns. Each thread runs the serial
  // algorithm on its block with its own packed panels, so a split along M
  // repacks all of B in every thread and a split along N all of A (unless
  // read in place). Pick the split whose largest block is estimated cheapest:
  //   cycles ~ M*ceil(N/lanes)*K / 2 (two FMA ports) + 0.5 per packed element
  //            + for an N split, ~128 per row of C per k block: both threads
  //              write into every row, and the line where their halves meet
  //              (and the prefetchers running past it) bounce between cores.
  // Measured on 2 cores: 256x256x10 (dO W2^T) 8.4 us split along M, 19 us
  // along N; 256x256x784 with A read in place 345 us along N (no repacking at
  // all), 364 us along M; 784x256x256 with A = X^T (packed) 337 us along M.
  auto make_part = [&](bool split_m, int64_t unit_begin, int64_t unit_end) {
    GemmProblem<T> part = p;
    if (split_m) {
      const int64_t row_begin = unit_begin * impl.mr;
      const int64_t row_end = unit_end * impl.mr < p.m ? unit_end * impl.mr : p.m;
      part.m = row_end - row_begin;
      part.a = p.a + row_begin * p.a_rs;
      part.c = p.c + row_begin * p.c_rs;
    } else {
      const int64_t col_begin = unit_begin * impl.lanes;
      const int64_t col_end = unit_end * impl.lanes < p.n ? unit_end * impl.lanes : p.n;
      part.n = col_end - col_begin;
      part.b = p.b + col_begin * p.b_cs;
      part.c = p.c + col_begin * p.c_cs;
    }
    return part;
  };
  auto units_of = [&](bool split_m) { return split_m ? ceil_div(p.m, impl.mr) : ceil_div(p.n, impl.lanes); };
  auto pieces_of = [&](bool split_m) {
    const int64_t units = units_of(split_m);
    return units < threads ? units : static_cast<int64_t>(threads);
  };
  auto estimated_cycles = [&](bool split_m) {
    const int64_t units = units_of(split_m), pieces = pieces_of(split_m);
    if (pieces < 2) return 1e300;
    const GemmProblem<T> largest = make_part(split_m, 0, ceil_div(units, pieces));
    const GemmBlocking b = choose_blocking(largest);
    const double m = static_cast<double>(largest.m), n = static_cast<double>(largest.n);
    const double k = static_cast<double>(largest.k);
    const double vectors = static_cast<double>(ceil_div(largest.n, impl.lanes));
    const double k_blocks = static_cast<double>(ceil_div(largest.k, b.kc));
    return m * vectors * k / 2 + (b.read_a_in_place ? 0 : 0.5 * m * k) + (b.read_b_in_place ? 0 : 0.5 * n * k) +
           (split_m ? 0 : 128 * m * k_blocks);
  };
  bool split_m = estimated_cycles(true) <= estimated_cycles(false);
  if (tuning.force_split == 1 && pieces_of(true) >= 2) split_m = true;
  if (tuning.force_split == 2 && pieces_of(false) >= 2) split_m = false;
  const int64_t units = units_of(split_m);
  const int64_t pieces = pieces_of(split_m);
  if (pieces < 2) {
    impl.serial(p, choose_blocking(p));
    return;
  }
  parallel_for(0, pieces, 1, [&](int64_t begin, int64_t end) {
    for (int64_t piece = begin; piece < end; ++piece) {
      const GemmProblem<T> part = make_part(split_m, units * piece / pieces, units * (piece + 1) / pieces);
      impl.serial(part, choose_blocking(part));
    }
  });
}

}  // namespace

void gemm_f32(int64_t M, int64_t N, int64_t K, const float* A, int64_t a_row_stride, int64_t a_col_stride,
              const float* B, int64_t b_row_stride, int64_t b_col_stride, float* C, int64_t c_row_stride,
              int64_t c_col_stride, bool accumulate) {
  gemm_any(GemmProblem<float>{M, N, K, A, a_row_stride, a_col_stride, B, b_row_stride, b_col_stride, C,
                              c_row_stride, c_col_stride, accumulate});
}

void gemm_f64(int64_t M, int64_t N, int64_t K, const double* A, int64_t a_row_stride, int64_t a_col_stride,
              const double* B, int64_t b_row_stride, int64_t b_col_stride, double* C, int64_t c_row_stride,
              int64_t c_col_stride, bool accumulate) {
  gemm_any(GemmProblem<double>{M, N, K, A, a_row_stride, a_col_stride, B, b_row_stride, b_col_stride, C,
                               c_row_stride, c_col_stride, accumulate});
}

}  // namespace ft::cpu
