// CPU random fills on Philox (see philox.h): uniform, normal (Box-Muller on
// lane pairs), integers.
#include <cmath>

#include "cpu/kernels.h"
#include "cpu/loops.h"
#include "cpu/philox.h"

namespace ft::cpu::FT_CPU_LEVEL {

namespace {

// f(i, uniform_in_[0,1)_as_double_for_element_i, lanes) for elements in [b, e).
template <class T, class F>
void for_counters(int64_t n, uint64_t seed, uint64_t offset, const F& f) {
  parallel_for(0, (n + 3) / 4, 2048, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const philox::Uint4 r = philox::philox4x32_10(offset + uint64_t(c), seed);
      philox::Uint4 r2{0, 0, 0, 0};
      if constexpr (std::is_same_v<T, double>) r2 = philox::philox4x32_10(offset + uint64_t(c), seed ^ philox::kSecondKey);
      f(c, r, r2);
    }
  });
}

template <class T>
inline T uniform_lane(const philox::Uint4& r, const philox::Uint4& r2, int k) {
  if constexpr (std::is_same_v<T, double>) return philox::uniform_double(philox::lane(r, k), philox::lane(r2, k));
  else return philox::uniform_float(philox::lane(r, k));
}

}  // namespace

void random_uniform(const Tensor& dst, double low, double high, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "uniform_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel();
    const T lo = T(low), span = T(high - low);
    for_counters<T>(n, seed, offset, [&](int64_t c, const philox::Uint4& r, const philox::Uint4& r2) {
      for (int k = 0; k < 4 && c * 4 + k < n; ++k) {
        T v = lo + span * uniform_lane<T>(r, r2, k);
        o[c * 4 + k] = v < T(high) || span == 0 ? v : lo;  // rounding must not reach `high`
      }
    });
  });
}

void random_normal(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_FLOATING_TYPES(dst->dtype(), "normal_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel();
    for_counters<T>(n, seed, offset, [&](int64_t c, const philox::Uint4& r, const philox::Uint4& r2) {
      for (int pair = 0; pair < 2; ++pair) {
        // u1 in (0, 1] so the log is finite.
        const double u1 = 1.0 - double(uniform_lane<T>(r, r2, 2 * pair));
        const double u2 = double(uniform_lane<T>(r, r2, 2 * pair + 1));
        const double radius = std::sqrt(-2.0 * std::log(u1));
        const double angle = 6.283185307179586 * u2;
        const int64_t i0 = c * 4 + 2 * pair;
        if (i0 < n) o[i0] = T(mean + std * radius * std::cos(angle));
        if (i0 + 1 < n) o[i0 + 1] = T(mean + std * radius * std::sin(angle));
      }
    });
  });
}

void random_int(const Tensor& dst, int64_t low, int64_t high, uint64_t seed, uint64_t offset) {
  FT_DISPATCH_ALL_TYPES(dst->dtype(), "random_", [&] {
    using T = scalar_t;
    T* o = dst->data_as<T>();
    const int64_t n = dst->numel();
    const uint64_t range = uint64_t(high - low);
    parallel_for(0, (n + 3) / 4, 2048, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const philox::Uint4 r = philox::philox4x32_10(offset + uint64_t(c), seed);
        const philox::Uint4 r2 = philox::philox4x32_10(offset + uint64_t(c), seed ^ philox::kSecondKey);
        for (int k = 0; k < 4 && c * 4 + k < n; ++k) {
          const uint64_t bits = (uint64_t(philox::lane(r, k)) << 32) | philox::lane(r2, k);
          o[c * 4 + k] = T(low + int64_t(bits % range));
        }
      }
    });
  });
}

}  // namespace ft::cpu::FT_CPU_LEVEL
