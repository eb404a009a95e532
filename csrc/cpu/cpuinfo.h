// Run-time CPU feature detection and the SIMD level the CPU kernels use.
//
// The library is compiled for the x86-64 baseline; kernels compiled with
// AVX2 / AVX-512 flags live in *_avx2.cpp / *_avx512.cpp files and are only
// called after checking simd_level(). Other processors have the baseline
// level only (FT_CPU_X86 0: the AVX files are not built there).
#pragma once

#include <string>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#define FT_CPU_X86 1
#else
#define FT_CPU_X86 0
#endif

namespace ft::cpu {

enum class SimdLevel { Scalar = 0, AVX2 = 1, AVX512 = 2 };

// What the CPU and the OS support: CPUID feature bits plus XGETBV to check
// that the OS saves the YMM / ZMM / opmask state.
//   AVX2   needs AVX2 + FMA (+ AVX OS support).
//   AVX512 needs AVX512F + DQ + BW + VL (+ ZMM/opmask OS support) and AVX2.
SimdLevel detected_simd_level();

// The level in use: detected_simd_level(), lowered by the environment
// variable FASTTENSOR_SIMD=scalar|avx2|avx512 (read once) or by
// set_simd_level(). Never above the detected level.
SimdLevel simd_level();

// Requests a level (replaces the FASTTENSOR_SIMD request); clamped to the
// detected level. Tests use it to run every code path the CPU supports.
void set_simd_level(SimdLevel level);

// "scalar", "avx2" or "avx512".
const char* simd_level_name(SimdLevel level);

// The CPUID brand string, e.g. "Intel(R) Xeon(R) Processor"; "unknown" when
// the CPU does not report one (or on non-x86 builds).
std::string cpu_model_name();

}  // namespace ft::cpu
