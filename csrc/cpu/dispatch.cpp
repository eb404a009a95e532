// Picks the CPU kernels for the SIMD level in use (cpuinfo.h) and registers
// them as the CPU backend.
#include "core/backend.h"
#include "cpu/cpuinfo.h"

namespace ft::cpu {
#if FT_CPU_X86
namespace avx512 { Backend* backend(); }
namespace avx2 { Backend* backend(); }
#endif
namespace baseline { Backend* backend(); }

namespace {
Backend* cpu_backend(int) {
  switch (simd_level()) {
#if FT_CPU_X86
    case SimdLevel::AVX512: return avx512::backend();
    case SimdLevel::AVX2: return avx2::backend();
#endif
    default: return baseline::backend();
  }
}
}  // namespace

void register_cpu_backend() { register_backend(DeviceType::CPU, &cpu_backend); }

}  // namespace ft::cpu
