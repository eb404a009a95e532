// fasttensor's CUDA emulator: the CUDA backend's own sources (csrc/cuda),
// compiled by the host C++ compiler and run on the CPU, so that the kernels'
// logic - index arithmetic, tiling, barriers, warp shuffles, the TF32
// fragment layout - is tested on machines without a GPU
// (FASTTENSOR_CUDA=EMULATE; never part of a normal build).
//
// What is emulated:
//   - a launch runs its blocks one after another; the threads of a block are
//     fibers on the calling thread, each runs until it reaches a barrier
//     (__syncthreads, or a warp collective: shuffle, ballot, mma), and a
//     barrier releases when every thread still running has reached it. Odd
//     blocks run their threads in reverse order, so a missing barrier shows
//     up as a wrong result in one of the two orders (FT_CUDA_EMU_SEED=n
//     shuffles the order instead, anew at every barrier). A barrier no thread
//     can pass (a __syncthreads some threads skip) is reported as an error;
//   - warp collectives with a full mask need every lane of the warp still
//     running; a lane that exited, or a source lane outside the mask, is an
//     error;
//   - launch configurations are checked against the limits of a real GPU
//     (block 1024 threads, grid.y / grid.z 65535, ...) and against each
//     kernel's __launch_bounds__;
//   - device memory is host memory, each cudaMalloc'd block between two
//     inaccessible pages and ending at the upper one: a kernel reading or
//     writing past a block's end stops the process with the kernel and
//     thread named. A new block is filled with 0xff bytes (NaN, -1), so an
//     output element no kernel writes shows. cudaMemcpy / cudaMemset check that the device side lies
//     inside one block, and a launch that passes a pointer argument outside
//     device memory fails (pointers inside struct arguments are not seen);
//   - a __shared__ array (a function-local static here) is filled with 0xff
//     bytes for each new block, so that a read of shared memory no thread
//     of the block wrote shows, as the garbage there would on a GPU;
//   - a misaligned vector access (a float4 or Pack read or written through
//     a pointer not aligned to its size), which faults on a GPU, stops the
//     process with the kernel and thread named (the emulated sources are
//     compiled with UBSan's alignment check as a trap, CMakeLists.txt);
//   - an error inside a kernel (__trap, an emulator check) makes the launch
//     fail with cudaErrorLaunchFailure, reported by the next
//     cudaGetLastError with what failed and in which thread.
// FT_CUDA_EMU_TRACE=1 prints every launch, copy, memset and allocation;
// FT_CUDA_EMU_SMS=n sets the multiprocessor count (default 132, an H100).
// Not emulated: timing, memory coalescing, accesses to the wrong place
// inside a block, host memory read by a kernel through a struct argument,
// register limits.
#pragma once

#include <math.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// --- CUDA keywords ------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

struct uint3 {
  unsigned x, y, z;
};

struct alignas(16) float4 {
  float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

// --- the runtime API the backend uses --------------------------------------------
enum cudaError {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidDevice = 101,
  cudaErrorLaunchFailure = 719,
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct CUstream_st;
typedef CUstream_st* cudaStream_t;

struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int maxThreadsDim[3];
  int maxGridSize[3];
  int multiProcessorCount;
  int major;
  int minor;
};

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaDriverGetVersion(int* version);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaMalloc(void** ptr, size_t size);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemGetInfo(size_t* free, size_t* total);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream = 0);
cudaError_t cudaMemset(void* ptr, int value, size_t count);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream = 0);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
const char* cudaGetErrorString(cudaError_t error);

// --- the emulator's entry points ----------------------------------------------------
namespace ft_emu {

// The coordinates of the thread now running.
struct ThreadCoords {
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
};
const ThreadCoords& coords();

struct LaunchConfig {
  dim3 grid, block;
  LaunchConfig(dim3 g, dim3 b, size_t shared_bytes = 0, cudaStream_t stream = 0) : grid(g), block(b) {
    (void)shared_bytes;
    (void)stream;
  }
};

// Runs body(ctx) in every thread of the grid; a failure is kept for the
// next cudaGetLastError.
void run_grid(const LaunchConfig& config, void (*body)(void*), void* ctx, const char* kernel_name);

// True if p points into (or just past) a block cudaMalloc handed out.
bool is_device_pointer(const void* p);
// Ends the launch with this error; the next cudaGetLastError reports it.
void fail_launch(const std::string& what, cudaError_t error);

// A pointer parameter must be null or point into device memory (a host
// pointer would fault on a GPU). Pointers inside struct parameters are not seen.
template <class T>
bool is_device_argument(const T& v) {
  if constexpr (std::is_pointer_v<T>) return v == nullptr || is_device_pointer(v);
  else return true;
}

// What kernel<<<config>>>(args...) becomes (see rewrite_launches.py), with
// the kernel expression's text as its name: the arguments are converted to
// the kernel's parameter types once, as a launch does, and every thread gets
// its own copy.
template <class... P, class... A>
void launch(const LaunchConfig& config, const char* name, void (*kernel)(P...), A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "a kernel launch passes every parameter");
  using Params = std::tuple<std::decay_t<P>...>;
  struct Ctx {
    void (*kernel)(P...);
    Params params;
  } ctx{kernel, Params(std::forward<A>(args)...)};
  const bool device_args = std::apply([](const auto&... p) { return (is_device_argument(p) && ...); }, ctx.params);
  if (!device_args) {
    fail_launch(std::string("a pointer argument is not device memory in ") + name, cudaErrorLaunchFailure);
    return;
  }
  run_grid(
      config, [](void* c) { std::apply(static_cast<Ctx*>(c)->kernel, static_cast<Ctx*>(c)->params); }, &ctx, name);
}

// Waits until every thread of the block still running is here.
void sync_block();

// A warp-wide operation: the calling lane waits until every lane of its warp
// still running has called it, then op runs once with each lane's data
// (nullptr for a lane that exited) and the mask of lanes present.
using WarpOp = void (*)(void* const* lane_data, unsigned present, unsigned mask);
void warp_collective(unsigned mask, void* data, WarpOp op);
int lane_id();

// Fails the launch with this message.
[[noreturn]] void fail(const char* what);

// Fills a __shared__ array with 0xff bytes the first time a thread of a new
// block reaches its declaration (rewrite_launches.py puts the call there).
void poison_shared(void* array, size_t bytes);

// A kernel's __launch_bounds__(max_threads): a launch with more threads per
// block fails (on a GPU: "too many resources requested for launch").
void check_launch_bounds(long long max_threads);

enum class ShuffleKind { Index, Up, Xor };
uint32_t shuffle(unsigned mask, uint32_t value, ShuffleKind kind, int arg, int width);
unsigned ballot(unsigned mask, bool predicate);

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 and cvt.rna.tf32.f32.
void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
uint32_t to_tf32(float x);

template <class T>
T shuffle_any(unsigned mask, T v, ShuffleKind kind, int arg, int width) {
  static_assert(sizeof(T) == 4, "the emulator shuffles 4-byte words");
  uint32_t w;
  std::memcpy(&w, &v, 4);
  w = shuffle(mask, w, kind, arg, width);
  std::memcpy(&v, &w, 4);
  return v;
}

}  // namespace ft_emu

// --- built-in variables and device functions --------------------------------------
#define threadIdx (::ft_emu::coords().thread_idx)
#define blockIdx (::ft_emu::coords().block_idx)
#define blockDim (::ft_emu::coords().block_dim)
#define gridDim (::ft_emu::coords().grid_dim)

inline void __syncthreads() { ft_emu::sync_block(); }
[[noreturn]] inline void __trap() { ft_emu::fail("__trap()"); }

template <class T>
T __shfl_sync(unsigned mask, T v, int src_lane, int width = 32) {
  return ft_emu::shuffle_any(mask, v, ft_emu::ShuffleKind::Index, src_lane, width);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return ft_emu::shuffle_any(mask, v, ft_emu::ShuffleKind::Up, int(delta), width);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return ft_emu::shuffle_any(mask, v, ft_emu::ShuffleKind::Xor, lane_mask, width);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) { return ft_emu::ballot(mask, predicate != 0); }
// CUDA's min and max of two numbers of any arithmetic types.
template <class A, class B>
std::common_type_t<A, B> min(A a, B b) {
  using C = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<C>) return fmin(C(a), C(b));  // as fminf: a NaN loses
  else return C(b) < C(a) ? C(b) : C(a);
}
template <class A, class B>
std::common_type_t<A, B> max(A a, B b) {
  using C = std::common_type_t<A, B>;
  if constexpr (std::is_floating_point_v<C>) return fmax(C(a), C(b));
  else return C(a) < C(b) ? C(b) : C(a);
}

inline int __popc(unsigned x) { return __builtin_popcount(x); }

// The blocks of a launch run one at a time on one host thread: a plain
// read-modify-write is atomic.
template <class T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = T(old + value);
  return old;
}
template <class T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

inline float __int_as_float(int x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
inline double __longlong_as_double(long long x) {
  double d;
  std::memcpy(&d, &x, 8);
  return d;
}
// The separate roundings these promise: the emulated sources are compiled
// without floating-point contraction.
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
