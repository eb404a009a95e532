// Storage: a refcounted buffer that views share. CPU memory comes from a
// caching allocator (64-byte aligned): writing a fresh 64 MB result costs
// more in page faults than the op itself, so freed large blocks are reused.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/device.h"

namespace ft {

// Owns memory and knows how to give it back.
struct Allocator {
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* p, size_t nbytes) = 0;
};

Allocator& cpu_allocator();
// Bytes held in the CPU cache, free for reuse (tests account for it).
size_t cpu_cached_bytes();
void cpu_empty_cache();

// Frees memory someone else allocated (a NumPy array's buffer, say).
struct ExternalOwner {
  virtual ~ExternalOwner() = default;
};

class Storage {
 public:
  // Allocates nbytes on the device.
  Storage(size_t nbytes, Device device);
  // Wraps memory owned by `owner` (kept alive as long as this storage).
  Storage(void* data, size_t nbytes, Device device, std::unique_ptr<ExternalOwner> owner);
  // A second storage over the same memory with its own version counter
  // (what `.data` returns: in-place changes through it are not tracked).
  static std::shared_ptr<Storage> alias(const std::shared_ptr<Storage>& base);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  const Device& device() const { return device_; }

  // Bumped by every in-place write; autograd checks saved tensors against it.
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  Storage() = default;
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Allocator* allocator_ = nullptr;             // set when we allocated data_
  std::unique_ptr<ExternalOwner> owner_;       // set when someone else did
  std::shared_ptr<Storage> alias_of_;          // set for alias(): keeps the memory alive
  std::atomic<uint32_t> version_{0};
};

}  // namespace ft
