// AVX-512 GEMM kernels. Compiled with
//   -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
// and only called when simd_level() == SimdLevel::AVX512.
// Everything here has internal linkage (unnamed namespace) except the two
// gemm_serial_*_avx512 entry points; see gemm_blocked.h for why.
//
// Micro-kernels (register blocking, 32 zmm registers):
//   f32: 12 x 32  = 12 rows x 2 zmm -> 24 accumulators + 2 B vectors + 1 broadcast
//   f64: 12 x 16  = 12 rows x 2 zmm (8 doubles each), same register use
// Per k step: 2 vector loads of B, 12 broadcasts of A, 24 FMAs (2 FMA ports
// -> 12 cycles, loads well under the 2-3 per cycle the core can issue).
// GCC 12's AVX-512 headers trip -Wuninitialized on their own
// _mm512_undefined_*() helpers (GCC bug 105593, fixed in GCC 13); the pragma
// must precede the include because the warning points into the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "gemm_blocked.h"
#include "gemm_internal.h"

namespace ft::cpu {
namespace {

// ---------------------------------------------------------------------------
// Vector operations the generic micro-kernel is written against.

struct Avx512F32Ops {
  using T = float;
  using Vec = __m512;
  static constexpr int kLanes = 16;
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec load(const T* p) { return _mm512_loadu_ps(p); }
  static Vec broadcast(const T* p) { return _mm512_set1_ps(*p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static void store(T* p, Vec v) { _mm512_storeu_ps(p, v); }
  // n in [1, 16]
  static __mmask16 tail_mask(int n) { return static_cast<__mmask16>((1u << n) - 1u); }
  static Vec masked_load(__mmask16 m, const T* p) { return _mm512_maskz_loadu_ps(m, p); }
  static void masked_store(T* p, __mmask16 m, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

struct Avx512F64Ops {
  using T = double;
  using Vec = __m512d;
  static constexpr int kLanes = 8;
  static Vec zero() { return _mm512_setzero_pd(); }
  static Vec load(const T* p) { return _mm512_loadu_pd(p); }
  static Vec broadcast(const T* p) { return _mm512_set1_pd(*p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_pd(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm512_add_pd(a, b); }
  static void store(T* p, Vec v) { _mm512_storeu_pd(p, v); }
  // n in [1, 8]
  static __mmask8 tail_mask(int n) { return static_cast<__mmask8>((1u << n) - 1u); }
  static Vec masked_load(__mmask8 m, const T* p) { return _mm512_maskz_loadu_pd(m, p); }
  static void masked_store(T* p, __mmask8 m, Vec v) { _mm512_mask_storeu_pd(p, m, v); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

// ---------------------------------------------------------------------------
// In-register transposes used by the packing routines.

// Transposes a 16x16 float block: on entry rows[i] holds row i, on exit
// rows[j] holds column j. 4 shuffle stages x 16 = 64 shuffles.
// Always inlined so that the block stays in registers.
__attribute__((always_inline)) inline void transpose_16x16_f32_avx512(__m512 rows[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  // u[4g + c], 128-bit lane j: rows 4g..4g+3 of column 4j + c.
  __m512 u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512d t0 = _mm512_castps_pd(t[4 * g]), t1 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * g + 2]), t3 = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(t0, t2));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(t0, t2));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(t1, t3));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(t1, t3));
  }
  // Gather lane j of u[c], u[4+c], u[8+c], u[12+c] into column 4j + c.
  for (int c = 0; c < 4; ++c) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], _MM_SHUFFLE(3, 1, 3, 1));
    const __m512 y0 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(2, 0, 2, 0));
    const __m512 y1 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], _MM_SHUFFLE(3, 1, 3, 1));
    rows[0 + c] = _mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(2, 0, 2, 0));
    rows[8 + c] = _mm512_shuffle_f32x4(x0, y0, _MM_SHUFFLE(3, 1, 3, 1));
    rows[4 + c] = _mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(2, 0, 2, 0));
    rows[12 + c] = _mm512_shuffle_f32x4(x1, y1, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

// Transposes an 8x8 double block in place (rows -> columns), 24 shuffles.
__attribute__((always_inline)) inline void transpose_8x8_f64_avx512(__m512d rows[8]) {
  __m512d t[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm512_unpacklo_pd(rows[2 * i], rows[2 * i + 1]);      // r0[2j] r1[2j]
    t[2 * i + 1] = _mm512_unpackhi_pd(rows[2 * i], rows[2 * i + 1]);  // r0[2j+1] r1[2j+1]
  }
  // u[2g + c] lane j (128-bit): rows 2g, 2g+1 of column 2j + c; g = 0..3.
  // Combine pairs of row groups: lanes (j) from groups (0,1) and (2,3).
  __m512d x[8];
  for (int c = 0; c < 2; ++c) {
    // groups 0 and 1 -> lanes {g0.l0, g0.l2, g1.l0, g1.l2} / {g0.l1, g0.l3, g1.l1, g1.l3}
    x[c] = _mm512_shuffle_f64x2(t[c], t[2 + c], _MM_SHUFFLE(2, 0, 2, 0));
    x[2 + c] = _mm512_shuffle_f64x2(t[c], t[2 + c], _MM_SHUFFLE(3, 1, 3, 1));
    x[4 + c] = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], _MM_SHUFFLE(2, 0, 2, 0));
    x[6 + c] = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], _MM_SHUFFLE(3, 1, 3, 1));
  }
  for (int c = 0; c < 2; ++c) {
    rows[0 + c] = _mm512_shuffle_f64x2(x[c], x[4 + c], _MM_SHUFFLE(2, 0, 2, 0));      // j = 0
    rows[4 + c] = _mm512_shuffle_f64x2(x[c], x[4 + c], _MM_SHUFFLE(3, 1, 3, 1));      // j = 2
    rows[2 + c] = _mm512_shuffle_f64x2(x[2 + c], x[6 + c], _MM_SHUFFLE(2, 0, 2, 0));  // j = 1
    rows[6 + c] = _mm512_shuffle_f64x2(x[2 + c], x[6 + c], _MM_SHUFFLE(3, 1, 3, 1));  // j = 3
  }
}

// ---------------------------------------------------------------------------
// f32 packing (MR = 12, NR = 32).

constexpr int kMR32 = kGemmMR_f32_avx512;
constexpr int kNR32 = kGemmNR_f32_avx512;

// A row-major (unit column stride): each 12-row panel is transposed 16 k at a
// time through a 16x16 register transpose (rows 12..15 are zero).
void pack_a_f32_rowmajor_avx512(const float* a, int64_t lda, int64_t rows, int64_t depth, float* dst) {
  constexpr __mmask16 kPanelRows = (1u << kMR32) - 1u;
  for (int64_t i0 = 0; i0 < rows; i0 += kMR32) {
    const int64_t panel_rows = gemm_min(kMR32, rows - i0);
    float* panel = dst + i0 * depth;
    const float* src = a + i0 * lda;
    int64_t k0 = 0;
    if (panel_rows == kMR32) {
      // Full panels, full 16-wide k blocks: unconditional loads, stores.
      for (; k0 + 16 <= depth; k0 += 16) {
        __m512 block[16];
        for (int r = 0; r < kMR32; ++r) block[r] = _mm512_loadu_ps(src + r * lda + k0);
        for (int r = kMR32; r < 16; ++r) block[r] = _mm512_setzero_ps();
        transpose_16x16_f32_avx512(block);
        for (int kk = 0; kk < 16; ++kk) _mm512_mask_storeu_ps(panel + (k0 + kk) * kMR32, kPanelRows, block[kk]);
      }
    }
    for (; k0 < depth; k0 += 16) {
      const int64_t kn = gemm_min(16, depth - k0);
      const __mmask16 k_mask = static_cast<__mmask16>((1u << kn) - 1u);
      __m512 block[16];
      for (int r = 0; r < 16; ++r)
        block[r] = r < panel_rows ? _mm512_maskz_loadu_ps(k_mask, src + r * lda + k0) : _mm512_setzero_ps();
      transpose_16x16_f32_avx512(block);
      for (int64_t kk = 0; kk < kn; ++kk) _mm512_mask_storeu_ps(panel + (k0 + kk) * kMR32, kPanelRows, block[kk]);
    }
  }
}

// A column-major (unit row stride): 12 contiguous values per k.
void pack_a_f32_colmajor_avx512(const float* a, int64_t lda, int64_t rows, int64_t depth, float* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += kMR32) {
    const int64_t panel_rows = gemm_min(kMR32, rows - i0);
    const __mmask16 row_mask = static_cast<__mmask16>((1u << panel_rows) - 1u);
    float* panel = dst + i0 * depth;
    const float* src = a + i0;
    for (int64_t k = 0; k < depth; ++k)
      _mm512_mask_storeu_ps(panel + k * kMR32, row_mask, _mm512_maskz_loadu_ps(row_mask, src + k * lda));
  }
}

// B row-major (unit column stride): 32 contiguous values per k, zero padded.
// k is the outer loop so that the source is read row by row, sequentially
// (reading one 32-wide panel at a time touches a new page every k).
void pack_b_f32_rowmajor_avx512(const float* b, int64_t ldb, int64_t depth, int64_t cols, float* dst) {
  const int64_t full_panels = cols / kNR32;
  const int64_t tail_cols = cols - full_panels * kNR32;
  const __mmask16 m0 = static_cast<__mmask16>(tail_cols >= 16 ? 0xFFFFu : (1u << tail_cols) - 1u);
  const __mmask16 m1 = static_cast<__mmask16>(tail_cols <= 16 ? 0u : (1u << (tail_cols - 16)) - 1u);
  const int64_t panel_stride = kNR32 * depth;
  for (int64_t k = 0; k < depth; ++k) {
    const float* src = b + k * ldb;
    float* out = dst + k * kNR32;
    for (int64_t q = 0; q < full_panels; ++q) {
      _mm512_storeu_ps(out + q * panel_stride, _mm512_loadu_ps(src + q * kNR32));
      _mm512_storeu_ps(out + q * panel_stride + 16, _mm512_loadu_ps(src + q * kNR32 + 16));
    }
    if (tail_cols > 0) {
      const int64_t q = full_panels;
      _mm512_storeu_ps(out + q * panel_stride, _mm512_maskz_loadu_ps(m0, src + q * kNR32));
      _mm512_storeu_ps(out + q * panel_stride + 16, _mm512_maskz_loadu_ps(m1, src + q * kNR32 + 16));
    }
  }
}

// B column-major (unit row stride, e.g. W^T of a row-major W): transpose
// 16 columns x 16 k at a time.
void pack_b_f32_colmajor_avx512(const float* b, int64_t ldb, int64_t depth, int64_t cols, float* dst) {
  for (int64_t j0 = 0; j0 < cols; j0 += kNR32) {
    const int64_t panel_cols = gemm_min(kNR32, cols - j0);
    float* panel = dst + j0 * depth;
    for (int half = 0; half < 2; ++half) {
      const int64_t half_cols = gemm_min(16, panel_cols - 16 * half);  // may be <= 0
      const float* src = b + (j0 + 16 * half) * ldb;
      for (int64_t k0 = 0; k0 < depth; k0 += 16) {
        const int64_t kn = gemm_min(16, depth - k0);
        const __mmask16 k_mask = static_cast<__mmask16>((1u << kn) - 1u);
        __m512 block[16];
        for (int j = 0; j < 16; ++j)
          block[j] = j < half_cols ? _mm512_maskz_loadu_ps(k_mask, src + j * ldb + k0) : _mm512_setzero_ps();
        transpose_16x16_f32_avx512(block);
        for (int64_t kk = 0; kk < kn; ++kk) _mm512_storeu_ps(panel + (k0 + kk) * kNR32 + 16 * half, block[kk]);
      }
    }
  }
}

struct Avx512F32Kernels {
  using T = float;
  static constexpr int kMR = kMR32;
  static constexpr int kNR = kNR32;
  static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
    if (cs == 1) pack_a_f32_rowmajor_avx512(a, rs, rows, depth, dst);
    else if (rs == 1) pack_a_f32_colmajor_avx512(a, cs, rows, depth, dst);
    else pack_a_portable<T, kMR>(a, rs, cs, rows, depth, dst);
  }
  static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
    if (cs == 1) pack_b_f32_rowmajor_avx512(b, rs, depth, cols, dst);
    else if (rs == 1) pack_b_f32_colmajor_avx512(b, cs, depth, cols, dst);
    else pack_b_portable<T, kNR>(b, rs, cs, depth, cols, dst);
  }
  static void micro_tile(const MicroTileArgs<T>& t) { kTable.run(t); }
  static constexpr MicroKernelTable<Avx512F32Ops, kMR, kNR> kTable{};
};

// ---------------------------------------------------------------------------
// f64 packing (MR = 12, NR = 16).

constexpr int kMR64 = kGemmMR_f64_avx512;
constexpr int kNR64 = kGemmNR_f64_avx512;

// A row-major: 12-row panels as an 8-row and a 4-row group, each transposed
// 8 k at a time.
void pack_a_f64_rowmajor_avx512(const double* a, int64_t lda, int64_t rows, int64_t depth, double* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += kMR64) {
    const int64_t panel_rows = gemm_min(kMR64, rows - i0);
    double* panel = dst + i0 * depth;
    for (int group = 0; group < 2; ++group) {
      const int64_t group_rows = gemm_min(8, panel_rows - 8 * group);  // may be <= 0
      if (group_rows <= 0) break;
      const __mmask8 store_mask = group == 0 ? 0xFF : 0x0F;
      const double* src = a + (i0 + 8 * group) * lda;
      for (int64_t k0 = 0; k0 < depth; k0 += 8) {
        const int64_t kn = gemm_min(8, depth - k0);
        const __mmask8 k_mask = static_cast<__mmask8>((1u << kn) - 1u);
        __m512d block[8];
        for (int r = 0; r < 8; ++r)
          block[r] = r < group_rows ? _mm512_maskz_loadu_pd(k_mask, src + r * lda + k0) : _mm512_setzero_pd();
        transpose_8x8_f64_avx512(block);
        for (int64_t kk = 0; kk < kn; ++kk)
          _mm512_mask_storeu_pd(panel + (k0 + kk) * kMR64 + 8 * group, store_mask, block[kk]);
      }
    }
  }
}

void pack_b_f64_rowmajor_avx512(const double* b, int64_t ldb, int64_t depth, int64_t cols, double* dst) {
  for (int64_t j0 = 0; j0 < cols; j0 += kNR64) {
    const int64_t panel_cols = gemm_min(kNR64, cols - j0);
    double* panel = dst + j0 * depth;
    const double* src = b + j0;
    const __mmask8 m0 = static_cast<__mmask8>(panel_cols >= 8 ? 0xFFu : (1u << panel_cols) - 1u);
    const __mmask8 m1 = static_cast<__mmask8>(panel_cols <= 8 ? 0u : (1u << (panel_cols - 8)) - 1u);
    for (int64_t k = 0; k < depth; ++k) {
      _mm512_storeu_pd(panel + k * kNR64, _mm512_maskz_loadu_pd(m0, src + k * ldb));
      _mm512_storeu_pd(panel + k * kNR64 + 8, _mm512_maskz_loadu_pd(m1, src + k * ldb + 8));
    }
  }
}

void pack_b_f64_colmajor_avx512(const double* b, int64_t ldb, int64_t depth, int64_t cols, double* dst) {
  for (int64_t j0 = 0; j0 < cols; j0 += kNR64) {
    const int64_t panel_cols = gemm_min(kNR64, cols - j0);
    double* panel = dst + j0 * depth;
    for (int half = 0; half < 2; ++half) {
      const int64_t half_cols = gemm_min(8, panel_cols - 8 * half);
      const double* src = b + (j0 + 8 * half) * ldb;
      for (int64_t k0 = 0; k0 < depth; k0 += 8) {
        const int64_t kn = gemm_min(8, depth - k0);
        const __mmask8 k_mask = static_cast<__mmask8>((1u << kn) - 1u);
        __m512d block[8];
        for (int j = 0; j < 8; ++j)
          block[j] = j < half_cols ? _mm512_maskz_loadu_pd(k_mask, src + j * ldb + k0) : _mm512_setzero_pd();
        transpose_8x8_f64_avx512(block);
        for (int64_t kk = 0; kk < kn; ++kk) _mm512_storeu_pd(panel + (k0 + kk) * kNR64 + 8 * half, block[kk]);
      }
    }
  }
}

struct Avx512F64Kernels {
  using T = double;
  static constexpr int kMR = kMR64;
  static constexpr int kNR = kNR64;
  static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
    if (cs == 1) pack_a_f64_rowmajor_avx512(a, rs, rows, depth, dst);
    else pack_a_portable<T, kMR>(a, rs, cs, rows, depth, dst);
  }
  static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
    if (cs == 1) pack_b_f64_rowmajor_avx512(b, rs, depth, cols, dst);
    else if (rs == 1) pack_b_f64_colmajor_avx512(b, cs, depth, cols, dst);
    else pack_b_portable<T, kNR>(b, rs, cs, depth, cols, dst);
  }
  static void micro_tile(const MicroTileArgs<T>& t) { kTable.run(t); }
  static constexpr MicroKernelTable<Avx512F64Ops, kMR, kNR> kTable{};
};

}  // namespace

void gemm_serial_f32_avx512(const GemmProblem<float>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<Avx512F32Kernels>(p, blocking);
}

void gemm_serial_f64_avx512(const GemmProblem<double>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<Avx512F64Kernels>(p, blocking);
}

}  // namespace ft::cpu
