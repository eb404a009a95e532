#include "cpuinfo.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define FT_CPUINFO_X86 1
#if defined(_MSC_VER)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace ft::cpu {
namespace {

#ifdef FT_CPUINFO_X86
struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
#if defined(_MSC_VER)
  int out[4];
  __cpuidex(out, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<uint32_t>(out[0]);
  r.ebx = static_cast<uint32_t>(out[1]);
  r.ecx = static_cast<uint32_t>(out[2]);
  r.edx = static_cast<uint32_t>(out[3]);
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

uint32_t max_cpuid_leaf(uint32_t base) { return cpuid(base, 0).eax; }

// XCR0: which register state the OS saves on context switches. Inline asm so
// that this file needs no -mxsave flag.
uint64_t read_xcr0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

SimdLevel detect() {
  if (max_cpuid_leaf(0) < 7) return SimdLevel::Scalar;
  const CpuidRegs leaf1 = cpuid(1, 0);
  const bool osxsave = bit(leaf1.ecx, 27);
  const bool avx = bit(leaf1.ecx, 28);
  const bool fma = bit(leaf1.ecx, 12);
  if (!osxsave || !avx) return SimdLevel::Scalar;

  const uint64_t xcr0 = read_xcr0();
  const bool os_saves_ymm = (xcr0 & 0x6) == 0x6;     // bits 1 (SSE), 2 (AVX)
  const bool os_saves_zmm = (xcr0 & 0xE0) == 0xE0;   // bits 5 (opmask), 6, 7 (ZMM)
  if (!os_saves_ymm) return SimdLevel::Scalar;

  const CpuidRegs leaf7 = cpuid(7, 0);
  const bool avx2 = bit(leaf7.ebx, 5);
  if (!avx2 || !fma) return SimdLevel::Scalar;

  const bool avx512f = bit(leaf7.ebx, 16);
  const bool avx512dq = bit(leaf7.ebx, 17);
  const bool avx512bw = bit(leaf7.ebx, 30);
  const bool avx512vl = bit(leaf7.ebx, 31);
  if (os_saves_zmm && avx512f && avx512dq && avx512bw && avx512vl) return SimdLevel::AVX512;
  return SimdLevel::AVX2;
}
#else
SimdLevel detect() { return SimdLevel::Scalar; }
#endif

SimdLevel parse_env_request(SimdLevel fallback) {
  const char* env = std::getenv("FASTTENSOR_SIMD");
  if (env == nullptr || *env == '\0') return fallback;
  auto equals = [env](const char* name) {
    // Case-insensitive compare without <locale>.
    size_t i = 0;
    for (; env[i] != '\0' && name[i] != '\0'; ++i) {
      char c = env[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != name[i]) return false;
    }
    return env[i] == '\0' && name[i] == '\0';
  };
  if (equals("scalar") || equals("none")) return SimdLevel::Scalar;
  if (equals("avx2")) return SimdLevel::AVX2;
  if (equals("avx512")) return SimdLevel::AVX512;
  return fallback;  // unknown value: ignore rather than fail at import time
}

SimdLevel min_level(SimdLevel a, SimdLevel b) {
  return static_cast<int>(a) < static_cast<int>(b) ? a : b;
}

// -1 until first use; then the level in use. Plain atomics so that
// simd_level() is a single load on the hot path.
std::atomic<int> g_detected{-1};
std::atomic<int> g_in_use{-1};

}  // namespace

SimdLevel detected_simd_level() {
  int level = g_detected.load(std::memory_order_acquire);
  if (level < 0) {
    level = static_cast<int>(detect());
    g_detected.store(level, std::memory_order_release);
  }
  return static_cast<SimdLevel>(level);
}

SimdLevel simd_level() {
  int level = g_in_use.load(std::memory_order_acquire);
  if (level < 0) {
    const SimdLevel detected = detected_simd_level();
    const SimdLevel requested = parse_env_request(detected);
    int expected = -1;
    // If set_simd_level() raced with us, its value wins.
    g_in_use.compare_exchange_strong(expected, static_cast<int>(min_level(requested, detected)),
                                     std::memory_order_acq_rel);
    level = g_in_use.load(std::memory_order_acquire);
  }
  return static_cast<SimdLevel>(level);
}

void set_simd_level(SimdLevel level) {
  g_in_use.store(static_cast<int>(min_level(level, detected_simd_level())),
                 std::memory_order_release);
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::Scalar: return "scalar";
    case SimdLevel::AVX2: return "avx2";
    case SimdLevel::AVX512: return "avx512";
  }
  return "unknown";
}

std::string cpu_model_name() {
#ifdef FT_CPUINFO_X86
  if (max_cpuid_leaf(0x80000000u) < 0x80000004u) return "unknown";
  char brand[49];
  for (uint32_t i = 0; i < 3; ++i) {
    const CpuidRegs r = cpuid(0x80000002u + i, 0);
    std::memcpy(brand + 16 * i + 0, &r.eax, 4);
    std::memcpy(brand + 16 * i + 4, &r.ebx, 4);
    std::memcpy(brand + 16 * i + 8, &r.ecx, 4);
    std::memcpy(brand + 16 * i + 12, &r.edx, 4);
  }
  brand[48] = '\0';
  std::string name(brand);
  const size_t first = name.find_first_not_of(' ');
  if (first == std::string::npos) return "unknown";
  const size_t last = name.find_last_not_of(' ');
  return name.substr(first, last - first + 1);
#else
  return "unknown";
#endif
}

}  // namespace ft::cpu
