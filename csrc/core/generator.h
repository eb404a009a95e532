// A random number generator with PyTorch's streams.
//
// CPU draws come from a 32-bit Mersenne Twister (MT19937) seeded as
// PyTorch's CPU generator seeds it, and the CPU kernels (cpu/random.cpp)
// turn its words into numbers the way PyTorch's CPU kernels do, so
// `manual_seed(s)` followed by the same calls gives PyTorch's CPU numbers.
// CUDA kernels draw from counter-based Philox keyed by `seed`: each fill
// takes the next counters (`offset`), so fills are independent of the
// launch shape. (PyTorch's CUDA streams are not reproduced.)
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "core/device.h"

namespace ft {

// MT19937 (Matsumoto & Nishimura 1998), the 32-bit generator of C++'s
// std::mt19937, kept as the reference code keeps it (PyTorch too): `left`
// words remain before the next twist, `next` indexes the next word.
struct MT19937 {
  static constexpr int kN = 624, kM = 397;
  uint32_t state[kN];
  int left = 1, next = 0;

  void seed(uint32_t s) {
    state[0] = s;
    for (int i = 1; i < kN; ++i) state[i] = 1812433253u * (state[i - 1] ^ (state[i - 1] >> 30)) + uint32_t(i);
    left = 1;
    next = 0;
  }
  uint32_t operator()() {
    if (--left == 0) twist();
    uint32_t y = state[next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
  }

 private:
  static uint32_t mix(uint32_t hi, uint32_t lo, uint32_t far) {
    const uint32_t y = (hi & 0x80000000u) | (lo & 0x7fffffffu);
    return far ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
  }
  void twist() {
    int i = 0;
    for (; i < kN - kM; ++i) state[i] = mix(state[i], state[i + 1], state[i + kM]);
    for (; i < kN - 1; ++i) state[i] = mix(state[i], state[i + 1], state[i + kM - kN]);
    state[kN - 1] = mix(state[kN - 1], state[0], state[kM - 1]);
    left = kN;
    next = 0;
  }
};

struct Generator {
  // PyTorch's seed for a new torch.Generator().
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;

  Generator() { manual_seed(kDefaultSeed); }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // The state a seed gives: MT19937 from its low 32 bits (as PyTorch), the
  // Philox counter at 0, no cached normal sample.
  void manual_seed(uint64_t s) {
    seed = s;
    offset = 0;
    mt.seed(uint32_t(s));
    next_double_normal.reset();
    next_float_normal.reset();
  }

  // 63 bits from the operating system (PyTorch's Generator.seed()).
  static uint64_t nondeterministic_seed();

  // CPU draws (hold `mutex`): PyTorch's random() and random64().
  uint32_t random() { return mt(); }
  uint64_t random64() {
    const uint64_t hi = mt();
    return (hi << 32) | mt();
  }

  // The state as PyTorch's CPU generator lays it out (get_state's 5056
  // bytes, little-endian): initial seed u64, left i32, seeded i32, next u64,
  // the 624 words as u64, three f64 (the second: the kept double normal),
  // i32 "double normal kept", 4 bytes padding, f32 kept float normal, u8
  // "float normal kept", 3 bytes padding. set_state also takes the
  // 5048-byte form without the last 8 bytes; a bad size or field raises.
  // A CUDA generator's state is its Philox seed and offset (2 x u64).
  static constexpr size_t kStateBytes = 5056, kLegacyStateBytes = 5048;
  std::vector<uint8_t> get_state();
  void set_state(const uint8_t* bytes, size_t size);

  // CUDA: reserves the Philox counters of n values (four per counter) and
  // returns the first.
  uint64_t advance(uint64_t n_values) {
    std::lock_guard<std::mutex> lock(mutex);
    const uint64_t first = offset;
    offset += (n_values + 3) / 4;
    return first;
  }

  Device device;  // the device of the tensors it is meant for (torch.Generator(device=))
  uint64_t seed = kDefaultSeed;
  uint64_t offset = 0;
  MT19937 mt;
  // Box-Muller makes two normals; a one-at-a-time draw keeps the second here.
  std::optional<double> next_double_normal;
  std::optional<float> next_float_normal;
  std::mutex mutex;
};

// The generators used when none is given, for CPU and for CUDA tensors:
// seeded from the operating system at start-up, as PyTorch's defaults.
Generator& default_generator();
Generator& default_cuda_generator();

}  // namespace ft
