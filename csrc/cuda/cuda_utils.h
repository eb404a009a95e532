// Host-side helpers shared by every file of the CUDA backend: error checking,
// the one stream all work goes on, device selection and properties, the
// error word kernels use to report bad input, and moving stray CPU operands
// onto the device. Compiled by both g++ (*.cpp) and nvcc (*.cu).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace ft::cuda {

// Raises ft::RuntimeError naming the CUDA error, the call and where it was made.
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line);

}  // namespace ft::cuda

// Every CUDA runtime call of the backend goes through this: an error becomes
// an ft::RuntimeError ("CUDA error: out of memory (cudaErrorMemoryAllocation) ...").
#define FT_CUDA_CHECK(EXPR)                                                                \
  do {                                                                                     \
    const cudaError_t ft_cuda_err_ = (EXPR);                                               \
    if (ft_cuda_err_ != cudaSuccess) ::ft::cuda::throw_cuda_error(ft_cuda_err_, #EXPR, __FILE__, __LINE__); \
  } while (0)

// After every kernel launch: a bad launch configuration (or an earlier
// asynchronous fault) is reported here.
#define FT_CUDA_CHECK_LAUNCH() FT_CUDA_CHECK(cudaGetLastError())

namespace ft::cuda {

// Every kernel, copy and memset of the backend runs on the legacy default
// stream: one stream orders all our work, so the caching allocator can hand
// a freed block to the next op without waiting (see allocator.cpp), and a
// plain cudaMemcpy is already ordered after the kernels before it.
inline cudaStream_t stream() { return cudaStream_t(0); }

// Number of visible GPUs; 0 (never an error) without a driver or a GPU.
int device_count();
// Why device_count() is 0, in PyTorch's words ("Found no NVIDIA driver ...").
std::string unavailable_reason();
// Makes `index` the calling thread's current device (cheap when it already is).
void set_device(int index);
// Properties of a device, read once.
const cudaDeviceProp& device_properties(int index);
int current_device();
std::string device_name(int index);
inline int multiprocessor_count() { return device_properties(current_device()).multiProcessorCount; }

// Kernels report bad input (an integer division by zero, a class index out
// of range) through two int64 words in device memory instead of a device
// assert, which would leave the context unusable: word 0 is set to 1 by the
// first offender, word 1 holds its value. Both words are 0 between uses.
//
// Two ways to read them:
//   - at once: the op reads them after its kernel (take_error_report, which
//     synchronizes) and raises - integer division and powers;
//   - deferred: the op only records which check it owes (defer_error_check)
//     and the words are read at the next point that synchronizes anyway - a
//     copy to the host (.item(), .cpu(), .numpy()) or cuda.synchronize() -
//     which raises the op's own exception there. So cross_entropy, once per
//     training step, costs no synchronization; PyTorch reports the same bad
//     target asynchronously too (a device-side assert at the next sync).
enum class DeferredCheck : int {
  None = 0,
  CrossEntropyTarget = 1,  // IndexError "Target t is out of bounds."
};
struct DeviceErrorReport {
  bool raised = false;
  int64_t value = 0;
};
// The words of the current device, for a kernel about to be queued by an op
// that checks them at once (None) or defers the check `check`; a deferred
// check of another kind still owed is settled first (it may raise).
int64_t* error_words(DeferredCheck check = DeferredCheck::None);
DeviceErrorReport take_error_report();         // reads and clears; synchronizes
void defer_error_check(DeferredCheck check);   // after queuing the kernel
void raise_deferred_errors();                  // settles an owed check (synchronizes only if one is owed)

// t itself when it is on the device; otherwise a device copy of it (a
// Python number or an index list that arrived as a CPU tensor).
Tensor on_device(const Tensor& t, const Device& device);

// The TF32 tensor-core matmul switch (fasttensor.backends.cuda.matmul.allow_tf32).
bool tf32_enabled();
void set_tf32_enabled(bool enabled);

}  // namespace ft::cuda
