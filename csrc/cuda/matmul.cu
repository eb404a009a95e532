// CUDA matmul: out (B, M, N) (+)= a (B, M, K) @ b (B, K, N), any strides
// (batch stride 0 for a broadcast operand).
//
//   float32  gemm_tiled_kernel: 256 threads compute a (16 TM) x (16 TN) tile
//            of C. Each step stages a BK-deep slice of A and B in shared
//            memory (k-major: S[k][m], S[k][n]) and every thread accumulates a
//            TM x TN block in registers from float4 reads of the slice (2-D
//            register blocking). Global loads are float4 when the operand is
//            contiguous along m/n or along k and 16-byte aligned, and double
//            buffered: the next slice is loaded into registers while the
//            current one is multiplied, then written to the other shared
//            buffer - one __syncthreads per slice. A block whose tiles lie
//            inside the matrices loads without bounds checks, each address
//            computed once and stepped a slice on. 128x128 tiles (8x8 per
//            thread, BK 8) for large C, 64x64 (4x4, BK 16) otherwise;
//            128x128 with BK 16 and 128x64 (8x4) are built too, for the
//            GPU benchmark's sweep (force_matmul_kernel).
//   TF32     gemm_tf32_kernel (only when tf32_enabled()): the same staging,
//            then each of 8 warps computes 64x32 of a 128x128 tile with
//            mma.sync m16n8k8 tensor-core instructions (inputs rounded to
//            TF32, fp32 accumulation).
//   float64  gemm_tiled_kernel with 64x64 tiles and scalar loads.
//   integer  gemm_naive_kernel: one thread per output element.
// When C has too few tiles to fill the GPU (a small batch of small matrices
// with a long K), K is split across blocks that write partial tiles to a
// workspace, and splitk_reduce_kernel adds them up (deterministic).
#include <atomic>
#include <iterator>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/kernels.h"
#include "cuda/loops.cuh"

namespace ft::cuda {

namespace {

constexpr int kGemmThreads = 256;

// How an operand's tile is read from global memory.
enum class TileLayout {
  RowsContiguous,  // consecutive tile rows (m of A, n of B) are adjacent: float4 along rows
  KContiguous,     // consecutive k are adjacent: float4 along k
  Strided,         // anything else: one element per load
};

template <class T>
struct GemmArgs {
  int M, N, K;
  const T* a;  // element (z, m, k) at a[z * a_batch + m * a_m + k * a_k]
  int64_t a_batch, a_m, a_k;
  const T* b;  // element (z, k, n) at b[z * b_batch + k * b_k + n * b_n]
  int64_t b_batch, b_k, b_n;
  T* c;  // element (z, m, n) at c[z * c_batch + m * c_m + n * c_n]
  int64_t c_batch, c_m, c_n;
  bool accumulate;  // c += a @ b
  // Split-K: block z = batch * splits + split multiplies k in
  // [split * k_chunk, (split + 1) * k_chunk) into workspace (batch, splits, M, N).
  int splits;
  int k_chunk;
  T* workspace;
};

// Moves an R x BK tile of X(r, k) - A with r = m, or B with r = n - from
// global memory through registers into shared memory stored k-major,
// S[k][r]. Rows past r_end and k past k_end read as zero.
template <class T, int R, int BK, TileLayout L>
struct TileLoader {
  static constexpr int kVec = L == TileLayout::Strided ? 1 : 4;
  static constexpr int kPerThread = R * BK / kGemmThreads;
  static constexpr int kLoads = kPerThread / kVec;
  static_assert(kPerThread % kVec == 0 && kLoads >= 1, "tile too small for the thread block");
  static_assert(kVec == 1 || std::is_same_v<T, float>, "vector loads are float4");
  T reg[kPerThread];
  const T* next[kLoads];  // interior tiles: where each load reads the next slice

  // Tile coordinates of load i of this thread (consecutive threads read
  // consecutive addresses).
  __device__ static void coords(int i, int& r, int& k) {
    const int v = threadIdx.x + i * kGemmThreads;
    if constexpr (L == TileLayout::RowsContiguous) {
      k = v / (R / 4);
      r = v % (R / 4) * 4;
    } else if constexpr (L == TileLayout::KContiguous) {
      r = v / (BK / 4);
      k = v % (BK / 4) * 4;
    } else {
      r = v % R;
      k = v / R;
    }
  }

  __device__ void load(const T* x, int64_t stride_r, int64_t stride_k, int r0, int r_end, int k0, int k_end) {
#pragma unroll
    for (int i = 0; i < kLoads; ++i) {
      int r, k;
      coords(i, r, k);
      const int gr = r0 + r, gk = k0 + k;
      T* out = reg + i * kVec;
      if constexpr (L == TileLayout::RowsContiguous) {
        if (gr + 3 < r_end && gk < k_end) {
          const float4 v = *reinterpret_cast<const float4*>(x + gk * stride_k + gr);
          out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
        } else {
#pragma unroll
          for (int j = 0; j < 4; ++j) out[j] = (gr + j < r_end && gk < k_end) ? x[gk * stride_k + gr + j] : T(0);
        }
      } else if constexpr (L == TileLayout::KContiguous) {
        if (gr < r_end && gk + 3 < k_end) {
          const float4 v = *reinterpret_cast<const float4*>(x + gr * stride_r + gk);
          out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
        } else {
#pragma unroll
          for (int j = 0; j < 4; ++j) out[j] = (gr < r_end && gk + j < k_end) ? x[gr * stride_r + gk + j] : T(0);
        }
      } else {
        out[0] = (gr < r_end && gk < k_end) ? x[gr * stride_r + gk * stride_k] : T(0);
      }
    }
  }

  // Interior tiles (no row past r_end, every slice BK deep) of a vector
  // layout skip the bounds checks: each load's address is computed once
  // (start) and then moved a slice on (load_slice). A strided tile keeps its
  // checked element loads: its many addresses would cost more registers
  // than the checks.
  static constexpr bool kStepped = kVec == 4;

  __device__ void start(bool interior, const T* x, int64_t stride_r, int64_t stride_k, int r0, int k0) {
    if constexpr (kStepped) {
      if (!interior) return;
#pragma unroll
      for (int i = 0; i < kLoads; ++i) {
        int r, k;
        coords(i, r, k);
        next[i] = x + (r0 + r) * stride_r + (k0 + k) * stride_k;
      }
    }
  }

  // The slice starting at k0 into registers (each call the next slice).
  __device__ void load_slice(bool interior, const T* x, int64_t stride_r, int64_t stride_k, int r0, int r_end,
                             int k0, int k_end) {
    if constexpr (kStepped) {
      if (interior) {
#pragma unroll
        for (int i = 0; i < kLoads; ++i) {
          const float4 v = *reinterpret_cast<const float4*>(next[i]);
          T* out = reg + i * kVec;
          out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
          next[i] += BK * stride_k;
        }
        return;
      }
    }
    load(x, stride_r, stride_k, r0, r_end, k0, k_end);
  }

  template <int Stride>
  __device__ void store(T (*S)[Stride]) const {
#pragma unroll
    for (int i = 0; i < kLoads; ++i) {
      int r, k;
      coords(i, r, k);
      const T* in = reg + i * kVec;
      if constexpr (L == TileLayout::RowsContiguous) {
        *reinterpret_cast<float4*>(&S[k][r]) = make_float4(in[0], in[1], in[2], in[3]);
      } else if constexpr (L == TileLayout::KContiguous) {
#pragma unroll
        for (int j = 0; j < 4; ++j) S[k + j][r] = in[j];
      } else {
        S[k][r] = in[0];
      }
    }
  }
};

// Both operands' slices of one block: A's BM x BK and B's BN x BK tiles of
// the block's k range, through registers into shared memory.
template <class T, int BM, int BN, int BK, TileLayout LA, TileLayout LB>
struct OperandSlices {
  const GemmArgs<T>& g;
  const T* a;
  const T* b;
  int m0, n0, k_end;
  bool interior;
  TileLoader<T, BM, BK, LA> load_a;
  TileLoader<T, BN, BK, LB> load_b;

  __device__ OperandSlices(const GemmArgs<T>& args, const T* a_, const T* b_, int m0_, int n0_, int k_begin, int k_end_)
      : g(args), a(a_), b(b_), m0(m0_), n0(n0_), k_end(k_end_) {
    interior = m0 + BM <= g.M && n0 + BN <= g.N && (k_end - k_begin) % BK == 0;
    load_a.start(interior, a, g.a_m, g.a_k, m0, k_begin);
    load_b.start(interior, b, g.b_n, g.b_k, n0, k_begin);
  }

  // The slice starting at k0 into registers (each call the next slice).
  __device__ void load(int k0) {
    load_a.load_slice(interior, a, g.a_m, g.a_k, m0, g.M, k0, k_end);
    load_b.load_slice(interior, b, g.b_n, g.b_k, n0, g.N, k0, k_end);
  }

  template <int StrideA, int StrideB>
  __device__ void store(T (*As)[StrideA], T (*Bs)[StrideB]) const {
    load_a.store(As);
    load_b.store(Bs);
  }
};

// Writes one element of a block's result: to C, or to the split's workspace slot.
template <class T>
__device__ __forceinline__ void store_c(const GemmArgs<T>& g, int batch, int split, int m, int n, T v) {
  if (m >= g.M || n >= g.N) return;
  if (g.splits == 1) {
    T* c = g.c + batch * g.c_batch + m * g.c_m + n * g.c_n;
    *c = g.accumulate ? T(*c + v) : v;
  } else {
    g.workspace[((int64_t(batch) * g.splits + split) * g.M + m) * g.N + n] = v;
  }
}

// The k range of block z's split, and the batch it belongs to.
template <class T>
__device__ __forceinline__ void block_k_range(const GemmArgs<T>& g, int& batch, int& split, int& k_begin, int& k_end) {
  batch = blockIdx.z / g.splits;
  split = blockIdx.z % g.splits;
  k_begin = min(g.K, split * g.k_chunk);
  k_end = min(g.K, k_begin + g.k_chunk);
}

// A thread's N values of one shared row: elements h * 64 + lane * 4 + {0..3}
// for h < N / 4 (float4 reads for float).
template <class T, int N>
__device__ __forceinline__ void load_fragment(const T* row, int lane, T (&frag)[N]) {
#pragma unroll
  for (int h = 0; h < N / 4; ++h) {
    const T* src = row + h * 64 + lane * 4;
    if constexpr (std::is_same_v<T, float>) {
      const float4 v = *reinterpret_cast<const float4*>(src);
      frag[h * 4 + 0] = v.x, frag[h * 4 + 1] = v.y, frag[h * 4 + 2] = v.z, frag[h * 4 + 3] = v.w;
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) frag[h * 4 + j] = src[j];
    }
  }
}

// Two blocks an SM (at most 128 registers a thread), except 8x8 per thread
// with BK 16: its accumulators and staged slices spill within 128.
template <int TM, int TN, int BK>
constexpr int kGemmMinBlocks = TM * TN * BK > 512 ? 1 : 2;

// C tile (16 TM) x (16 TN); thread (tr, tc) of a 16 x 16 grid owns rows
// h * 64 + tr * 4 + {0..3} and columns h * 64 + tc * 4 + {0..3} (h < TM / 4).
// A warp is a 4 x 8 patch of that grid (warps 2 wide, 4 high), so each float4
// read of a shared row touches 4 (A) or 8 (B) consecutive float4s: one
// conflict-free shared-memory wavefront each, the other lanes broadcast.
template <class T, int TM, int TN, int BK, TileLayout LA, TileLayout LB>
__global__ void __launch_bounds__(kGemmThreads, (kGemmMinBlocks<TM, TN, BK>)) gemm_tiled_kernel(GemmArgs<T> g) {
  constexpr int BM = 16 * TM, BN = 16 * TN;
  constexpr int kPad = 16 / sizeof(T);  // keeps shared rows 16-byte aligned
  __shared__ __align__(16) T As[2][BK][BM + kPad];
  __shared__ __align__(16) T Bs[2][BK][BN + kPad];
  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x % kWarpSize;
  const int tr = (warp / 2) * 4 + lane / 8, tc = (warp % 2) * 8 + lane % 8;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  int batch, split, k_begin, k_end;
  block_k_range(g, batch, split, k_begin, k_end);
  const T* a = g.a + batch * g.a_batch;
  const T* b = g.b + batch * g.b_batch;

  OperandSlices<T, BM, BN, BK, LA, LB> operands(g, a, b, m0, n0, k_begin, k_end);
  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  const int tiles = k_end > k_begin ? (k_end - k_begin + BK - 1) / BK : 0;
  if (tiles > 0) {
    operands.load(k_begin);
    operands.store(As[0], Bs[0]);
  }
  __syncthreads();
  for (int t = 0; t < tiles; ++t) {
    const int cur = t & 1;
    if (t + 1 < tiles) {  // the next slice into registers, while this one is multiplied
      operands.load(k_begin + (t + 1) * BK);
    }
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      T a_frag[TM], b_frag[TN];
      load_fragment<T, TM>(As[cur][k], tr, a_frag);
      load_fragment<T, TN>(Bs[cur][k], tc, b_frag);
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = fma(a_frag[i], b_frag[j], acc[i][j]);
    }
    if (t + 1 < tiles) operands.store(As[cur ^ 1], Bs[cur ^ 1]);
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int m = m0 + (i / 4) * 64 + tr * 4 + i % 4;
#pragma unroll
    for (int j = 0; j < TN; ++j) store_c(g, batch, split, m, n0 + (j / 4) * 64 + tc * 4 + j % 4, acc[i][j]);
  }
}

// --- TF32 tensor cores ---------------------------------------------------------

__device__ __forceinline__ uint32_t to_tf32(float x) {
#ifdef FT_CUDA_EMULATOR
  return ft_emu::to_tf32(x);
#else
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return r;
#endif
}

// d (16x8) += a (16x8, row) @ b (8x8, col). Lane (group g = lane / 4, t = lane % 4) holds
// a: (g, t) (g+8, t) (g, t+4) (g+8, t+4); b: (k=t, n=g) (k=t+4, n=g);
// d: (g, 2t) (g, 2t+1) (g+8, 2t) (g+8, 2t+1).
__device__ __forceinline__ void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(FT_CUDA_EMULATOR)
  ft_emu::mma_m16n8k8_tf32(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#else
  __trap();  // the host never picks this kernel below compute capability 8.0
#endif
}

// C tile 128 x 128, BK = 16; 8 warps as 2 (m) x 4 (n), each 64 x 32 = 4 x 4 mma tiles.
// Shared rows are padded by 8 floats so fragment reads hit 32 different banks.
template <TileLayout LA, TileLayout LB>
__global__ void __launch_bounds__(kGemmThreads, 2) gemm_tf32_kernel(GemmArgs<float> g) {
  constexpr int BM = 128, BN = 128, BK = 16, kPad = 8;
  __shared__ __align__(16) float As[2][BK][BM + kPad];
  __shared__ __align__(16) float Bs[2][BK][BN + kPad];
  const int warp = threadIdx.x / kWarpSize, lane = threadIdx.x % kWarpSize;
  const int group = lane / 4, t4 = lane % 4;
  const int wm0 = (warp / 4) * 64, wn0 = (warp % 4) * 32;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  int batch, split, k_begin, k_end;
  block_k_range(g, batch, split, k_begin, k_end);
  const float* a = g.a + batch * g.a_batch;
  const float* b = g.b + batch * g.b_batch;

  OperandSlices<float, BM, BN, BK, LA, LB> operands(g, a, b, m0, n0, k_begin, k_end);
  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

  const int tiles = k_end > k_begin ? (k_end - k_begin + BK - 1) / BK : 0;
  if (tiles > 0) {
    operands.load(k_begin);
    operands.store(As[0], Bs[0]);
  }
  __syncthreads();
  for (int t = 0; t < tiles; ++t) {
    const int cur = t & 1;
    if (t + 1 < tiles) {
      operands.load(k_begin + (t + 1) * BK);
    }
#pragma unroll
    for (int kk = 0; kk < BK; kk += 8) {
      uint32_t a_frag[4][4], b_frag[4][2];
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
        const int r = wm0 + mt * 16 + group;
        a_frag[mt][0] = to_tf32(As[cur][kk + t4][r]);
        a_frag[mt][1] = to_tf32(As[cur][kk + t4][r + 8]);
        a_frag[mt][2] = to_tf32(As[cur][kk + t4 + 4][r]);
        a_frag[mt][3] = to_tf32(As[cur][kk + t4 + 4][r + 8]);
      }
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) {
        const int c = wn0 + nt * 8 + group;
        b_frag[nt][0] = to_tf32(Bs[cur][kk + t4][c]);
        b_frag[nt][1] = to_tf32(Bs[cur][kk + t4 + 4][c]);
      }
#pragma unroll
      for (int mt = 0; mt < 4; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) mma_m16n8k8_tf32(acc[mt][nt], a_frag[mt], b_frag[nt]);
    }
    if (t + 1 < tiles) operands.store(As[cur ^ 1], Bs[cur ^ 1]);
    __syncthreads();
  }
#pragma unroll
  for (int mt = 0; mt < 4; ++mt)
#pragma unroll
    for (int nt = 0; nt < 4; ++nt) {
      const int m = m0 + wm0 + mt * 16 + group, n = n0 + wn0 + nt * 8 + 2 * t4;
      store_c(g, batch, split, m, n, acc[mt][nt][0]);
      store_c(g, batch, split, m, n + 1, acc[mt][nt][1]);
      store_c(g, batch, split, m + 8, n, acc[mt][nt][2]);
      store_c(g, batch, split, m + 8, n + 1, acc[mt][nt][3]);
    }
}

// --- integers and the split-K sum -------------------------------------------------

// One thread per element of C (n fastest, so C and B rows are read coalesced).
template <class T>
__global__ void gemm_naive_kernel(GemmArgs<T> g, int batches) {
  const int64_t mn = int64_t(g.M) * g.N;
  for (int64_t idx = global_thread_index(); idx < batches * mn; idx += global_thread_count()) {
    const int64_t z = idx / mn, m = idx % mn / g.N, n = idx % g.N;
    const T* a = g.a + z * g.a_batch + m * g.a_m;
    const T* b = g.b + z * g.b_batch + n * g.b_n;
    T* c = g.c + z * g.c_batch + m * g.c_m + n * g.c_n;
    T acc = g.accumulate ? *c : T(0);
    for (int k = 0; k < g.K; ++k) acc = T(acc + a[k * g.a_k] * b[k * g.b_k]);
    *c = acc;
  }
}

// C (+)= sum over splits of workspace (batches, splits, M, N).
template <class T>
__global__ void splitk_reduce_kernel(GemmArgs<T> g, int batches) {
  const int64_t mn = int64_t(g.M) * g.N;
  for (int64_t idx = global_thread_index(); idx < batches * mn; idx += global_thread_count()) {
    const int64_t z = idx / mn, within = idx % mn;
    const T* partial = g.workspace + z * g.splits * mn + within;
    T sum = T(0);
    for (int s = 0; s < g.splits; ++s) sum += partial[s * mn];
    T* c = g.c + z * g.c_batch + within / g.N * g.c_m + within % g.N * g.c_n;
    *c = g.accumulate ? T(*c + sum) : sum;
  }
}

// --- host side ------------------------------------------------------------------

// The float4 layouts need the operand 16-byte aligned at every tile start.
TileLayout layout_of(const float* base, int64_t batch_stride, int64_t row_stride, int64_t k_stride) {
  const bool aligned = reinterpret_cast<uintptr_t>(base) % 16 == 0 && batch_stride % 4 == 0;
  if (aligned && row_stride == 1 && k_stride % 4 == 0) return TileLayout::RowsContiguous;
  if (aligned && k_stride == 1 && row_stride % 4 == 0) return TileLayout::KContiguous;
  return TileLayout::Strided;
}

template <TileLayout L>
using LayoutConstant = std::integral_constant<TileLayout, L>;

// Calls f(LayoutConstant<la>{}, LayoutConstant<lb>{}): runtime layouts to template arguments.
template <class F>
void with_layouts(TileLayout la, TileLayout lb, const F& f) {
  auto with_b = [&](auto a_layout) {
    switch (lb) {
      case TileLayout::RowsContiguous: return f(a_layout, LayoutConstant<TileLayout::RowsContiguous>{});
      case TileLayout::KContiguous: return f(a_layout, LayoutConstant<TileLayout::KContiguous>{});
      case TileLayout::Strided: return f(a_layout, LayoutConstant<TileLayout::Strided>{});
    }
  };
  switch (la) {
    case TileLayout::RowsContiguous: return with_b(LayoutConstant<TileLayout::RowsContiguous>{});
    case TileLayout::KContiguous: return with_b(LayoutConstant<TileLayout::KContiguous>{});
    case TileLayout::Strided: return with_b(LayoutConstant<TileLayout::Strided>{});
  }
}

template <class T>
GemmArgs<T> make_args(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  GemmArgs<T> g;
  g.M = int(out->shape()[1]);
  g.N = int(out->shape()[2]);
  g.K = int(a->shape()[2]);
  g.a = a->data_as<T>();
  g.a_batch = a->strides()[0], g.a_m = a->strides()[1], g.a_k = a->strides()[2];
  g.b = b->data_as<T>();
  g.b_batch = b->strides()[0], g.b_k = b->strides()[1], g.b_n = b->strides()[2];
  g.c = out->data_as<T>();
  g.c_batch = out->strides()[0], g.c_m = out->strides()[1], g.c_n = out->strides()[2];
  g.accumulate = accumulate;
  g.splits = 1;
  g.k_chunk = g.K;
  g.workspace = nullptr;
  return g;
}

// Runs a tiled kernel over every batch (grid z is at most 65535 blocks, so
// large batches go in chunks), splitting K when the tiles alone are too few.
template <class T, class Launch>
void run_tiled(GemmArgs<T> g, int64_t batches, int BM, int BN, int BK, const Device& device, const Launch& launch) {
  const int64_t tiles = ceil_div(g.M, BM) * ceil_div(g.N, BN);
  FT_CHECK(ceil_div(g.N, BN) <= 65535, RuntimeError, "matmul: ", g.N, " columns are too many for one CUDA launch");
  const int64_t sms = multiprocessor_count();
  int splits = 1;
  if (tiles * batches < sms && g.K >= 512) {
    // About two blocks per SM, each split at least 256 deep.
    splits = int(std::clamp<int64_t>(ceil_div(2 * sms, tiles * batches), 1, g.K / 256));
  }
  // K = 0 (an empty inner dim) still runs one split: it writes C = 0 (or leaves C + 0).
  g.k_chunk = int(std::max<int64_t>(BK, ceil_div(ceil_div(g.K, splits), BK) * BK));
  g.splits = int(std::max<int64_t>(1, ceil_div(g.K, g.k_chunk)));
  const int64_t chunk = std::max<int64_t>(1, 65535 / g.splits);  // batches per launch
  Tensor workspace;
  if (g.splits > 1) {
    const int64_t elems = std::min(chunk, batches) * g.splits * int64_t(g.M) * g.N;
    workspace = empty(Shape{elems}, std::is_same_v<T, float> ? DType::Float32 : DType::Float64, device);
    g.workspace = workspace->data_as<T>();
  }
  for (int64_t z0 = 0; z0 < batches; z0 += chunk) {
    const int64_t nb = std::min(chunk, batches - z0);
    GemmArgs<T> part = g;
    part.a += z0 * g.a_batch;
    part.b += z0 * g.b_batch;
    part.c += z0 * g.c_batch;
    // Row tiles on x (up to 2^31 - 1 blocks), column tiles on y (up to 65535).
    const dim3 grid(unsigned(ceil_div(g.M, BM)), unsigned(ceil_div(g.N, BN)), unsigned(nb * g.splits));
    launch(grid, part);
    FT_CUDA_CHECK_LAUNCH();
    if (g.splits > 1) {
      splitk_reduce_kernel<T><<<grid_size(nb * g.M * g.N), kThreads, 0, stream()>>>(part, int(nb));
      FT_CUDA_CHECK_LAUNCH();
    }
  }
}

template <int TM, int TN, int BK>
void run_simt(const GemmArgs<float>& g, int64_t batches, TileLayout la, TileLayout lb, const Device& device) {
  run_tiled(g, batches, 16 * TM, 16 * TN, BK, device, [&](dim3 grid, const GemmArgs<float>& part) {
    with_layouts(la, lb, [&](auto LA, auto LB) {
      gemm_tiled_kernel<float, TM, TN, BK, decltype(LA)::value, decltype(LB)::value>
          <<<grid, kGemmThreads, 0, stream()>>>(part);
    });
  });
}

// The fp32 SIMT kernels, named BM x BN x BK (the tile of C, the depth of a
// shared-memory slice). The shape picks one (matmul_float); the benchmark's
// sweep and the tests may force any (force_matmul_kernel).
struct SimtKernel {
  const char* name;
  void (*run)(const GemmArgs<float>&, int64_t, TileLayout, TileLayout, const Device&);
};
constexpr SimtKernel kSimtKernels[] = {{"128x128x8", run_simt<8, 8, 8>},
                                       {"128x128x16", run_simt<8, 8, 16>},
                                       {"128x64x16", run_simt<8, 4, 16>},
                                       {"64x64x16", run_simt<4, 4, 16>}};
// The picks by shape: on the H200 (first GPU run, 4096^3: 1024 tiles, about
// 8 a multiprocessor) 128x128x16 reached 0.89x cuBLAS, 128x128x8 0.86x; at
// 1024^3 64x64x16 0.91x, the others <= 0.86x. 128x128x16 runs one block a
// multiprocessor, 128x128x8 two: with fewer tiles, 128x128x16 would leave a
// half-empty last wave where 128x128x8 needs none.
constexpr int kDeepKernel = 1, kLargeKernel = 0, kSmallKernel = 3;
std::atomic<int> g_forced_kernel{-1};  // an index into kSimtKernels, or -1

void matmul_float(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  GemmArgs<float> g = make_args<float>(out, a, b, accumulate);
  const int64_t batches = out->shape()[0];
  const TileLayout la = layout_of(g.a, g.a_batch, g.a_m, g.a_k);
  const TileLayout lb = layout_of(g.b, g.b_batch, g.b_n, g.b_k);
  const Device device = out->device();
  const bool tensor_cores = tf32_enabled() && device_properties(current_device()).major >= 8;
  if (tensor_cores) {
    run_tiled(g, batches, 128, 128, 16, device, [&](dim3 grid, const GemmArgs<float>& part) {
      with_layouts(la, lb, [&](auto LA, auto LB) {
        gemm_tf32_kernel<decltype(LA)::value, decltype(LB)::value><<<grid, kGemmThreads, 0, stream()>>>(part);
      });
    });
    return;
  }
  int kernel = g_forced_kernel.load(std::memory_order_relaxed);
  if (kernel < 0) {
    // 128x128 tiles once there are enough of them to fill the GPU, 16 deep
    // once there are several waves of them, else 64x64.
    const int64_t tiles = ceil_div(g.M, 128) * ceil_div(g.N, 128) * batches, sms = multiprocessor_count();
    kernel = tiles >= 4 * sms ? kDeepKernel : (tiles >= sms ? kLargeKernel : kSmallKernel);
  }
  kSimtKernels[kernel].run(g, batches, la, lb, device);
}

void matmul_double(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  const GemmArgs<double> g = make_args<double>(out, a, b, accumulate);
  run_tiled(g, out->shape()[0], 64, 64, 16, out->device(), [&](dim3 grid, const GemmArgs<double>& part) {
    gemm_tiled_kernel<double, 4, 4, 16, TileLayout::Strided, TileLayout::Strided>
        <<<grid, kGemmThreads, 0, stream()>>>(part);
  });
}

}  // namespace

std::vector<std::string> matmul_kernels() {
  std::vector<std::string> names;
  for (const SimtKernel& k : kSimtKernels) names.emplace_back(k.name);
  return names;
}

std::string forced_matmul_kernel() {
  const int kernel = g_forced_kernel.load(std::memory_order_relaxed);
  return kernel < 0 ? std::string() : kSimtKernels[kernel].name;
}

void force_matmul_kernel(const std::string& name) {
  if (name.empty()) return g_forced_kernel.store(-1, std::memory_order_relaxed);
  for (int i = 0; i < int(std::size(kSimtKernels)); ++i) {
    if (name == kSimtKernels[i].name) return g_forced_kernel.store(i, std::memory_order_relaxed);
  }
  std::string known;
  for (const SimtKernel& k : kSimtKernels) known += str(known.empty() ? "" : ", ", k.name);
  throw ValueError(str("unknown CUDA matmul kernel '", name, "' (known: ", known, ", or '' to choose by shape)"));
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b, bool accumulate) {
  // out (B, M, N) = a (B, M, K) @ b (B, K, N)
  if (out->numel() == 0) return;
  FT_CHECK(a->shape()[2] < (int64_t(1) << 31) && out->shape()[1] < (int64_t(1) << 31) &&
               out->shape()[2] < (int64_t(1) << 31),
           RuntimeError, "matmul: matrix dimensions must be below 2^31 on CUDA");
  switch (out->dtype()) {
    case DType::Float32: return matmul_float(out, a, b, accumulate);
    case DType::Float64: return matmul_double(out, a, b, accumulate);
    case DType::Bool: throw NotImplementedError("\"addmm_cuda\" not implemented for 'Bool'");
    default:
      FT_DISPATCH_ALL_TYPES(out->dtype(), "matmul", [&] {
        if constexpr (!std::is_floating_point_v<scalar_t> && !std::is_same_v<scalar_t, bool>) {
          const GemmArgs<scalar_t> g = make_args<scalar_t>(out, a, b, accumulate);
          const int64_t batches = out->shape()[0];
          gemm_naive_kernel<scalar_t><<<grid_size(batches * g.M * g.N), kThreads, 0, stream()>>>(g, int(batches));
          FT_CUDA_CHECK_LAUNCH();
        }
      });
  }
}

}  // namespace ft::cuda
