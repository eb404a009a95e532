#include "core/storage.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/backend.h"

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
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(cls);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= cls;
        return p;
      }
    }
    void* p = std::aligned_alloc(kAlignment, cls);
    if (!p) {
      empty_cache();
      p = std::aligned_alloc(kAlignment, cls);
    }
    FT_CHECK(p != nullptr, RuntimeError, "[enforce fail at alloc_cpu] DefaultCPUAllocator: can't allocate memory: you tried to allocate ", nbytes, " bytes.");
    return p;
  }

  void deallocate(void* p, size_t nbytes) override {
    const size_t cls = size_class(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + cls <= kMaxCachedBytes) {
        free_[cls].push_back(p);
        cached_ += cls;
        return;
      }
    }
    std::free(p);
  }

  size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [cls, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    cached_ = 0;
  }

 private:
  static size_t size_class(size_t n) {
    if (n <= kAlignment) return kAlignment;
    if (n >= kLargeGranularity) return (n + kLargeGranularity - 1) / kLargeGranularity * kLargeGranularity;
    size_t c = kAlignment;
    while (c < n) c <<= 1;
    return c;
  }
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
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
    FT_CHECK(d.index <= 0, RuntimeError, "CPU device index must be -1 or zero, got ", d.index);
    d.type = DeviceType::CPU;
    d.index = -1;
  } else if (type == "cuda") {
    d.type = DeviceType::CUDA;
  } else {
    throw RuntimeError(str("Expected one of cpu, cuda device type at start of device string: ", s));
  }
  return d;
}

}  // namespace ft
