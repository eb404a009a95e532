// The BLIS-style blocked GEMM loop nest, shared by the portable, AVX2 and
// AVX-512 implementations. Each of gemm.cpp, gemm_avx2.cpp and
// gemm_avx512.cpp includes this file once and instantiates
// gemm_blocked_serial<Kernels> with its own kernel set.
//
// ODR safety: everything below is in an unnamed namespace (internal linkage),
// so each including file gets a private copy compiled with its own SIMD
// flags; the linker can never substitute the AVX-512 copy into the AVX2 or
// portable path. For the same reason this file calls no std:: function
// templates (those have external linkage): only its own helpers below.
//
// Loop nest (C is M x N, vectorized along N; sizes are the f32 AVX-512 defaults):
//   for jc in N step nc (512):             B block kc x nc (1 MiB) packed, lives in L2
//     for pc in K step kc (512):
//       pack B[pc:pc+kc, jc:jc+nc] into NR-wide panels (zero padded)
//       for ic in M step mc:
//         pack A[ic:ic+mc, pc:pc+kc] into MR-tall panels
//         for ir in mc step MR:            A micro-panel MR x kc (24 KiB) stays in L1
//           for jr in nc step NR:          B micro-panels kc x NR stream from L2
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] (+)= A panel * B panel
// (GemmBlocking::a_panel_outer = false swaps the ir / jr loops: BLIS order.)
// Either operand may instead be read in place (no packing) when it has a unit
// stride; see gemm_blocked_serial. C with a non-unit column stride goes
// through a small tile buffer.
//
// The Kernels type provides:
//   using T; static constexpr int kMR, kNR;
//   static void pack_a(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst);
//   static void pack_b(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst);
//   static void micro_tile(const MicroTileArgs<T>&);
#pragma once

#include <cstdint>
#include <cstring>

#include "gemm_internal.h"

namespace ft::cpu {
namespace {

inline int64_t gemm_min(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t gemm_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t gemm_round_up(int64_t a, int64_t b) { return gemm_ceil_div(a, b) * b; }

// Where the micro-kernel reads A from.
enum class APanelLayout {
  Packed,    // packed panel: element (r, k) at a[k * kMR + r]
  RowMajor,  // A in place, unit column stride: a[r * a_stride + k]
  ColMajor,  // A in place, unit row stride:    a[k * a_stride + r]
};

// Where the micro-kernel reads B from.
enum class BPanelLayout {
  Packed,   // packed panel: element (k, j) at b[k * kNR + j], zero padded past cols
  InPlace,  // B in place, unit column stride: b[k * b_stride + j]; the last
            // vector is loaded masked so nothing past column `cols` is touched
};

// One micro-tile: C[0:rows, 0:cols] (+)= A[0:rows, 0:depth] * B[0:depth, 0:cols],
// rows <= kMR, cols <= kNR; C has unit column stride and row stride ldc.
template <class T>
struct MicroTileArgs {
  int64_t depth;
  const T* a;
  APanelLayout a_layout;
  int64_t a_stride;  // unused for Packed
  const T* b;
  BPanelLayout b_layout;
  int64_t b_stride;  // unused for Packed
  T* c;
  int64_t ldc;
  int rows, cols;
  bool accumulate;
};

// Portable packing, used for layouts the ISA files do not special-case.
// A panel p (rows p*MR .. p*MR+MR) is stored k-major: dst[p*MR*depth + k*MR + r].
// Rows past `rows` in the last panel are left unwritten: kernels never read them.
template <class T, int MR>
void pack_a_portable(const T* a, int64_t rs, int64_t cs, int64_t rows, int64_t depth, T* dst) {
  for (int64_t i0 = 0; i0 < rows; i0 += MR) {
    const int64_t panel_rows = gemm_min(MR, rows - i0);
    T* panel = dst + i0 * depth;
    const T* src = a + i0 * rs;
    if (cs <= rs) {  // walk along k (the smaller stride) in the inner loop
      for (int64_t r = 0; r < panel_rows; ++r)
        for (int64_t k = 0; k < depth; ++k) panel[k * MR + r] = src[r * rs + k * cs];
    } else {
      for (int64_t k = 0; k < depth; ++k)
        for (int64_t r = 0; r < panel_rows; ++r) panel[k * MR + r] = src[r * rs + k * cs];
    }
  }
}

// B panel q (columns q*NR .. q*NR+NR) is stored k-major and zero padded to NR
// columns: dst[q*NR*depth + k*NR + j].
template <class T, int NR>
void pack_b_portable(const T* b, int64_t rs, int64_t cs, int64_t depth, int64_t cols, T* dst) {
  for (int64_t j0 = 0; j0 < cols; j0 += NR) {
    const int64_t panel_cols = gemm_min(NR, cols - j0);
    T* panel = dst + j0 * depth;
    const T* src = b + j0 * cs;
    if (panel_cols < NR) {
      for (int64_t k = 0; k < depth; ++k)
        for (int64_t j = panel_cols; j < NR; ++j) panel[k * NR + j] = T(0);
    }
    if (cs <= rs) {
      for (int64_t k = 0; k < depth; ++k)
        for (int64_t j = 0; j < panel_cols; ++j) panel[k * NR + j] = src[k * rs + j * cs];
    } else {
      for (int64_t j = 0; j < panel_cols; ++j)
        for (int64_t k = 0; k < depth; ++k) panel[k * NR + j] = src[k * rs + j * cs];
    }
  }
}

// C[0:rows, 0:cols] (+)= tile (row stride ld) for a C with arbitrary strides.
template <class T>
void add_tile_to_strided_c(const T* tile, int64_t ld, int rows, int cols, T* c, int64_t c_rs,
                           int64_t c_cs, bool accumulate) {
  for (int r = 0; r < rows; ++r) {
    T* c_row = c + r * c_rs;
    const T* t_row = tile + r * ld;
    if (accumulate) {
      for (int j = 0; j < cols; ++j) c_row[j * c_cs] += t_row[j];
    } else {
      for (int j = 0; j < cols; ++j) c_row[j * c_cs] = t_row[j];
    }
  }
}

template <class T>
using MicroKernelFn = void (*)(const MicroTileArgs<T>&);

// The register-blocked micro-kernel, written once over a vector-ops type V
// (AVX-512, AVX2 or 16-byte portable vectors; see the including files):
//   acc[ROWS][VECS] (ROWS <= MR rows, VECS vectors of V::kLanes columns)
//   for k: load VECS vectors of the B panel row k, and for each row r
//          broadcast A(r, k) and FMA it into acc[r][*].
// ROWS and VECS are template parameters so edge tiles get their own fully
// unrolled kernel instead of wasted FMAs; the last vector's store is masked.
template <class V, int MR, int NR, int ROWS, int VECS, APanelLayout A_LAYOUT, BPanelLayout B_LAYOUT>
void microkernel_broadcast_a(const MicroTileArgs<typename V::T>& t) {
  using T = typename V::T;
  using Vec = typename V::Vec;
  constexpr int L = V::kLanes;
  static_assert(ROWS >= 1 && ROWS <= MR && VECS >= 1 && VECS * L <= NR, "tile shape");

  Vec acc[ROWS][VECS];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < VECS; ++v) acc[r][v] = V::zero();
  // Start pulling the C tile into L1 now; it is needed only after the k loop.
  // Each row spans VECS*L elements: prefetch its first and last cache line.
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r) {
    V::prefetch(t.c + r * t.ldc);
    V::prefetch(t.c + r * t.ldc + VECS * L - 1);
  }

  const T* a = t.a;
  const T* b = t.b;
  const int64_t a_stride = t.a_stride;
  const int64_t b_stride = B_LAYOUT == BPanelLayout::Packed ? NR : t.b_stride;
  const int64_t depth = t.depth;
  const auto tail_mask = V::tail_mask(t.cols - (VECS - 1) * L);
  for (int64_t k = 0; k < depth; ++k) {
    Vec bv[VECS];
#pragma GCC unroll 4
    for (int v = 0; v < VECS; ++v) {
      if (B_LAYOUT == BPanelLayout::InPlace && v == VECS - 1)
        bv[v] = V::masked_load(tail_mask, b + k * b_stride + v * L);
      else
        bv[v] = V::load(b + k * b_stride + v * L);
    }
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r) {
      const T* a_rk = A_LAYOUT == APanelLayout::Packed     ? a + k * MR + r
                      : A_LAYOUT == APanelLayout::RowMajor ? a + r * a_stride + k
                                                           : a + k * a_stride + r;
      const Vec av = V::broadcast(a_rk);
#pragma GCC unroll 4
      for (int v = 0; v < VECS; ++v) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
    }
  }

  if (t.accumulate) {
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r) {
      T* c = t.c + r * t.ldc;
#pragma GCC unroll 4
      for (int v = 0; v < VECS - 1; ++v) V::store(c + v * L, V::add(acc[r][v], V::load(c + v * L)));
      V::masked_store(c + (VECS - 1) * L, tail_mask,
                      V::add(acc[r][VECS - 1], V::masked_load(tail_mask, c + (VECS - 1) * L)));
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < ROWS; ++r) {
      T* c = t.c + r * t.ldc;
#pragma GCC unroll 4
      for (int v = 0; v < VECS - 1; ++v) V::store(c + v * L, acc[r][v]);
      V::masked_store(c + (VECS - 1) * L, tail_mask, acc[r][VECS - 1]);
    }
  }
}

// All micro-kernel instantiations for one (V, MR, NR), indexed by
// [A layout][B layout][rows - 1][vectors - 1]; built at compile time.
template <class V, int MR, int NR>
struct MicroKernelTable {
  static constexpr int kVecs = NR / V::kLanes;
  static constexpr int kALayouts = 3;
  static constexpr int kBLayouts = 2;
  static constexpr int kCount = kALayouts * kBLayouts * MR * kVecs;
  MicroKernelFn<typename V::T> fn[kALayouts][kBLayouts][MR][kVecs];

  constexpr MicroKernelTable() : fn{} { fill<0>(); }

  template <int I>
  constexpr void fill() {
    if constexpr (I < kCount) {
      constexpr int a_layout = I / (kBLayouts * MR * kVecs);
      constexpr int b_layout = I / (MR * kVecs) % kBLayouts;
      constexpr int rows = I / kVecs % MR + 1;
      constexpr int vecs = I % kVecs + 1;
      fn[a_layout][b_layout][rows - 1][vecs - 1] =
          &microkernel_broadcast_a<V, MR, NR, rows, vecs, static_cast<APanelLayout>(a_layout),
                                   static_cast<BPanelLayout>(b_layout)>;
      fill<I + 1>();
    }
  }

  void run(const MicroTileArgs<typename V::T>& t) const {
    const int vecs = (t.cols + V::kLanes - 1) / V::kLanes;
    fn[static_cast<int>(t.a_layout)][static_cast<int>(t.b_layout)][t.rows - 1][vecs - 1](t);
  }
};

// Reading A (or B) in place skips packing it, which pays when the packed copy
// would be used only a few times: A is reused N/NR times, B M/MR times, while
// packing costs a pass over the operand. The caller chooses (GemmBlocking);
// only operands with a unit stride can be read in place.
template <class Kernels>
void gemm_blocked_serial(const GemmProblem<typename Kernels::T>& p, const GemmBlocking& blocking) {
  using T = typename Kernels::T;
  constexpr int MR = Kernels::kMR;
  constexpr int NR = Kernels::kNR;
  const int64_t M = p.m, N = p.n, K = p.k;
  if (M <= 0 || N <= 0 || K <= 0) return;  // K == 0 is handled by the caller

  const bool read_a_in_place = blocking.read_a_in_place && (p.a_cs == 1 || p.a_rs == 1);
  const bool read_b_in_place = blocking.read_b_in_place && p.b_cs == 1;
  const APanelLayout in_place_a_layout = p.a_cs == 1 ? APanelLayout::RowMajor : APanelLayout::ColMajor;
  const int64_t in_place_a_stride = p.a_cs == 1 ? p.a_rs : p.a_cs;

  // Balanced blocks: K = 784 with kc = 512 gives two blocks of 392, not 512 + 272.
  const int64_t k_blocks = gemm_ceil_div(K, blocking.kc);
  const int64_t kc_max = gemm_ceil_div(K, k_blocks);
  const int64_t m_blocks = gemm_ceil_div(M, blocking.mc);
  const int64_t mc_max = gemm_round_up(gemm_ceil_div(M, m_blocks), MR);
  const int64_t n_blocks = gemm_ceil_div(N, blocking.nc);
  const int64_t nc_max = gemm_round_up(gemm_ceil_div(N, n_blocks), NR);

  // One scratch allocation per thread: [packed B block | packed A block | C tile].
  const size_t b_pack_elems = read_b_in_place ? 0 : static_cast<size_t>(gemm_round_up(nc_max * kc_max, 16));
  const size_t a_pack_elems = read_a_in_place ? 0 : static_cast<size_t>(gemm_round_up(mc_max * kc_max, 16));
  const size_t tile_elems = MR * NR;
  T* scratch = static_cast<T*>(gemm_thread_scratch((b_pack_elems + a_pack_elems + tile_elems) * sizeof(T)));
  T* b_pack = scratch;
  T* a_pack = scratch + b_pack_elems;
  T* c_tile = a_pack + a_pack_elems;
  const bool c_unit_col_stride = p.c_cs == 1;

  for (int64_t jc = 0; jc < N; jc += nc_max) {
    const int64_t nc = gemm_min(nc_max, N - jc);
    for (int64_t pc = 0; pc < K; pc += kc_max) {
      const int64_t kc = gemm_min(kc_max, K - pc);
      const bool accumulate = p.accumulate || pc > 0;
      const T* b_block = p.b + pc * p.b_rs + jc * p.b_cs;
      if (!read_b_in_place) Kernels::pack_b(b_block, p.b_rs, p.b_cs, kc, nc, b_pack);

      for (int64_t ic = 0; ic < M; ic += mc_max) {
        const int64_t mc = gemm_min(mc_max, M - ic);
        const T* a_block = p.a + ic * p.a_rs + pc * p.a_cs;
        if (!read_a_in_place) Kernels::pack_a(a_block, p.a_rs, p.a_cs, mc, kc, a_pack);

        auto run_tile = [&](int64_t ir, int64_t jr) {
          MicroTileArgs<T> tile;
          tile.depth = kc;
          if (read_a_in_place) {
            tile.a = a_block + ir * p.a_rs;
            tile.a_layout = in_place_a_layout;
            tile.a_stride = in_place_a_stride;
          } else {
            tile.a = a_pack + ir * kc;
            tile.a_layout = APanelLayout::Packed;
            tile.a_stride = MR;
          }
          if (read_b_in_place) {
            tile.b = b_block + jr;
            tile.b_layout = BPanelLayout::InPlace;
            tile.b_stride = p.b_rs;
          } else {
            tile.b = b_pack + jr * kc;
            tile.b_layout = BPanelLayout::Packed;
            tile.b_stride = NR;
          }
          tile.rows = static_cast<int>(gemm_min(MR, mc - ir));
          tile.cols = static_cast<int>(gemm_min(NR, nc - jr));
          T* c = p.c + (ic + ir) * p.c_rs + (jc + jr) * p.c_cs;
          if (c_unit_col_stride) {
            tile.c = c;
            tile.ldc = p.c_rs;
            tile.accumulate = accumulate;
            Kernels::micro_tile(tile);
          } else {
            tile.c = c_tile;
            tile.ldc = NR;
            tile.accumulate = false;
            Kernels::micro_tile(tile);
            add_tile_to_strided_c(c_tile, NR, tile.rows, tile.cols, c, p.c_rs, p.c_cs, accumulate);
          }
        };
        if (blocking.a_panel_outer) {
          for (int64_t ir = 0; ir < mc; ir += MR)
            for (int64_t jr = 0; jr < nc; jr += NR) run_tile(ir, jr);
        } else {
          for (int64_t jr = 0; jr < nc; jr += NR)
            for (int64_t ir = 0; ir < mc; ir += MR) run_tile(ir, jr);
        }
      }
    }
  }
}

}  // namespace
}  // namespace ft::cpu
