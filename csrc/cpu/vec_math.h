// Vectorised elementwise math over contiguous arrays: exp, log, log1p, tanh,
// sigmoid, sin, cos for float and double, plus scalar_* twins.
//
// TECHNIQUE
//   Each function is one branch-free kernel written with GCC vector
//   extensions (`T __attribute__((vector_size(N)))`); N follows the flags of
//   the including translation unit: 64 bytes with AVX-512F, 32 with AVX2,
//   16 otherwise (SSE2).  The array loop runs the kernel on whole vectors
//   (the tail through a zero-padded vector); scalar_* run the same kernel on
//   a broadcast value and return lane 0, so all agree bit for bit (checked
//   by the dev harness).  A handful of intrinsics, under #if per level, cover
//   what GCC would otherwise emit poorly: NaN-preserving min/max clamps,
//   vscalef (AVX-512), float->double widening and the "any lane" test.
//   Rounding to an integer uses the 1.5*2^p "magic add" and exponents are
//   built with shifts, so no int64<->double conversion is needed (AVX2 and
//   SSE2 have none).  Main loops are checked by
//   benchmarks/vec_math_dev/check_asm.py: packed zmm/ymm/xmm code, no calls.
//
//   Everything sits in an anonymous namespace (internal linkage): this header
//   is compiled into several TUs with different -m flags, so any same-named
//   inline function would be an ODR trap.  For the same reason only
//   __builtin_* / intrinsics are called here (no inline std:: wrappers that
//   the linker could pick from an AVX-512 TU for an SSE2 caller).
//
//   Algorithms (our own; classic reduction + minimax polynomials whose
//   coefficients come from benchmarks/vec_math_dev/gen_coeffs.py):
//     exp     x = n ln2 + r, |r| <= ln2/2 (Cody-Waite two-part ln2),
//             e^r = 1 + r + r^2 q(r); p * 2^n by vscalef (AVX-512) or as two
//             normal factors 2^floor(n/2) * 2^(n-floor(n/2)), so overflow and
//             gradual underflow round once, like the exact result.
//     log     x = 2^e m, m in [sqrt(1/2), sqrt(2)), f = m-1, s = f/(2+f),
//             log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)) (keeps f exact).
//     log1p   u = 1+x rounded, its exact rounding error c (Fast2Sum) is
//             folded in as c/u: log1p(x) = log(u) + c/u.
//     tanh    |x| < 0.55: x + x^3 P(x^2); else 1 - 2/(e^{2|x|} + 1); sign
//             copied back (odd, keeps -0).
//     sigmoid double: E = e^{-|x|} (never overflows), x >= 0: 1/(1+E),
//             x < 0: E/(1+E): no NaN at +-inf, correct gradual underflow.
//             float: 1/(1+exp(-x)) in float, as PyTorch (see below); AVX2
//             and AVX-512 on a 1-ulp float-lane exp (exp_f32_for_sigmoid).
//     sin/cos double: n = round(x 2/pi), r = x - n pi/2 with pi/2 split in
//             4 parts (three 33-bit parts give exact products for
//             |n| < 2^20) carried as a double-double (hi, lo) via exact
//             TwoSums; sin/cos polynomials on hi with first-order lo terms,
//             quadrant n mod 4 picks sin/cos and sign.
//             float: evaluated in double and rounded once: r = x - m pi/2,
//             m even (sin) / odd (cos), |r| <= pi/2, one odd polynomial,
//             sign from the parity of m/2.
//             Fast path for |x| <= 2^20 (double) / 2^24 (float); lanes
//             beyond fall back to libm sin/cos (scalar; rare in practice).
//
// MEASURED ACCURACY: max error in ulp vs the correctly rounded result, from
// benchmarks/vec_math_dev (long-double reference; float: every 61st bit
// pattern of all 2^32 plus dense/random sweeps, ~72M inputs per function;
// double: 2.8M-6.8M inputs: random bit patterns, log-uniform magnitudes,
// dense sweeps, values next to k*pi/2, thresholds).  Columns: SSE2 / AVX2 /
// AVX-512 build (AVX2 and AVX-512 use FMA).
//     function   float               double
//     exp        0.50 (correctly rounded: evaluated in double;    0.97 / 0.87 / 0.87
//                AVX2, AVX-512: float lanes, undecided vectors
//                redone in double; all 2^32 inputs checked at both,
//                --exp-exhaustive)
//     log        0.84 / 0.84 / 0.84  0.80 / 0.80 / 0.80  (incl. subnormal inputs)
//     log1p      0.81 / 0.80 / 0.80  0.82 / 0.78 / 0.78
//     tanh       0.50 (evaluated in double)                      1.38 / 1.50 / 1.50
//     sigmoid    2.48 / 2.48 / 2.48 (all 2^32 inputs: the error of  2.17 / 2.17 / 2.17
//                PyTorch's formula itself, 2.48 at x = -16.6357 on
//                the correctly rounded exp too; SSE2 runs that)
//     sin        0.50 / 0.50 / 0.50  0.76 / 0.76 / 0.76  (whole range, incl. fallback)
//     cos        0.50 / 0.50 / 0.50  0.76 / 0.76 / 0.76
//
// SPECIAL VALUES (all tested by the harness, every lane position)
//   NaN -> NaN everywhere.
//   exp: +inf -> +inf, overflow -> +inf, -inf -> +0, underflow -> subnormal/+0.
//   log: +-0 -> -inf, x < 0 -> NaN, +inf -> +inf, subnormal inputs accurate.
//   log1p: -1 -> -inf, x < -1 -> NaN, +inf -> +inf, +-0 and tiny x -> x.
//   tanh: +-inf -> +-1, +-0 -> +-0, tiny x -> x, |x| > 9.01 (f) / 19.06 (d) -> +-1.
//   sigmoid: +inf -> 1, -inf -> +0 (no NaN); sigmoid(-100) = 0 in float
//            (1/(1+inf), as PyTorch), 3.7e-44 in double; double below
//            -709.78 (where e^-x overflows) -> 0, as PyTorch.
//   sin/cos: +-inf -> NaN, sin(+-0) = +-0, cos(+-0) = 1.
//
// RESULTS ACROSS SIMD LEVELS may differ in the last bit: with -mfma GCC
// contracts a*b+c into fused multiply-adds, which SSE2 cannot.  Within one
// translation unit, scalar_* and vec_* agree exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FT_VM_X86 1
#else
#define FT_VM_X86 0
#endif
// Fused multiply-add in hardware: x86 with -mfma, and every aarch64 (where
// GCC and Clang contract a*b + c by default, as GCC does here under -mfma).
#if defined(__FMA__) || defined(__aarch64__)
#define FT_VM_FMA 1
#else
#define FT_VM_FMA 0
#endif

namespace ft::cpu {
namespace {
namespace vm {

#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX2__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif

typedef float vf __attribute__((vector_size(kVecBytes)));
typedef double vd __attribute__((vector_size(kVecBytes)));
typedef uint32_t vu32 __attribute__((vector_size(kVecBytes)));
typedef uint64_t vu64 __attribute__((vector_size(kVecBytes)));
typedef int32_t vi32 __attribute__((vector_size(kVecBytes)));
// Half-width float vector: as many floats as vd has doubles (float sin/cos
// run in double precision).
typedef float vfh __attribute__((vector_size(kVecBytes / 2)));

// Element type S, same-width unsigned integer vector U and its element UE.
template <class V> struct Tr;
template <> struct Tr<vf> { using S = float; using U = vu32; using UE = uint32_t; };
template <> struct Tr<vd> { using S = double; using U = vu64; using UE = uint64_t; };

template <class V> using S_ = typename Tr<V>::S;
template <class V> using U_ = typename Tr<V>::U;

template <class V> inline V splat(S_<V> s) {
  V v;
  for (int i = 0; i < int(sizeof(V) / sizeof(s)); ++i) v[i] = s;  // folds to a broadcast
  return v;
}
template <class V> inline U_<V> bits(V v) { return __builtin_bit_cast(U_<V>, v); }
template <class V> inline V from_bits(U_<V> u) { return __builtin_bit_cast(V, u); }
// m is a comparison result: a 0/-1 lane mask.
template <class M, class V> inline V sel(M m, V a, V b) { return m ? a : b; }
// Bitwise select with an all-ones/all-zeros integer mask (no compare needed).
template <class V> inline V bsel(U_<V> m, V a, V b) { return from_bits<V>((bits(a) & m) | (bits(b) & ~m)); }

template <class V> inline U_<V> sign_mask() { return U_<V>{} + (typename Tr<V>::UE(1) << (8 * sizeof(S_<V>) - 1)); }
template <class V> inline V vabs(V v) { return from_bits<V>(bits(v) & ~sign_mask<V>()); }
template <class V> inline V copysign_pos(V mag, V sgn) {  // mag >= 0
  return from_bits<V>(bits(mag) | (bits(sgn) & sign_mask<V>()));
}
// True if any lane of a (vd) exceeds b.  Straight to a movemask / k-mask
// test: the generic vector compare would materialise a lane mask first.
inline bool any_gt(vd a, double b) {
#if defined(__AVX512F__)
  return _mm512_cmp_pd_mask((__m512d)a, _mm512_set1_pd(b), _CMP_GT_OQ) != 0;
#elif defined(__AVX2__)
  return _mm256_movemask_pd(_mm256_cmp_pd((__m256d)a, _mm256_set1_pd(b), _CMP_GT_OQ)) != 0;
#elif FT_VM_X86
  return _mm_movemask_pd(_mm_cmpgt_pd((__m128d)a, _mm_set1_pd(b))) != 0;
#else
  const U_<vd> gt = (U_<vd>)(a > splat<vd>(b));
  uint64_t any = 0;
  for (int i = 0; i < int(sizeof(vd) / sizeof(double)); ++i) any |= gt[i];
  return any != 0;
#endif
}

// Horner: c0 + z*(c1 + z*(c2 + ...)).  GCC contracts it to FMAs under -mfma.
template <class V, class S> inline V poly(V, S c) { return splat<V>(c); }
template <class V, class S, class... R> inline V poly(V z, S c, R... rest) { return poly(z, rest...) * z + c; }

// x86 min/max return their second operand when either is NaN, so with the
// bound first these clamp x and let a NaN x through (one instruction; GCC
// emits compare+blend for the equivalent ?: without -ffinite-math-only).
// The AVX-512 forms are the masked intrinsics with an all-ones mask (same
// instruction): the unmasked ones trip GCC 12's -Wmaybe-uninitialized on
// their internal _mm512_undefined_ps().
template <class V> inline V min_keep_nan(V x, S_<V> c) {
  const V k = splat<V>(c);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<V, vf>) return (V)_mm512_mask_min_ps((__m512)k, __mmask16(-1), (__m512)k, (__m512)x);
  else return (V)_mm512_mask_min_pd((__m512d)k, __mmask8(-1), (__m512d)k, (__m512d)x);
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<V, vf>) return (V)_mm256_min_ps((__m256)k, (__m256)x);
  else return (V)_mm256_min_pd((__m256d)k, (__m256d)x);
#elif FT_VM_X86
  if constexpr (std::is_same_v<V, vf>) return (V)_mm_min_ps((__m128)k, (__m128)x);
  else return (V)_mm_min_pd((__m128d)k, (__m128d)x);
#else
  return sel(k < x, k, x);  // x86's rule: x unless k < x (so a NaN x stays)
#endif
}
template <class V> inline V max_keep_nan(V x, S_<V> c) {
  const V k = splat<V>(c);
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<V, vf>) return (V)_mm512_mask_max_ps((__m512)k, __mmask16(-1), (__m512)k, (__m512)x);
  else return (V)_mm512_mask_max_pd((__m512d)k, __mmask8(-1), (__m512d)k, (__m512d)x);
#elif defined(__AVX2__)
  if constexpr (std::is_same_v<V, vf>) return (V)_mm256_max_ps((__m256)k, (__m256)x);
  else return (V)_mm256_max_pd((__m256d)k, (__m256d)x);
#elif FT_VM_X86
  if constexpr (std::is_same_v<V, vf>) return (V)_mm_max_ps((__m128)k, (__m128)x);
  else return (V)_mm_max_pd((__m128d)k, (__m128d)x);
#else
  return sel(k > x, k, x);  // x86's rule: x unless k > x (so a NaN x stays)
#endif
}

// ---------------------------------------------------------------- exp ----
// Input range promised by the caller: kAny (whole range, incl. overflow and
// gradual underflow), kNonPos (x <= 0 or NaN), kNormal (e^x is a normal
// number: no clamping, single-factor scaling).
enum ExpRange { kAny, kNonPos, kNormal };

// p * 2^n for integral n.  AVX-512 has this as one instruction (vscalef),
// rounding once into the subnormal range or to inf.  Elsewhere 2^n is applied
// as two factors 2^n1 * 2^(n-n1), n1 = floor(n/2), both normal for the
// clamped n: p*2^n1 is exact and the second product rounds once, the same
// result.  `nb` is n + 2*bias (>= 0), from the caller's magic-add bits.
inline vd scale_pow2(vd p, vd n, vu64 nb) {
#if defined(__AVX512F__)
  (void)nb;
  return (vd)_mm512_mask_scalef_pd((__m512d)p, __mmask8(-1), (__m512d)p, (__m512d)n);
#else
  (void)n;
  const vu64 n1b = nb >> 1;  // floor(n/2) + bias
  return (p * from_bits<vd>(n1b << 52)) * from_bits<vd>((nb - n1b) << 52);
#endif
}

// 1 + r + r^2 q.  With FMA, Horner (1 + r*(1 + r*q)) is both shortest and
// most accurate (float exp max 0.87 ulp vs 0.97); with separate mul/add
// roundings, 1 + (r + r^2 q) is better (0.96 ulp vs 1.13), same op count.
template <class V> inline V exp_poly_tail(V r, V q) {
#if FT_VM_FMA
  return (q * r + S_<V>(1)) * r + S_<V>(1);
#else
  return (r + (r * r) * q) + S_<V>(1);
#endif
}

template <int kRange, class V> inline V exp_f64(V x) {
  // e^x overflows above 709.79 and rounds to 0 below -745.14; |n| <= 1082.
  if constexpr (kRange == kAny) x = min_keep_nan(x, 710.0);
  if constexpr (kRange != kNormal) x = max_keep_nan(x, -750.0);
  const V t = x * 0x1.71547652b82fep+0 + 0x1.8p52;
  const V n = t - 0x1.8p52;
  // ln2 hi has 42 significant bits: n*hi exact for |n| < 2^11.
  V r = x - n * 0x1.62e42fefa38p-1;
  r = r - n * 0x1.ef35793c7673p-45;
  // e^r = 1 + r + r^2 q(r), q minimax with relative error 2^-56.8 on |r| <= 0.347.
  const V q = poly(r, 0x1.000000000000ap-1, 0x1.55555555554f8p-3, 0x1.5555555550754p-5, 0x1.111111112816ep-7,
                   0x1.6c16c1846fc9p-10, 0x1.a01a0128feb06p-13, 0x1.a0199944591a1p-16, 0x1.71df271ddc746p-19,
                   0x1.28ae3467cb30ep-22, 0x1.ad7e8c39ae246p-26);
  const V p = exp_poly_tail(r, q);
  if constexpr (kRange == kNormal) {
#if defined(__AVX512F__)
    return scale_pow2(p, n, U_<V>{});
#else
    return p * from_bits<V>((bits(t) + 1023u) << 52);
#endif
  } else {
    return scale_pow2(p, n, bits(t) - (0x4338000000000000ull - 2046u));  // n + 2046
  }
}

// ---------------------------------------------------------------- log ----
// Shared tail of log and log1p: u = 2^e * (1+f) with f exact; `corr` is an
// extra absolute term added to the result (log1p's c/u, 0 for log).
// log(1+f) = 2 atanh(s) = f - hfsq + s*(hfsq + R), s = f/(2+f), hfsq = f^2/2.
template <class V> inline V log_tail_f32(V e, V f, V corr) {
  const V s = f / (2.0f + f);
  const V z = s * s;
  // R(z) = z*g(z) ~ 2z/3 + 2z^2/5 + ...; minimax, relative error 2^-29.9.
  const V R = z * poly(z, 0x1.55557ap-1f, 0x1.995e7cp-2f, 0x1.31eap-2f);
  const V hfsq = 0.5f * f * f;
  // ln2 hi has 16 significant bits: e*hi exact for |e| < 2^8.
  return e * 0x1.62e4p-1f - ((hfsq - (s * (hfsq + R) + (e * 0x1.7f7d1cp-20f + corr))) - f);
}
template <class V> inline V log_tail_f64(V e, V f, V corr) {
  const V s = f / (2.0 + f);
  const V z = s * s;
  const V R = z * poly(z, 0x1.5555555555593p-1, 0x1.999999997f8a8p-2, 0x1.249249423e486p-2, 0x1.c71c51c675a61p-3,
                       0x1.74664d74df176p-3, 0x1.39a02f0e0da87p-3, 0x1.2f15ba2f47c0dp-3);
  const V hfsq = 0.5 * f * f;
  // ln2 hi has 42 significant bits: e*hi exact for |e| < 2^11.
  return e * 0x1.62e42fefa38p-1 - ((hfsq - (s * (hfsq + R) + (e * 0x1.ef35793c7673p-45 + corr))) - f);
}

// Splits a positive normal x into e and m = x / 2^e in [sqrt(1/2), sqrt(2)).
// Adding (1.0 - sqrt(1/2)) bit patterns makes the exponent field carry over
// exactly when m >= sqrt(2), so one shift gives e+bias, with no compare.
template <class V> inline void split_f32(V x, V& e, V& m) {
  const U_<V> ix = bits(x) + (0x3f800000u - 0x3f3504f3u);
  // Signed conversion: the value is < 512 and unsigned->float is emulated
  // (slowly) below AVX-512.
  e = __builtin_convertvector((vi32)(ix >> 23), vf) - 127.0f;
  m = from_bits<V>((ix & 0x007fffffu) + 0x3f3504f3u);
}
template <class V> inline void split_f64(V x, V& e, V& m) {
  const U_<V> ix = bits(x) + (0x3ff0000000000000ull - 0x3fe6a09e667f3bcdull);
  // Biased exponent (0..4095) to double without an int64 conversion (none on
  // AVX2): place it in the mantissa of 1.5*2^52 and subtract.
  e = from_bits<V>((ix >> 52) + 0x4338000000000000ull) - (0x1.8p52 + 1023.0);
  m = from_bits<V>((ix & 0x000fffffffffffffull) + 0x3fe6a09e667f3bcdull);
}

// Result for inputs outside (0, inf): 0 -> -inf, < 0 -> NaN, +inf / NaN as is.
template <class V> inline V log_special(V x, V r) {
  using S = S_<V>;
  const V special = sel(x == S(0), splat<V>(-__builtin_inf()), sel(x < S(0), splat<V>(__builtin_nan("")), x));
  return sel((x > S(0)) & (x < S(__builtin_inf())), r, special);
}

template <class V> inline V log_f32(V x) {
  // Subnormals: scale by 2^25 first so the bit split sees a normal number.
  const auto tiny = x < 0x1p-126f;
  const V xs = sel(tiny, x * 0x1p25f, x);
  V e, m;
  split_f32(xs, e, m);
  e = e - sel(tiny, splat<V>(25.0f), splat<V>(0.0f));
  return log_special(x, log_tail_f32(e, m - 1.0f, splat<V>(0.0f)));
}
template <class V> inline V log_f64(V x) {
  const auto tiny = x < 0x1p-1022;
  const V xs = sel(tiny, x * 0x1p54, x);
  V e, m;
  split_f64(xs, e, m);
  e = e - sel(tiny, splat<V>(54.0), splat<V>(0.0));
  return log_special(x, log_tail_f64(e, m - 1.0, splat<V>(0.0)));
}

// log1p(x) = log(u) + c/u, u = fl(1+x), c = (1+x) - u exactly (Fast2Sum with
// the larger-magnitude operand first).  For x > -1, u >= 2^-24 (2^-53) is a
// normal number, so no subnormal scaling is needed.
template <class V> inline V log1p_f32(V x) {
  const V u = 1.0f + x;
  const V c = sel(vabs(x) < 1.0f, x - (u - 1.0f), 1.0f - (u - x));
  V e, m;
  split_f32(u, e, m);
  const V r = log_special(u, log_tail_f32(e, m - 1.0f, c / u));
  return sel(vabs(x) < 0x1p-25f, x, r);  // log1p(x) rounds to x; keeps -0
}
template <class V> inline V log1p_f64(V x) {
  const V u = 1.0 + x;
  const V c = sel(vabs(x) < 1.0, x - (u - 1.0), 1.0 - (u - x));
  V e, m;
  split_f64(u, e, m);
  const V r = log_special(u, log_tail_f64(e, m - 1.0, c / u));
  return sel(vabs(x) < 0x1p-54, x, r);
}

// --------------------------------------------------------------- tanh ----
// Below 0.55 the odd polynomial; above, 1 - 2/(e^{2a}+1), where the
// subtraction no longer amplifies the error of e^{2a} (tanh >= 0.5).
template <class V> inline V tanh_f64(V x) {
  const V a = vabs(x);
  const V z = a * a;
  // minimax relative error 2^-58.4 on [0, 0.55].
  const V small = a + (a * z) * poly(z, -0x1.555555555554fp-2, 0x1.1111111110771p-3, -0x1.ba1ba1b97ae1cp-5,
                                     0x1.664f4858d478p-6, -0x1.226e2effefc4cp-7, 0x1.d6d29842782e7p-9,
                                     -0x1.7d8fa7abbc4d2p-10, 0x1.34823b36dafddp-11, -0x1.e960a4d3aae8bp-13,
                                     0x1.5d47f0e90f321p-14, -0x1.46a0d16a8946ep-16);
  // tanh rounds to 1 beyond 19.06.
  const V ac = min_keep_nan(a, 20.0);
  const V E = exp_f64<kNormal>(ac + ac);
  const V large = 1.0 - 2.0 / (E + 1.0);
  return copysign_pos(sel(a < 0.55, small, large), x);
}

// ------------------------------------------------------------ sigmoid ----
// num / (1 + E) with E = e^{-|x|} in [0, 1] (never overflows) and num = 1
// (x >= 0) or E (x < 0): relative accuracy everywhere.  Max error 2.1 ulp, mostly from rounding 1 + E.  (Keeping
// 1 + E as a double-word and a Newton step on the quotient measured 1.4 ulp
// but cost 25% of the speed; not worth it for an activation.)
template <class V> inline V sigmoid_tail(V x, V E) {
  using S = S_<V>;
  return sel(x < S(0), E, splat<V>(S(1))) / (S(1) + E);
}
// PyTorch's 1 / (1 + e^-x) is 0 once e^-x overflows (x < -log(DBL_MAX)),
// where the exact value is still a subnormal: 0 there too, so the values print
// as PyTorch's.
template <class V> inline V sigmoid_f64(V x) {
  return sel(x < -0x1.62e42fefa39efp+9, splat<V>(0.0), sigmoid_tail(x, exp_f64<kNonPos>(-vabs(x))));
}

// ------------------------------------------------------------ sin/cos ----
// Lanes with |x| above these bounds are recomputed with libm (scalar).
constexpr float kTrigBoundF = 0x1p24f;  // m < 2^24: m * 29-bit pi/2 part exact
constexpr double kTrigBoundD = 0x1p20;  // n < 2^20: n * 33-bit pi/2 parts exact

// Picks sin or cos polynomial and the sign from the quadrant bits q (the low
// bits of n; for cos, n+1 since cos(x) = sin(x + pi/2)).
template <class V> inline V quadrant(U_<V> q, V s, V c) {
  const U_<V> odd = U_<V>{} - (q & 1u);  // all ones when q is odd
  const V r = bsel<V>(odd, c, s);
  return from_bits<V>(bits(r) ^ ((q & 2u) << (8 * sizeof(S_<V>) - 2)));
}

// float sin/cos evaluated in double (V = double or vd), rounded by the caller.
// Reduction by pi (not pi/2) so one odd polynomial serves both:
//   sin(x) = (-1)^n sin(x - n pi),             n = round(x/pi)
//   cos(x) = (-1)^(n+1) sin(x - (n + 1/2) pi), n = round(x/pi - 1/2)
// i.e. r = x - m pi/2 with m = 2n (sin) or 2n+1 (cos), |r| <= pi/2.
template <bool kCos, class V> inline V sincos_f32_in_f64(V x) {
  V u = x * 0x1.45f306dc9c883p-2;  // x / pi
  if constexpr (kCos) u = u - 0.5;
  const V t = u + 0x1.8p52;
  const V n = t - 0x1.8p52;
  V m = n + n;
  if constexpr (kCos) m = m + 1.0;
  // pi/2 = 29-bit hi + lo: m*hi exact for |m| < 2^24, x - m*hi exact when
  // the result is small (Sterbenz); the second step's error (~2^-57
  // absolute) is far below float resolution.
  const V r = (x - m * 0x1.921fb54p+0) - m * 0x1.10b4611a62633p-30;
  const V z = r * r;
  // sin(r) = r (1 + z S(z)), minimax relative error 2^-35.3 on |r| <= pi/2;
  // the product form keeps the sign of r = -0 (sin(-0) = -0).
  const V s = r * (1.0 + z * poly(z, -0x1.5555554744b93p-3, 0x1.11110c4001101p-7, -0x1.a017d6436d0fap-13,
                                  0x1.71700ee5b6afcp-19, -0x1.9a5e5397bf75p-26));
  U_<V> sign = bits(t) << 63;  // parity of n, in the sign bit
  if constexpr (kCos) sign = sign ^ sign_mask<V>();
  return from_bits<V>(bits(s) ^ sign);
}

// Error-free a + b = s + err (Knuth's TwoSum; no magnitude precondition).
template <class V> inline V two_sum_err(V a, V b, V s) {
  const V bb = s - a;
  return (a - (s - bb)) + (b - bb);
}

template <bool kCos, class V> inline V sincos_f64(V x) {
  const V t = x * 0x1.45f306dc9c883p-1 + 0x1.8p52;
  const V n = t - 0x1.8p52;
  // pi/2 = C1 + C2 + C3 + C4, C1..C3 with 33 significant bits so n*Ck is exact
  // for |n| < 2^20; residual 7e-49.  x - n*C1 is exact (Sterbenz); the next
  // two subtractions are made exact with TwoSum, giving r = hi + lo with an
  // error ~2^-105 |r| even when x is close to a multiple of pi/2.
  const V a = x - n * 0x1.921fb544p+0;
  const V p2 = n * 0x1.0b4611a6p-34;
  const V s1 = a - p2;
  const V e1 = two_sum_err(a, -p2, s1);
  const V p3 = n * 0x1.3198a2ep-69;
  const V s2 = s1 - p3;
  const V e2 = two_sum_err(s1, -p3, s2);
  const V lo0 = (e1 + e2) - n * 0x1.b839a252049c1p-104;
  const V hi = s2 + lo0;
  const V lo = lo0 - (hi - s2);
  const V z = hi * hi;
  // sin(hi+lo) ~ sin(hi) + lo (1 - hi^2/2); minimax relative error 2^-56.8.
  const V s = hi + ((hi * z) * poly(z, -0x1.5555555555548p-3, 0x1.111111110f78fp-7, -0x1.a01a019bf5789p-13,
                                    0x1.71de35603ae99p-19, -0x1.ae5e546f07dc7p-26, 0x1.5d8dfd3deae0fp-33) +
                    lo * (1.0 - 0.5 * z));
  // cos(hi+lo) ~ cos(hi) - lo hi; 1 - z/2 is computed as w plus its exact
  // rounding error so the leading terms lose nothing.  Relative error 2^-59.2.
  const V hz = 0.5 * z;
  const V w = 1.0 - hz;
  const V cz = (z * z) * poly(z, 0x1.555555555554bp-5, -0x1.6c16c16c14f47p-10, 0x1.a01a019c7cda7p-16,
                              -0x1.27e4f7e53eb45p-22, 0x1.1ee9d3dccf256p-29, -0x1.8fa2910aaa372p-37);
  const V c = w + (((1.0 - w) - hz) + (cz - hi * lo));
  U_<V> q = bits(t);
  if constexpr (kCos) q = q + 1u;
  const V y = quadrant<V>(q, s, c);
  if constexpr (kCos) {
    return y;
  } else {
    return sel(vabs(x) < 0x1p-26, x, y);  // sin(x) rounds to x; keeps -0
  }
}

template <bool kCos> inline float trig_fallback(float x) {
  return float(kCos ? __builtin_cos(double(x)) : __builtin_sin(double(x)));
}
template <bool kCos> inline double trig_fallback(double x) { return kCos ? __builtin_cos(x) : __builtin_sin(x); }

template <bool kCos> inline float sincos_scalar(float x) {
  if (__builtin_fabsf(x) > kTrigBoundF) return trig_fallback<kCos>(x);
  return float(sincos_f32_in_f64<kCos>(splat<vd>(double(x)))[0]);
}
template <bool kCos> inline double sincos_scalar(double x) {
  if (__builtin_fabs(x) > kTrigBoundD) return trig_fallback<kCos>(x);
  return sincos_f64<kCos>(splat<vd>(x))[0];
}

// ------------------------------------------------------------ drivers ----
// Applies a kernel to full vectors, then to the tail through a zero-padded
// vector (so tail results are bitwise those of the main loop).  Each vector
// is loaded before its result is stored, so y may alias x.
template <class VT, class T, class K> inline void apply(const T* x, T* y, int64_t n, K kernel) {
  constexpr int64_t W = sizeof(VT) / sizeof(T);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    VT v;
    __builtin_prefetch(x + i + 1024 / sizeof(T) * 4);  // 4 KB ahead: hides DRAM latency behind the math
    __builtin_memcpy(&v, x + i, sizeof(v));
    v = kernel(v);
    __builtin_memcpy(y + i, &v, sizeof(v));
  }
  if (i < n) {
    VT v{};
    __builtin_memcpy(&v, x + i, size_t(n - i) * sizeof(T));
    v = kernel(v);
    __builtin_memcpy(y + i, &v, size_t(n - i) * sizeof(T));
  }
}

// float -> double, one instruction (GCC 12 splits __builtin_convertvector
// for these widths into halves and inserts).
inline vd widen(vfh h) {
#if defined(__AVX512F__)
  return (vd)_mm512_maskz_cvtps_pd(__mmask8(-1), (__m256)h);  // maskz: see min_keep_nan
#elif defined(__AVX2__)
  return (vd)_mm256_cvtps_pd((__m128)h);
#elif FT_VM_X86
  return (vd)_mm_cvtps_pd(_mm_castsi128_ps(_mm_cvtsi64_si128(__builtin_bit_cast(long long, h))));
#else
  return __builtin_convertvector(h, vd);
#endif
}

// sin/cos: vd-wide blocks; T = float loads a half-width float vector and
// widens it.  Lanes past the fast-path bound are redone with libm.
template <bool kCos, class T> inline void apply_trig(const T* x, T* y, int64_t n) {
  using VL = std::conditional_t<std::is_same_v<T, float>, vfh, vd>;  // load/store type
  constexpr int64_t W = sizeof(vd) / sizeof(double);
  constexpr double bound = std::is_same_v<T, float> ? double(kTrigBoundF) : kTrigBoundD;
  auto block = [](VL in) {
    vd xd;
    if constexpr (std::is_same_v<T, float>) {
      xd = widen(in);
    } else {
      xd = in;
    }
    VL out;
    if constexpr (std::is_same_v<T, float>) {
      out = __builtin_convertvector(sincos_f32_in_f64<kCos>(xd), vfh);
    } else {
      out = sincos_f64<kCos>(xd);
    }
    const vd ax = vabs(xd);
    if (__builtin_expect(any_gt(ax, bound), 0)) {
      for (int l = 0; l < int(W); ++l)
        if (ax[l] > bound) out[l] = trig_fallback<kCos>(T(xd[l]));  // exact: xd holds a T
    }
    return out;
  };
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    VL v;
    __builtin_memcpy(&v, x + i, sizeof(v));
    v = block(v);
    __builtin_memcpy(y + i, &v, sizeof(v));
  }
  if (i < n) {
    VL v{};
    __builtin_memcpy(&v, x + i, size_t(n - i) * sizeof(T));
    v = block(v);
    __builtin_memcpy(y + i, &v, size_t(n - i) * sizeof(T));
  }
}

// float exp and tanh are evaluated in double and rounded once: the result
// is then the correctly rounded float (the double kernels' ~1-2 ulp of
// double is far below half a float ulp), so printed values match PyTorch's
// to the last digit (e.g. exp(10) = 22026.4648, where a 0.9-ulp float
// kernel can give 22026.4668). The price: half as many lanes per vector,
// about 1.6 G elements/s per core. With AVX-512 or AVX2, exp runs
// exp_f32_lanes below instead (same results; AVX-512: 2.0 G elements/s per
// core, torch's 1-ulp float kernel: 3.4).
inline vfh exp_f32_in_f64(vfh x) { return __builtin_convertvector(exp_f64<kAny>(widen(x)), vfh); }
inline vfh tanh_f32_in_f64(vfh x) { return __builtin_convertvector(tanh_f64(widen(x)), vfh); }
// sigmoid in float as PyTorch evaluates it, 1 / (1 + exp(-x)) with each step
// rounded to float: the printed values agree with PyTorch's (a correctly
// rounded sigmoid would differ from them in the last printed digit now and
// then). Here on the correctly rounded exp (SSE2); AVX2 and AVX-512 use
// sigmoid_f32_lanes below.
inline vfh sigmoid_f32_in_f64(vfh x) { return 1.0f / (1.0f + exp_f32_in_f64(-x)); }

#if defined(__AVX512F__) || defined(__AVX2__)
#define FT_VM_EXP_F32_LANES 1
// ------------------------------------------- float exp in float lanes ----
// AVX-512 and AVX2: the same correctly rounded float exp as exp_f32_in_f64,
// with 16 (8) float lanes per vector instead of 8 (4) doubles, and the double
// kernel as the fallback for the rare vectors it cannot decide.
//   n = round(32 x / ln2) = 32 k + j; r = x - n C1 is exact (an FMA; C1 is
//   ln2/32 rounded to float: for n != 0, |x| >= ln2/64 puts x on a grid of
//   2^-30 or coarser and |r| < 2^-6, so r fits 24 bits) and r_lo = -n C2
//   (C2 = ln2/32 - C1) carries the rest of the reduction to ~2^-41.
//   2^(j/32) = T_hi + T_lo: two 32-entry tables, indexed by the low 5 bits of
//   the magic-add result t (which hold j): one vpermi2ps each (AVX-512), or
//   four vpermps and three blends on those bits (AVX2, no gather: slow on
//   AMD and on Intel cores with the Downfall microcode).
//   e^x / 2^k = T (1 + r + tail), tail = r_lo + rs^2 q(rs), rs = r + r_lo,
//   q the Taylor polynomial to r^3/120 (truncation below 2^-45 on
//   |r| <= ln2/64), summed as a + d: a = fma(T_hi, r, T_hi) rounded once,
//   e1 = its rounding error (exact: T_hi - a is, by Sterbenz),
//   d = e1 + T_hi tail + T_lo (1 + r). a + d is within ~2^-36 (relative) of
//   e^x / 2^k; y = a + d rounded is then the correctly rounded result unless
//   a + d lies that close to a rounding midpoint. The residual z = (a - y) + d
//   (exact) measures that: when |z| is within 2^-10 of half an ulp of y (or
//   of a quarter ulp: the midpoint below a power of two), the vector is
//   recomputed in double. So is any vector with a lane outside [-87, 88]
//   (overflow, subnormal results, +-inf, NaN). In [-87, 88], k = floor(n/32)
//   lies in [-126, 126] and y 2^k is a normal float: vscalef (AVX-512) or a
//   product with 2^k built from k's bits (AVX2), exact either way. Checked on
//   all 2^32 floats against expl rounded once to float, at both levels: no
//   mismatch (benchmarks/vec_math_dev, --exp-exhaustive).
alignas(64) constexpr float kExp2TabHi[32] = {
    0x1p+0f,        0x1.059b0ep+0f, 0x1.0b5586p+0f, 0x1.11301ep+0f, 0x1.172b84p+0f, 0x1.1d4874p+0f, 0x1.2387a6p+0f,
    0x1.29e9ep+0f,  0x1.306fep+0f,  0x1.371a74p+0f, 0x1.3dea64p+0f, 0x1.44e086p+0f, 0x1.4bfdaep+0f, 0x1.5342b6p+0f,
    0x1.5ab07ep+0f, 0x1.6247ecp+0f, 0x1.6a09e6p+0f, 0x1.71f75ep+0f, 0x1.7a1148p+0f, 0x1.82589ap+0f, 0x1.8ace54p+0f,
    0x1.93737cp+0f, 0x1.9c4918p+0f, 0x1.a5503cp+0f, 0x1.ae89fap+0f, 0x1.b7f77p+0f,  0x1.c199bep+0f, 0x1.cb720ep+0f,
    0x1.d5818ep+0f, 0x1.dfc974p+0f, 0x1.ea4afap+0f, 0x1.f50766p+0f};
alignas(64) constexpr float kExp2TabLo[32] = {
    0x0p+0f,         -0x1.9d4f52p-25f, 0x1.9f3122p-25f,  -0x1.fdb496p-25f, -0x1.c15742p-27f, -0x1.d2e8cap-25f,
    0x1.ceac48p-25f, -0x1.5c0424p-25f, 0x1.4636e2p-25f,  -0x1.18aac6p-25f, 0x1.824684p-25f,  0x1.8624b4p-30f,
    -0x1.593abcp-25f, -0x1.2c561p-25f, -0x1.5bd5ecp-27f, -0x1.f8b55p-25f,  0x1.9fcef4p-26f,  0x1.1d8beep-25f,
    -0x1.829fd0p-25f, -0x1.accc7cp-26f, 0x1.15506ep-27f, -0x1.e64744p-25f, 0x1.51f848p-27f,  -0x1.b83b54p-25f,
    -0x1.a94b14p-26f, -0x1.a09438p-25f, -0x1.3d56b2p-27f, -0x1.8837ccp-27f, -0x1.822dbcp-27f, -0x1.908c94p-25f,
    0x1.52486cp-27f,  -0x1.246ebp-26f};

#if defined(__AVX512F__)
// Explicit FMAs where exactness depends on the single rounding.
inline vf fma_f(vf a, vf b, vf c) { return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c); }

inline vf exp2_table(const float* tab, vf t) {
  return (vf)_mm512_permutex2var_ps(_mm512_load_ps(tab), (__m512i)t, _mm512_load_ps(tab + 16));
}
inline bool all_in_exp_range(vf x) {
  return (_mm512_cmp_ps_mask((__m512)x, _mm512_set1_ps(-87.0f), _CMP_GE_OQ) &
          _mm512_cmp_ps_mask((__m512)x, _mm512_set1_ps(88.0f), _CMP_LE_OQ)) == __mmask16(0xFFFF);
}
// Whether any lane of u1 or u2 is below c, unsigned.
inline bool any_below(vu32 u1, vu32 u2, uint32_t c) {
  return (_mm512_cmplt_epu32_mask((__m512i)u1, _mm512_set1_epi32(int(c))) |
          _mm512_cmplt_epu32_mask((__m512i)u2, _mm512_set1_epi32(int(c)))) != 0;
}
// y 2^floor(n/32), n the integer in t's low bits.
inline vf scale_by_2k(vf y, vf t, vf n) {
  (void)t;
  return (vf)_mm512_mask_scalef_ps((__m512)y, __mmask16(-1), (__m512)y, (__m512)(n * (1.0f / 32)));
}
#else
inline vf fma_f(vf a, vf b, vf c) { return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c); }

inline vf exp2_table(const float* tab, vf t) {
  const __m256i i = (__m256i)t;  // vpermps reads the low 3 bits of each lane
  const __m256 q0 = _mm256_permutevar8x32_ps(_mm256_load_ps(tab), i);
  const __m256 q1 = _mm256_permutevar8x32_ps(_mm256_load_ps(tab + 8), i);
  const __m256 q2 = _mm256_permutevar8x32_ps(_mm256_load_ps(tab + 16), i);
  const __m256 q3 = _mm256_permutevar8x32_ps(_mm256_load_ps(tab + 24), i);
  const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(i, 28));  // blendvps reads the sign bit
  const __m256 bit4 = _mm256_castsi256_ps(_mm256_slli_epi32(i, 27));
  return (vf)_mm256_blendv_ps(_mm256_blendv_ps(q0, q1, bit3), _mm256_blendv_ps(q2, q3, bit3), bit4);
}
inline bool all_in_exp_range(vf x) {
  const __m256 in = _mm256_and_ps(_mm256_cmp_ps((__m256)x, _mm256_set1_ps(-87.0f), _CMP_GE_OQ),
                                  _mm256_cmp_ps((__m256)x, _mm256_set1_ps(88.0f), _CMP_LE_OQ));
  return _mm256_movemask_ps(in) == 0xFF;
}
inline bool any_below(vu32 u1, vu32 u2, uint32_t c) {
  const vu32 below = (vu32)(u1 < c) | (vu32)(u2 < c);
  return !_mm256_testz_si256((__m256i)below, (__m256i)below);
}
inline vf scale_by_2k(vf y, vf t, vf n) {
  (void)n;
  const vi32 k = ((vi32)bits(t) - 0x4B400000) >> 5;  // t = 1.5 2^23 + n: n's bits, floor(n/32)
  return y * from_bits<vf>((vu32)((k + 127) << 23));
}
#endif

// The fast path; sets `redo` when the vector must be recomputed in double.
inline vf exp_f32_lanes_fast(vf x, bool& redo) {
  const bool in_range = all_in_exp_range(x);
  const vf t = x * 0x1.715476p+5f + 0x1.8p23f;  // 32/ln2; n in t's low mantissa bits
  const vf n = t - 0x1.8p23f;
  const vf r = fma_f(-n, splat<vf>(0x1.62e43p-6f), x);  // exact
  const vf r_lo = n * 0x1.05c61p-34f;           // -n * C2, C2 = -0x1.05c61p-34
  const vf rs = r + r_lo;
  const vf q = poly(rs, 0.5f, 0x1.555556p-3f, 0x1.555556p-5f, 0x1.111112p-7f);
  const vf tail = (rs * rs) * q + r_lo;
  const vf th = exp2_table(kExp2TabHi, t), tl = exp2_table(kExp2TabLo, t);
  const vf a = fma_f(th, r, th);                // one rounding
  const vf e1 = fma_f(th, r, th - a);           // a's rounding error
  const vf d = e1 + (th * tail + (tl * r + tl));
  const vf y = a + d;
  const vf z = (a - y) + d;
  // |z| within 2^-10 of h = ulp(y)/2 or of h/2, compared as bit patterns:
  // bits(|z|) - bits(h) in [-2W, W] with W = 2^-10 * 2^23 (below h the
  // binade is half as wide), bits(h) = exponent bits of y - 24 << 23.
  constexpr uint32_t W = 1u << 13;
  const vu32 v = (bits(z) & 0x7FFFFFFFu) - (bits(y) & 0x7F800000u);
  const bool near_mid = any_below(v + ((24u << 23) + 2 * W), v + ((25u << 23) + 2 * W), 3 * W);
  redo = !in_range || near_mid;
  return scale_by_2k(y, t, n);
}

inline vf exp_f32_lanes(vf x) {
  bool redo;
  vf y = exp_f32_lanes_fast(x, redo);
  if (__builtin_expect(redo, 0)) {
#if defined(__AVX512F__)
    const vfh lo = exp_f32_in_f64(__builtin_shufflevector(x, x, 0, 1, 2, 3, 4, 5, 6, 7));
    const vfh hi = exp_f32_in_f64(__builtin_shufflevector(x, x, 8, 9, 10, 11, 12, 13, 14, 15));
    y = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#else
    const vfh lo = exp_f32_in_f64(__builtin_shufflevector(x, x, 0, 1, 2, 3));
    const vfh hi = exp_f32_in_f64(__builtin_shufflevector(x, x, 4, 5, 6, 7));
    y = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
#endif
  }
  return y;
}

// e^x for the float sigmoid only: about 1 ulp (1.014 at worst, 9 inputs
// above 1, over all floats in [-86, 88.72]), branch-free, no fallback, and
// e^-86 for any x below -86; a third of exp_f32_lanes' instructions.  The
// sigmoid rounds twice more after it, so a correctly rounded e^x buys it
// little: at most 2.48 ulp either way (all 2^32 inputs), and PyTorch's own
// sigmoid (on SLEEF's 1-ulp exp) differs from either in the last bit now
// and then.
//   x is clamped to [-86, 88.75] first (a NaN passes): below, e^x < 2^-124
//   and 1 + e^x rounds to 1 all the same; above 88.7228 e^x overflows to
//   +inf, as the exact value does. n = round(x / ln2), r = x - n ln2 in two
//   steps (the first exact: an FMA with ln2 rounded to float, the result
//   needs at most 24 bits), e^r = 1 + (r + r^2 q(r)) with q the degree-4
//   minimax fit of gen_coeffs.py ("exp float q", 2^-27.8 relative), then
//   times 2^n: vscalef (AVX-512) or (e^r 2^(n-1)) 2 with 2^(n-1) built from
//   n's bits (AVX2); both exact but for the final overflow, so the two
//   levels agree bit for bit.  Explicit FMAs throughout for the same reason
//   (GCC may still fuse the AVX2 form's last product with the sigmoid's
//   1 + e^x: harmless, as the product is exact or overflows either way).
inline vf exp_f32_for_sigmoid(vf x) {
  const vf xc = max_keep_nan(min_keep_nan(x, 88.75f), -86.0f);
  const vf t = fma_f(xc, splat<vf>(0x1.715476p+0f), splat<vf>(0x1.8p23f));  // 1/ln2; n in t's low bits
  const vf n = t - 0x1.8p23f;
  const vf r0 = fma_f(-n, splat<vf>(0x1.62e43p-1f), xc);                 // exact
  const vf r = fma_f(n, splat<vf>(0x1.05c61p-29f), r0);                  // ln2 - 0x1.62e43p-1 = -0x1.05c61p-29
  vf q = fma_f(splat<vf>(0x1.6a2256p-10f), r, splat<vf>(0x1.123b02p-7f));
  q = fma_f(q, r, splat<vf>(0x1.5558f8p-5f));
  q = fma_f(q, r, splat<vf>(0x1.55549p-3f));
  q = fma_f(q, r, splat<vf>(0x1.fffffcp-2f));
  const vf er = 1.0f + fma_f(r * r, q, r);
#if defined(__AVX512F__)
  return (vf)_mm512_mask_scalef_ps((__m512)er, __mmask16(-1), (__m512)er, (__m512)n);
#else
  const vi32 k = (vi32)bits(t) - 0x4B400000;  // t = 1.5 2^23 + n: n, in [-124, 128]
  return (er * from_bits<vf>((vu32)((k + 126) << 23))) * 2.0f;
#endif
}
inline vf sigmoid_f32_lanes(vf x) { return 1.0f / (1.0f + exp_f32_for_sigmoid(-x)); }
#endif
#ifndef FT_VM_EXP_F32_LANES
#define FT_VM_EXP_F32_LANES 0
#endif

// A half-width float vector of x in every lane (not vfh{} + x: 0 + -0 is +0).
inline vfh splat_half(float x) {
  vfh v;
  for (int i = 0; i < int(sizeof(vfh) / sizeof(float)); ++i) v[i] = x;
  return v;
}

template <class T> inline constexpr bool kIsF32 = std::is_same_v<T, float>;
template <class T> inline constexpr bool kSupported = std::is_same_v<T, float> || std::is_same_v<T, double>;

}  // namespace vm

// ------------------------------------------------------------ public API ----
// The scalar_* functions run the very same vector kernel on a broadcast value
// and take lane 0.  Instantiating the kernels on plain float/double instead
// would not be bit-identical under -mfma: scalar code gets branches and a
// different statement order, so GCC fuses a different product of a*b + c*d
// into the FMA.  Latency is that of the scalar code; there is no per-call
// overhead beyond one broadcast.
template <class T> inline T scalar_exp(T x) {
  static_assert(vm::kSupported<T>);
#if FT_VM_EXP_F32_LANES
  if constexpr (vm::kIsF32<T>) return vm::exp_f32_lanes(vm::splat<vm::vf>(x))[0];
#else
  if constexpr (vm::kIsF32<T>) return vm::exp_f32_in_f64(vm::splat_half(x))[0];
#endif
  else return vm::exp_f64<vm::kAny>(vm::splat<vm::vd>(x))[0];
}
template <class T> inline T scalar_log(T x) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) return vm::log_f32(vm::splat<vm::vf>(x))[0];
  else return vm::log_f64(vm::splat<vm::vd>(x))[0];
}
template <class T> inline T scalar_log1p(T x) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) return vm::log1p_f32(vm::splat<vm::vf>(x))[0];
  else return vm::log1p_f64(vm::splat<vm::vd>(x))[0];
}
template <class T> inline T scalar_tanh(T x) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) return vm::tanh_f32_in_f64(vm::splat_half(x))[0];
  else return vm::tanh_f64(vm::splat<vm::vd>(x))[0];
}
template <class T> inline T scalar_sigmoid(T x) {
  static_assert(vm::kSupported<T>);
#if FT_VM_EXP_F32_LANES
  if constexpr (vm::kIsF32<T>) return vm::sigmoid_f32_lanes(vm::splat<vm::vf>(x))[0];
#else
  if constexpr (vm::kIsF32<T>) return vm::sigmoid_f32_in_f64(vm::splat_half(x))[0];
#endif
  else return vm::sigmoid_f64(vm::splat<vm::vd>(x))[0];
}
template <class T> inline T scalar_sin(T x) {
  static_assert(vm::kSupported<T>);
  return vm::sincos_scalar<false>(x);
}
template <class T> inline T scalar_cos(T x) {
  static_assert(vm::kSupported<T>);
  return vm::sincos_scalar<true>(x);
}

template <class T> inline void vec_exp(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
#if FT_VM_EXP_F32_LANES
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vf>(x, y, n, [](vm::vf v) { return vm::exp_f32_lanes(v); });
#else
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vfh>(x, y, n, [](vm::vfh v) { return vm::exp_f32_in_f64(v); });
#endif
  else vm::apply<vm::vd>(x, y, n, [](vm::vd v) { return vm::exp_f64<vm::kAny>(v); });
}
template <class T> inline void vec_log(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vf>(x, y, n, [](vm::vf v) { return vm::log_f32(v); });
  else vm::apply<vm::vd>(x, y, n, [](vm::vd v) { return vm::log_f64(v); });
}
template <class T> inline void vec_log1p(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vf>(x, y, n, [](vm::vf v) { return vm::log1p_f32(v); });
  else vm::apply<vm::vd>(x, y, n, [](vm::vd v) { return vm::log1p_f64(v); });
}
template <class T> inline void vec_tanh(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vfh>(x, y, n, [](vm::vfh v) { return vm::tanh_f32_in_f64(v); });
  else vm::apply<vm::vd>(x, y, n, [](vm::vd v) { return vm::tanh_f64(v); });
}
template <class T> inline void vec_sigmoid(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
#if FT_VM_EXP_F32_LANES
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vf>(x, y, n, [](vm::vf v) { return vm::sigmoid_f32_lanes(v); });
#else
  if constexpr (vm::kIsF32<T>) vm::apply<vm::vfh>(x, y, n, [](vm::vfh v) { return vm::sigmoid_f32_in_f64(v); });
#endif
  else vm::apply<vm::vd>(x, y, n, [](vm::vd v) { return vm::sigmoid_f64(v); });
}
template <class T> inline void vec_sin(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
  vm::apply_trig<false>(x, y, n);
}
template <class T> inline void vec_cos(const T* x, T* y, int64_t n) {
  static_assert(vm::kSupported<T>);
  vm::apply_trig<true>(x, y, n);
}

}  // namespace
}  // namespace ft::cpu
