// Devices: how many there are (0, never an error, without a driver or a GPU),
// which one the thread uses, their properties, the error words, and the CUDA
// error formatter every FT_CUDA_CHECK goes through.
#include <array>
#include <atomic>
#include <memory>
#include <mutex>

#include "core/backend.h"
#include "cuda/cuda_utils.h"

namespace ft::cuda {

namespace {

constexpr int kMaxDevices = 64;

struct DeviceProbe {
  int count = 0;
  std::string reason;  // why count is 0
};

// Asks the runtime once. With the static runtime and no driver installed,
// cudaGetDeviceCount fails (cudaErrorInsufficientDriver / cudaErrorNoDevice):
// that is "no GPU", not a failure of the program.
const DeviceProbe& probe() {
  static const DeviceProbe p = [] {
    DeviceProbe r;
    int n = 0;
    const cudaError_t err = cudaGetDeviceCount(&n);
    if (err == cudaSuccess && n > 0) {
      r.count = std::min(n, kMaxDevices);
      return r;
    }
    cudaGetLastError();  // clear it: later calls must not see this error
    int driver = 0;
    const bool has_driver = cudaDriverGetVersion(&driver) == cudaSuccess && driver > 0;
    cudaGetLastError();
    if (!has_driver) {
      r.reason = "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a "
                 "driver from http://www.nvidia.com/Download/index.aspx";
    } else if (err != cudaSuccess) {
      r.reason = str("CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ")");
    } else {
      r.reason = "No CUDA GPUs are available";
    }
    return r;
  }();
  return p;
}

thread_local int t_current_device = -1;

struct PerDevice {
  std::once_flag props_once, words_once;
  cudaDeviceProp props{};
  int64_t* error_words = nullptr;
  std::atomic<int> owed_check{int(DeferredCheck::None)};  // a DeferredCheck
};

PerDevice& per_device(int index) {
  // Leaked on purpose: used until interpreter exit.
  static auto* all = new std::array<PerDevice, kMaxDevices>();
  return (*all)[index];
}

std::atomic<bool> g_tf32{false};

}  // namespace

[[noreturn]] void throw_cuda_error(cudaError_t err, const char* call, const char* file, int line) {
  // Clears a non-sticky error so that the next check does not report it again.
  cudaGetLastError();
  throw RuntimeError(str("CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ") in ", call,
                         " at ", file, ":", line));
}

int device_count() { return probe().count; }

std::string unavailable_reason() { return probe().reason; }

int current_device() {
  if (t_current_device < 0) {
    int d = 0;
    FT_CUDA_CHECK(cudaGetDevice(&d));
    t_current_device = d;
  }
  return t_current_device;
}

void set_device(int index) {
  if (t_current_device == index) return;
  FT_CUDA_CHECK(cudaSetDevice(index));
  t_current_device = index;
}

const cudaDeviceProp& device_properties(int index) {
  PerDevice& d = per_device(index);
  std::call_once(d.props_once, [&] { FT_CUDA_CHECK(cudaGetDeviceProperties(&d.props, index)); });
  return d.props;
}

int64_t* error_words(DeferredCheck check) {
  PerDevice& d = per_device(current_device());
  const int owed = d.owed_check.load(std::memory_order_acquire);
  if (owed != int(DeferredCheck::None) && owed != int(check)) raise_deferred_errors();
  std::call_once(d.words_once, [&] {
    void* words = nullptr;
    FT_CUDA_CHECK(cudaMalloc(&words, 2 * sizeof(int64_t)));
    FT_CUDA_CHECK(cudaMemset(words, 0, 2 * sizeof(int64_t)));
    d.error_words = static_cast<int64_t*>(words);
  });
  return d.error_words;
}

DeviceErrorReport take_error_report() {
  int64_t* words = error_words();
  int64_t host[2] = {0, 0};
  // The legacy stream: ordered after the kernel that may have set the words.
  FT_CUDA_CHECK(cudaMemcpy(host, words, sizeof host, cudaMemcpyDeviceToHost));
  DeviceErrorReport r;
  if (host[0] != 0) {
    r.raised = true;
    r.value = host[1];
    FT_CUDA_CHECK(cudaMemsetAsync(words, 0, 2 * sizeof(int64_t), stream()));
  }
  return r;
}

void defer_error_check(DeferredCheck check) {
  per_device(current_device()).owed_check.store(int(check), std::memory_order_release);
}

void raise_deferred_errors() {
  PerDevice& d = per_device(current_device());
  const int owed = d.owed_check.exchange(int(DeferredCheck::None), std::memory_order_acq_rel);
  if (owed == int(DeferredCheck::None)) return;
  const DeviceErrorReport report = take_error_report();
  if (!report.raised) return;
  switch (DeferredCheck(owed)) {
    case DeferredCheck::CrossEntropyTarget: throw IndexError(str("Target ", report.value, " is out of bounds."));
    case DeferredCheck::None: break;
  }
}

Tensor on_device(const Tensor& t, const Device& device) {
  if (!t->device().is_cpu()) return t;
  Tensor host = t;
  if (!t->is_contiguous()) {
    host = empty(t->shape(), t->dtype(), Device{});
    backend(Device{}).copy(host, t);
  }
  Tensor out = empty(t->shape(), t->dtype(), device);
  backend(device).copy_from_host(out, host->data());
  return out;
}

bool tf32_enabled() { return g_tf32.load(std::memory_order_relaxed); }
void set_tf32_enabled(bool enabled) { g_tf32.store(enabled, std::memory_order_relaxed); }

// --- the module's ft::cuda API (declared in python/module.cpp) ----------------

std::string device_name(int index) {
  FT_CHECK(index >= 0 && index < device_count(), RuntimeError, device_count() == 0 ? unavailable_reason()
           : str("CUDA error: invalid device ordinal (device ", index, " of ", device_count(), ")"));
  return device_properties(index).name;
}

}  // namespace ft::cuda
