#include "core/storage.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/backend.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ft {

namespace {

// Size classes: powers of two up to 1 MiB, then multiples of 1 MiB. A freed
// block goes to its class's free list and is handed out again for the same
// class, so a loop that makes same-sized temporaries stops touching the OS.
class CpuCachingAllocator final : public Allocator {
 public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kLargeGranularity = size_t(1) << 20;
  static constexpr size_t kMaxCachedBytes = size_t(2) << 30;

  void* allocate(size_t nbytes) override {
    const size_t cls = size_class(nbytes);
    {
      SpinGuard lock(busy_);
      std::vector<void*>& list = list_for(cls);
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        cached_ -= cls;
        return p;
      }
    }
    void* p = obtain(cls);
    if (!p) {
      empty_cache();
      p = obtain(cls);
    }
    FT_CHECK(p != nullptr, RuntimeError, "[enforce fail at alloc_cpu] DefaultCPUAllocator: can't allocate memory: you tried to allocate ", nbytes, " bytes.");
    return p;
  }

  // Blocks of 4 MiB and more (on Linux) are mapped straight from the kernel
  // on a 2 MiB boundary and advised to be backed by transparent huge pages,
  // as NumPy advises its arrays from 4 MiB. Streaming through a large tensor
  // in 4 KiB pages misses the TLB every page; on a 2-core AMD EPYC VM the sum
  // of a 64 MiB tensor read 30 GB/s from huge pages against 19 GB/s from
  // small ones (one thread). The advice may be refused (THP "never"): then
  // the block is an ordinary mapping. Smaller blocks come from malloc.
  static constexpr size_t kHugePage = size_t(2) << 20;
  static constexpr size_t kHugeFrom = size_t(4) << 20;

  static void* obtain(size_t cls) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (cls >= kHugeFrom) {  // cls is a whole number of MiB here
      void* base = mmap(nullptr, cls + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base == MAP_FAILED) return nullptr;
      const uintptr_t b = reinterpret_cast<uintptr_t>(base);
      const uintptr_t p = (b + kHugePage - 1) & ~uintptr_t(kHugePage - 1);
      if (p > b) munmap(base, p - b);                                  // the head before the boundary
      munmap(reinterpret_cast<void*>(p + cls), b + kHugePage - p);     // and the tail (never empty)
      madvise(reinterpret_cast<void*>(p), cls, MADV_HUGEPAGE);
      return reinterpret_cast<void*>(p);
    }
#endif
    // posix_memalign, not std::aligned_alloc: macOS has the latter only from 10.15.
    void* p = nullptr;
    return posix_memalign(&p, kAlignment, cls) == 0 ? p : nullptr;
  }

  static void release(void* p, size_t cls) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (cls >= kHugeFrom) {
      munmap(p, cls);
      return;
    }
#endif
    std::free(p);
  }

  void deallocate(void* p, size_t nbytes) override {
    const size_t cls = size_class(nbytes);
    {
      SpinGuard lock(busy_);
      if (cached_ + cls <= kMaxCachedBytes) {
        list_for(cls).push_back(p);
        cached_ += cls;
        return;
      }
    }
    release(p, cls);
  }

  size_t cached_bytes() {
    SpinGuard lock(busy_);
    return cached_;
  }

  void empty_cache() {
    SpinGuard lock(busy_);
    for (auto& blocks : small_) {
      for (void* p : blocks) std::free(p);
      blocks.clear();
    }
    for (auto& [cls, blocks] : large_)
      for (void* p : blocks) release(p, cls);
    large_.clear();
    cached_ = 0;
  }

 private:
  // Every tensor allocates and frees through here, so the lock is a spin
  // lock (the critical sections are a vector push or pop; an uncontended
  // pthread mutex pair cost ~20 ns of a ~500 ns small op) and the classes up
  // to 1 MiB are an array indexed by log2, not a hash map.
  class SpinGuard {
   public:
    explicit SpinGuard(std::atomic<bool>& busy) : busy_(busy) {
      for (int spins = 0; busy_.exchange(true, std::memory_order_acquire); ++spins) {
        while (busy_.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
          if (++spins > 1000) std::this_thread::yield();
        }
      }
    }
    ~SpinGuard() { busy_.store(false, std::memory_order_release); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

   private:
    std::atomic<bool>& busy_;
  };

  static constexpr int kLog2Alignment = 6;   // 64 B
  static constexpr int kLog2LargeGranularity = 20;
  static_assert(kAlignment == size_t(1) << kLog2Alignment && kLargeGranularity == size_t(1) << kLog2LargeGranularity);

  static size_t size_class(size_t n) {
    if (n <= kAlignment) return kAlignment;
    if (n >= kLargeGranularity) return (n + kLargeGranularity - 1) / kLargeGranularity * kLargeGranularity;
    return size_t(1) << (64 - __builtin_clzll(static_cast<unsigned long long>(n - 1)));  // next power of two
  }
  std::vector<void*>& list_for(size_t cls) {
    if (cls <= kLargeGranularity) return small_[63 - __builtin_clzll(static_cast<unsigned long long>(cls)) - kLog2Alignment];
    return large_[cls];
  }

  std::atomic<bool> busy_{false};
  std::vector<void*> small_[kLog2LargeGranularity - kLog2Alignment + 1];  // 64 B ... 1 MiB
  std::unordered_map<size_t, std::vector<void*>> large_;
  size_t cached_ = 0;
};

CpuCachingAllocator& caching_allocator() {
  // Leaked on purpose: tensors may outlive static destruction at interpreter exit.
  static auto* a = new CpuCachingAllocator();
  return *a;
}

}  // namespace

Allocator& cpu_allocator() { return caching_allocator(); }
size_t cpu_cached_bytes() { return caching_allocator().cached_bytes(); }
void cpu_empty_cache() { caching_allocator().empty_cache(); }

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  allocator_ = &backend(device).allocator();
  data_ = allocator_->allocate(nbytes == 0 ? 1 : nbytes);
}

Storage::Storage(void* data, size_t nbytes, Device device, std::unique_ptr<ExternalOwner> owner)
    : data_(data), nbytes_(nbytes), device_(device), owner_(std::move(owner)) {}

std::shared_ptr<Storage> Storage::alias(const std::shared_ptr<Storage>& base) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = base->data_;
  s->nbytes_ = base->nbytes_;
  s->device_ = base->device_;
  s->alias_of_ = base;
  return s;
}

Storage::~Storage() {
  if (allocator_) allocator_->deallocate(data_, nbytes_ == 0 ? 1 : nbytes_);
}

Device parse_device(const std::string& s) {
  Device d;
  std::string type = s;
  auto colon = s.find(':');
  if (colon != std::string::npos) {
    type = s.substr(0, colon);
    std::string idx = s.substr(colon + 1);
    bool ok = !idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos;
    FT_CHECK(ok, RuntimeError, "Invalid device string: '", s, "'");
    d.index = std::stoi(idx);
  }
  if (type == "cpu") {
    d.type = DeviceType::CPU;  // "cpu:0" keeps its index: fasttensor.device('cpu:0') shows it (a tensor drops it)
  } else if (type == "cuda") {
    d.type = DeviceType::CUDA;
  } else {
    throw RuntimeError(str("Expected one of cpu, cuda device type at start of device string: ", s));
  }
  return d;
}

}  // namespace ft
