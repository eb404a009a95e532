// AVX2 + FMA GEMM kernels. Compiled with -mavx2 -mfma and only called when
// simd_level() >= SimdLevel::AVX2 (the AVX-512 path is preferred above it).
// Everything here has internal linkage (unnamed namespace) except the two
// gemm_serial_*_avx2 entry points; see gemm_blocked.h for why.
//
// Micro-kernels (16 ymm registers):
//   f32: 6 x 16 = 6 rows x 2 ymm -> 12 accumulators + 2 B vectors + 1 broadcast
//   f64: 6 x 8  = 6 rows x 2 ymm (4 doubles each), same register use
#include <immintrin.h>

#include "gemm_blocked.h"
#include "gemm_internal.h"

namespace ft::cpu {
namespace {

// maskload/maskstore take a per-lane sign mask: lanes [0, n) of
// loadu(kLaneMaskSource + 8 - n) are all ones.
alignas(64) constexpr int32_t kLaneMaskSource[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

struct Avx2F32Ops {
  using T = float;
  using Vec = __m256;
  static constexpr int kLanes = 8;
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec load(const T* p) { return _mm256_loadu_ps(p); }
  static Vec broadcast(const T* p) { return _mm256_broadcast_ss(p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static void store(T* p, Vec v) { _mm256_storeu_ps(p, v); }
  // n in [1, 8]
  static __m256i tail_mask(int n) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kLaneMaskSource + 8 - n));
  }
  static Vec masked_load(__m256i m, const T* p) { return _mm256_maskload_ps(p, m); }
  static void masked_store(T* p, __m256i m, Vec v) { _mm256_maskstore_ps(p, m, v); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

struct Avx2F64Ops {
  using T = double;
  using Vec = __m256d;
  static constexpr int kLanes = 4;
  static Vec zero() { return _mm256_setzero_pd(); }
  static Vec load(const T* p) { return _mm256_loadu_pd(p); }
  static Vec broadcast(const T* p) { return _mm256_broadcast_sd(p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_pd(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm256_add_pd(a, b); }
  static void store(T* p, Vec v) { _mm256_storeu_pd(p, v); }
  // n in [1, 4]: 64-bit lanes from pairs of 32-bit mask entries.
  static __m256i tail_mask(int n) {
    return _mm256_cvtepi32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kLaneMaskSource + 8 - n)));
  }
  static Vec masked_load(__m256i m, const T* p) { return _mm256_maskload_pd(p, m); }
  static void masked_store(T* p, __m256i m, Vec v) { _mm256_maskstore_pd(p, m, v); }
  static void prefetch(const T* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
};

// Transposes an 8x8 float block in place (rows -> columns), 24 shuffles.
void transpose_8x8_f32_avx2(__m256 rows[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
  }
  for (int g = 0; g < 2; ++g) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // u[4g + c], 128-bit half h: rows 4g..4g+3 of column 4h + c.
  for (int c = 0; c < 4; ++c) {
    rows[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    rows[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
}

constexpr int kMR32 = kGemmMR_f32_avx2;
constexpr int kNR32 = kGemmNR_f32_avx2;

// A row-major: 6-row panels transposed 8 k at a time (rows 6, 7 zero).
void pack_a_f32_rowmajor_avx2(const float* a, int64_t lda, int64_t rows, int64_t depth, float* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += kMR32) {
    const int64_t panel_rows = gemm_min(kMR32, rows - i0);
    float* panel = dst + i0 * depth;
    const float* src = a + i0 * lda;
    const __m256i row_mask = Avx2F32Ops::tail_mask(kMR32);
    int64_t k0 = 0;
    for (; k0 + 8 <= depth; k0 += 8) {
      __m256 block[8];
      for (int r = 0; r < 8; ++r) block[r] = r < panel_rows ? _mm256_loadu_ps(src + r * lda + k0) : _mm256_setzero_ps();
      transpose_8x8_f32_avx2(block);
      for (int kk = 0; kk < 8; ++kk) _mm256_maskstore_ps(panel + (k0 + kk) * kMR32, row_mask, block[kk]);
    }
    for (; k0 < depth; ++k0)
      for (int64_t r = 0; r < panel_rows; ++r) panel[k0 * kMR32 + r] = src[r * lda + k0];
  }
}

void pack_b_f32_rowmajor_avx2(const float* b, int64_t ldb, int64_t depth, int64_t cols, float* dst) {
  for (int64_t j0 = 0; j0 < cols; j0 += kNR32) {
    const int64_t panel_cols = gemm_min(kNR32, cols - j0);
    float* panel = dst + j0 * depth;
    const float* src = b + j0;
    if (panel_cols == kNR32) {
      for (int64_t k = 0; k < depth; ++k) {
        _mm256_storeu_ps(panel + k * kNR32, _mm256_loadu_ps(src + k * ldb));
        _mm256_storeu_ps(panel + k * kNR32 + 8, _mm256_loadu_ps(src + k * ldb + 8));
      }
    } else {
      pack_b_portable<float, kNR32>(src, ldb, 1, depth, panel_cols, panel);
    }
  }
}

struct Avx2F32Kernels {
  using T = float;
  static constexpr int kMR = kMR32;
  static constexpr int kNR = kNR32;
  static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
    if (cs == 1) pack_a_f32_rowmajor_avx2(a, rs, rows, depth, dst);
    else pack_a_portable<T, kMR>(a, rs, cs, rows, depth, dst);
  }
  static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
    if (cs == 1) pack_b_f32_rowmajor_avx2(b, rs, depth, cols, dst);
    else pack_b_portable<T, kNR>(b, rs, cs, depth, cols, dst);
  }
  static void micro_tile(const MicroTileArgs<T>& t) { kTable.run(t); }
  static constexpr MicroKernelTable<Avx2F32Ops, kMR, kNR> kTable{};
};

struct Avx2F64Kernels {
  using T = double;
  static constexpr int kMR = kGemmMR_f64_avx2;
  static constexpr int kNR = kGemmNR_f64_avx2;
  static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
    pack_a_portable<T, kMR>(a, rs, cs, rows, depth, dst);
  }
  static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
    pack_b_portable<T, kNR>(b, rs, cs, depth, cols, dst);
  }
  static void micro_tile(const MicroTileArgs<T>& t) { kTable.run(t); }
  static constexpr MicroKernelTable<Avx2F64Ops, kMR, kNR> kTable{};
};

}  // namespace

void gemm_serial_f32_avx2(const GemmProblem<float>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<Avx2F32Kernels>(p, blocking);
}

void gemm_serial_f64_avx2(const GemmProblem<double>& p, const GemmBlocking& blocking) {
  gemm_blocked_serial<Avx2F64Kernels>(p, blocking);
}

}  // namespace ft::cpu
