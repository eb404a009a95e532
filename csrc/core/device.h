// Device: where a tensor's storage lives.
#pragma once

#include <algorithm>
#include <string>

#include "core/error.h"

namespace ft {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;  // -1: the current device (for "cuda"); a tensor's CPU is -1 (a device object may say 0)

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  // "cuda" (index -1) means the current device, which is device 0 here.
  bool operator==(const Device& o) const {
    return type == o.type && (is_cpu() || std::max(index, 0) == std::max(o.index, 0));
  }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const {
    if (is_cpu()) return index < 0 ? "cpu" : "cpu:" + std::to_string(index);
    return index < 0 ? "cuda" : "cuda:" + std::to_string(index);
  }
};

// Parses "cpu", "cpu:0", "cuda", "cuda:1" as torch.device does.
Device parse_device(const std::string& s);

}  // namespace ft
