// CUDA caching allocator. cudaMalloc and cudaFree are slow (cudaFree
// synchronizes the device), and a training loop makes the same temporaries
// every step, so a freed block goes to a free list of its size class and is
// handed out again for that class.
//
// Stream-ordered reuse: all our work runs on one stream (cuda_utils.h), so a
// block freed while kernels that use it are still queued can go straight to
// the next allocation: that allocation's kernels are queued after them.
//
// Out of memory: give the cached blocks back and try once more, then raise
// RuntimeError("CUDA out of memory. Tried to allocate ...") - never abort.
#include "cuda/allocator.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "cuda/cuda_utils.h"

namespace ft::cuda {

namespace {

constexpr int kMaxDevices = 64;

// "20.00 GiB", "512 bytes": as PyTorch writes sizes in its OOM message.
std::string format_bytes(size_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = double(n);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[64];
  if (u == 0) std::snprintf(buf, sizeof buf, "%zu bytes", n);
  else std::snprintf(buf, sizeof buf, "%.2f %s", v, units[u]);
  return buf;
}

class CudaCachingAllocator final : public Allocator {
 public:
  static constexpr size_t kSmallGranularity = 512;            // blocks up to 1 MiB: multiples of 512 B
  static constexpr size_t kSmallLimit = size_t(1) << 20;
  static constexpr size_t kLargeGranularity = size_t(2) << 20;  // larger ones: multiples of 2 MiB

  explicit CudaCachingAllocator(int device) : device_(device) {}

  void* allocate(size_t nbytes) override {
    const size_t cls = size_class(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(cls);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= cls;
        count_allocated(cls);
        return p;
      }
    }
    set_device(device_);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, cls);
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // the failure must not surface at the next launch check
      release_cached();
      err = cudaMalloc(&p, cls);
    }
    if (err == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      throw RuntimeError(out_of_memory_message(nbytes));
    }
    FT_CUDA_CHECK(err);
    std::lock_guard<std::mutex> lock(mu_);
    reserved_ += cls;
    count_allocated(cls);
    return p;
  }

  void deallocate(void* p, size_t nbytes) override {
    // Never a CUDA call here: storages may die during interpreter shutdown,
    // after the runtime is gone.
    const size_t cls = size_class(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    free_[cls].push_back(p);
    cached_ += cls;
    allocated_ -= cls;
  }

  // Frees every cached block. Queued kernels may still use a block that was
  // freed after their launch, so wait for the device first.
  void release_cached() {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ == 0) return;
    set_device(device_);
    FT_CUDA_CHECK(cudaDeviceSynchronize());
    for (auto& [cls, blocks] : free_) {
      for (void* p : blocks) FT_CUDA_CHECK(cudaFree(p));
      reserved_ -= cls * blocks.size();
    }
    free_.clear();
    cached_ = 0;
  }

  size_t allocated() {
    std::lock_guard<std::mutex> lock(mu_);
    return allocated_;
  }
  size_t peak() {
    std::lock_guard<std::mutex> lock(mu_);
    return peak_;
  }
  size_t reserved() {
    std::lock_guard<std::mutex> lock(mu_);
    return reserved_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    peak_ = allocated_;
  }

 private:
  static size_t size_class(size_t n) {
    const size_t g = n <= kSmallLimit ? kSmallGranularity : kLargeGranularity;
    return (std::max<size_t>(n, 1) + g - 1) / g * g;
  }

  void count_allocated(size_t cls) {  // mu_ held
    allocated_ += cls;
    peak_ = std::max(peak_, allocated_);
  }

  std::string out_of_memory_message(size_t nbytes) {
    size_t free_bytes = 0, total = 0;
    if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) cudaGetLastError();
    std::lock_guard<std::mutex> lock(mu_);
    return str("CUDA out of memory. Tried to allocate ", format_bytes(nbytes), ". GPU ", device_,
               " has a total capacity of ", format_bytes(total), " of which ", format_bytes(free_bytes),
               " is free. Of the allocated memory ", format_bytes(allocated_),
               " is allocated by fasttensor, and ", format_bytes(reserved_ - allocated_),
               " is reserved by fasttensor but unallocated.");
  }

  const int device_;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;     // bytes in free_
  size_t allocated_ = 0;  // bytes handed out (by size class), as torch.cuda.memory_allocated
  size_t peak_ = 0;
  size_t reserved_ = 0;   // bytes obtained from cudaMalloc
};

CudaCachingAllocator* allocator_if_created(int index, bool create) {
  // Leaked on purpose: tensors may outlive static destruction at exit.
  static auto* all = new std::array<CudaCachingAllocator*, kMaxDevices>();
  static std::mutex mu;
  FT_CHECK(index >= 0 && index < kMaxDevices, RuntimeError, "CUDA error: invalid device ordinal ", index);
  std::lock_guard<std::mutex> lock(mu);
  if (!(*all)[index] && create) (*all)[index] = new CudaCachingAllocator(index);
  return (*all)[index];
}

}  // namespace

Allocator& device_allocator(int index) { return *allocator_if_created(index, true); }

size_t memory_allocated(int index) {
  auto* a = allocator_if_created(index, false);
  return a ? a->allocated() : 0;
}
size_t max_memory_allocated(int index) {
  auto* a = allocator_if_created(index, false);
  return a ? a->peak() : 0;
}
size_t memory_reserved(int index) {
  auto* a = allocator_if_created(index, false);
  return a ? a->reserved() : 0;
}
void reset_peak_memory_stats(int index) {
  if (auto* a = allocator_if_created(index, false)) a->reset_peak();
}
void empty_cache() {
  for (int i = 0; i < device_count(); ++i)
    if (auto* a = allocator_if_created(i, false)) a->release_cached();
}

}  // namespace ft::cuda
