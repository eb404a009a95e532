// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11): a counter-based generator. Element i of a call draws lane i % 4
// of counter (offset + i / 4) under key `seed`, so any thread (or GPU thread)
// can produce any element independently and results never depend on how the
// work is split. The CUDA kernels' generator (tests check it against a NumPy
// version of the same rounds).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define FT_HOST_DEVICE __host__ __device__
#else
#define FT_HOST_DEVICE
#endif

namespace ft::philox {

struct Uint4 {
  uint32_t x, y, z, w;
};

FT_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * b;
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

// The 128-bit counter is (counter_high << 64) | counter: the fills use
// counter_high = 0, Poisson and binomial (cuda/random.cu) step it to give each
// element a stream of its own.
FT_HOST_DEVICE inline Uint4 philox4x32_10(uint64_t counter, uint64_t seed, uint64_t counter_high = 0) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32);
  uint32_t c2 = uint32_t(counter_high), c3 = uint32_t(counter_high >> 32);
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, c0, hi0, lo0);
    mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

FT_HOST_DEVICE inline uint32_t lane(const Uint4& v, int i) {
  return i == 0 ? v.x : (i == 1 ? v.y : (i == 2 ? v.z : v.w));
}

// A second, independent stream for the extra bits a double needs.
constexpr uint64_t kSecondKey = 0x9E3779B97F4A7C15ull;

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits.
FT_HOST_DEVICE inline float uniform_float(uint32_t u) { return float(u >> 8) * (1.0f / 16777216.0f); }
FT_HOST_DEVICE inline double uniform_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (uint64_t(hi) << 21) ^ (uint64_t(lo) >> 11);
  return double(bits & ((uint64_t(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

}  // namespace ft::philox
