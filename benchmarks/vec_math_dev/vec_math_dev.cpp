// Dev harness for csrc/cpu/vec_math.h: accuracy, special values and speed.
//
// build.sh compiles this file three times, once per SIMD level
// (-DFT_LEVEL=2: AVX-512, 1: AVX2+FMA, 0: SSE2 baseline).  Each compile
// exports a table of that level's vec_* / scalar_* functions; the SSE2
// compile also carries main() (FT_VMDEV_MAIN) which tests and times all three
// levels against a long-double reference.  Exit status is non-zero when any
// accuracy limit, special value, scalar==vector or in-place check fails.
//
//   ./vec_math_dev [--stride N] [--no-acc] [--no-bench] [--quick] [--limit-scale F]
//   --stride N: float sweep visits every N-th bit pattern (default 61, ~3 min
//   in all); --quick: stride 1021 and smaller double sets (~20 s);
//   --limit-scale F: multiply the ulp limits (F < 1 checks the failure path).
//   --exp-exhaustive: all 2^32 floats through the float exp and sigmoid of
//   the AVX2 and AVX-512 levels (those with float-lane kernels): exp against
//   expl rounded once, sigmoid within its ulp limit of the exact value
//   (11 min a level on 2 cores), nothing else.
#include <cstdint>

#include "../../csrc/cpu/vec_math.h"

using VF = void (*)(const float*, float*, int64_t);
using VD = void (*)(const double*, double*, int64_t);
using SF = float (*)(float);
using SD = double (*)(double);
constexpr int kNumFns = 7;

struct LevelFns {
  const char* name;
  VF vf[kNumFns];
  VD vd[kNumFns];
  SF sf[kNumFns];
  SD sd[kNumFns];
};

#if FT_LEVEL == 2
#define FT_TABLE level_avx512
#define FT_NAME "avx512"
#elif FT_LEVEL == 1
#define FT_TABLE level_avx2
#define FT_NAME "avx2"
#else
#define FT_TABLE level_sse2
#define FT_NAME "sse2"
#endif

namespace ftc = ft::cpu;
extern const LevelFns FT_TABLE;
const LevelFns FT_TABLE = {
    FT_NAME,
    {&ftc::vec_exp<float>, &ftc::vec_log<float>, &ftc::vec_log1p<float>, &ftc::vec_tanh<float>,
     &ftc::vec_sigmoid<float>, &ftc::vec_sin<float>, &ftc::vec_cos<float>},
    {&ftc::vec_exp<double>, &ftc::vec_log<double>, &ftc::vec_log1p<double>, &ftc::vec_tanh<double>,
     &ftc::vec_sigmoid<double>, &ftc::vec_sin<double>, &ftc::vec_cos<double>},
    {&ftc::scalar_exp<float>, &ftc::scalar_log<float>, &ftc::scalar_log1p<float>, &ftc::scalar_tanh<float>,
     &ftc::scalar_sigmoid<float>, &ftc::scalar_sin<float>, &ftc::scalar_cos<float>},
    {&ftc::scalar_exp<double>, &ftc::scalar_log<double>, &ftc::scalar_log1p<double>, &ftc::scalar_tanh<double>,
     &ftc::scalar_sigmoid<double>, &ftc::scalar_sin<double>, &ftc::scalar_cos<double>},
};

#ifdef FT_VMDEV_MAIN
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern const LevelFns level_avx512, level_avx2;

namespace {

const char* kNames[kNumFns] = {"exp", "log", "log1p", "tanh", "sigmoid", "sin", "cos"};
// Max-ulp limits the harness enforces (a little above what was measured).
// float exp and tanh are correctly rounded (error <= 0.5 ulp).
const double kLimitF[kNumFns] = {0.5, 1.0, 1.0, 0.5, 2.5, 1.0, 1.0};
const double kLimitD[kNumFns] = {1.0, 1.0, 1.0, 2.0, 2.5, 1.0, 1.0};

long double ref_fn(int f, long double x) {
  switch (f) {
    case 0: return expl(x);
    case 1: return logl(x);
    case 2: return log1pl(x);
    case 3: return tanhl(x);
    case 4: return 1.0L / (1.0L + expl(-x));
    case 5: return sinl(x);
    default: return cosl(x);
  }
}

template <class T> constexpr int kPrec = std::numeric_limits<T>::digits;
template <class T> constexpr int kDenormExp = std::numeric_limits<T>::min_exponent - kPrec<T>;  // ulp of subnormals

// Error of y in units of the last place of the exact value r, in T.
template <class T> double ulp_err(T y, long double r) {
  const double kBad = 1e30;
  if (std::isnan(r)) return std::isnan(y) ? 0 : kBad;
  if (std::isnan(y)) return kBad;
  const T rt = T(r);
  if (std::isinf(y)) return y == rt ? 0 : kBad;
  if (r == 0) return y == 0 ? 0 : kBad;
  int e;
  long double lr = std::isinf(r) ? (r > 0 ? 1 : -1) * (long double)std::numeric_limits<T>::max() * 2 : r;
  frexpl(lr, &e);
  const long double ulp = ldexpl(1.0L, std::max(e - kPrec<T>, kDenormExp<T>));
  return double(fabsl((long double)y - lr) / ulp);
}

template <class T> std::string hexs(T v) {
  char b[64];
  snprintf(b, sizeof b, "%a", double(v));
  return b;
}

// ------------------------------------------------------------ inputs ----
template <class T> void add_lin(std::vector<T>& v, double lo, double hi, int n) {
  for (int i = 0; i < n; ++i) v.push_back(T(lo + (hi - lo) * i / (n - 1)));
}
template <class T> void add_uni(std::vector<T>& v, std::mt19937_64& g, double lo, double hi, int n) {
  std::uniform_real_distribution<double> d(lo, hi);
  for (int i = 0; i < n; ++i) v.push_back(T(d(g)));
}
// Random sign, log-uniform magnitude in [2^e0, 2^e1].
template <class T> void add_log(std::vector<T>& v, std::mt19937_64& g, double e0, double e1, int n, bool neg = true) {
  std::uniform_real_distribution<double> d(e0, e1);
  for (int i = 0; i < n; ++i) {
    T x = T(std::exp2(d(g)));
    v.push_back(neg && (g() & 1) ? -x : x);
  }
}
template <class T> void add_ulps_around(std::vector<T>& v, T c, int k) {
  T a = c, b = c;
  v.push_back(c);
  for (int i = 0; i < k; ++i) {
    a = std::nextafter(a, T(-INFINITY));
    b = std::nextafter(b, T(INFINITY));
    v.push_back(a);
    v.push_back(b);
  }
}

template <class T> std::vector<T> make_inputs(int f, uint32_t stride, bool quick) {
  std::vector<T> v;
  std::mt19937_64 g(1234 + f);
  const int M = quick ? 20000 : 400000;
  if constexpr (sizeof(T) == 4) {
    // Every stride-th bit pattern of all 2^32 floats (NaNs, infs, subnormals
    // included); the stride is odd so every low-bit combination is visited.
    for (uint64_t b = f; b < (1ull << 32); b += stride) {
      uint32_t u = uint32_t(b);
      float x;
      std::memcpy(&x, &u, 4);
      v.push_back(x);
    }
  } else {
    std::uniform_int_distribution<uint64_t> d;
    for (int i = 0; i < M * 4; ++i) {
      uint64_t u = d(g);
      double x;
      std::memcpy(&x, &u, 8);
      v.push_back(x);
    }
  }
  const double big = sizeof(T) == 4 ? 100.0 : 750.0;
  switch (f) {
    case 0:  // exp: whole finite range, near 0, thresholds
    case 4:  // sigmoid
      add_lin(v, -big - 5, big + 5, M);
      add_uni(v, g, -30, 30, M);
      add_log(v, g, -60, 4, M);
      for (double c : {88.72283905206835, 88.7228, 709.782712893384, -87.33654, -103.972, -708.39641853226, -745.1332191019411,
                       -744.44007192138, -103.27892990343184, 1.0, -1.0, 0.5, 20.0, -20.0, 36.0, -36.0, 16.0})
        add_ulps_around(v, T(c), 200);
      break;
    case 1:  // log: every magnitude, near 1
      add_log(v, g, sizeof(T) == 4 ? -149 : -1074, sizeof(T) == 4 ? 128 : 1024, M, false);
      add_lin(v, 0.5, 2.0, M);
      add_uni(v, g, 0.9, 1.1, M);
      add_ulps_around(v, T(1), 1000);
      add_ulps_around(v, T(0.70710678118654752), 200);
      add_ulps_around(v, T(1.4142135623730950), 200);
      break;
    case 2:  // log1p: near -1, near 0, large
      add_log(v, g, sizeof(T) == 4 ? -149 : -1074, 20, M);
      add_lin(v, -0.99, 3.0, M);
      add_uni(v, g, -1, -0.5, M);
      add_log(v, g, -60, 0, M);
      add_log(v, g, 0, sizeof(T) == 4 ? 128 : 1024, M, false);
      add_ulps_around(v, T(-1), 1000);
      add_ulps_around(v, T(1), 200);
      add_ulps_around(v, T(-0.29289321881345248), 200);
      add_ulps_around(v, T(0.41421356237309505), 200);
      break;
    case 3:  // tanh
      add_lin(v, -25, 25, M);
      add_lin(v, -1, 1, M);
      add_log(v, g, -60, 5, M);
      add_ulps_around(v, T(0.55), 300);
      add_ulps_around(v, T(-0.55), 300);
      break;
    default: {  // sin / cos: dense, random to 1e4 and beyond, near k*pi/2
      add_lin(v, -10, 10, M);
      add_uni(v, g, -1e4, 1e4, M);
      add_log(v, g, -40, 22, M);
      add_log(v, g, 20, sizeof(T) == 4 ? 40 : 60, M / 10);  // fallback range
      const int K = quick ? 2000 : (sizeof(T) == 4 ? 100000 : 500000);
      for (int k = 1; k <= K; ++k) {
        long double c = k * 1.5707963267948966192313216916397514L;
        add_ulps_around(v, T(c), 2);
        add_ulps_around(v, T(-c), 1);
      }
      break;
    }
  }
  // A few special values, too (also checked exactly below).
  for (T s : {T(0), T(-0.0), T(INFINITY), T(-INFINITY), T(NAN), std::numeric_limits<T>::denorm_min(),
              std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), -std::numeric_limits<T>::max()})
    v.push_back(s);
  return v;
}

// Sigmoid is PyTorch's 1 / (1 + exp(-x)) with each step rounded, so it is
// 0 where e^-x overflows T (float: x below -88.7228, where the exact sigmoid
// is a subnormal); elsewhere the reference is the exact sigmoid.
template <class T> long double ref_of(int f, T x) {
  if (f == 4 && std::isinf(T(expl(-(long double)x)))) return 0;
  return ref_fn(f, x);
}

template <class T> std::vector<long double> compute_ref(int f, const std::vector<T>& x) {
  std::vector<long double> r(x.size());
  unsigned nt = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> th;
  for (unsigned t = 0; t < nt; ++t)
    th.emplace_back([&, t] {
      for (size_t i = t; i < x.size(); i += nt) r[i] = ref_of(f, x[i]);
    });
  for (auto& t : th) t.join();
  return r;
}

// Bitwise equal, except that any NaN equals any NaN (payload/sign of NaN are unspecified).
template <class T> bool same_bits(T a, T b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

struct Acc {
  double max_ulp = 0;
  double arg = 0;
  long long scalar_mismatch = 0, inplace_mismatch = 0;
};

template <class T> Acc check_level(int f, const LevelFns& L, const std::vector<T>& x, const std::vector<long double>& ref) {
  Acc a;
  const size_t n = x.size();
  std::vector<T> y(n), z(x);
  if constexpr (sizeof(T) == 4) {
    L.vf[f](x.data(), y.data(), int64_t(n));
    L.vf[f](z.data(), z.data(), int64_t(n));
  } else {
    L.vd[f](x.data(), y.data(), int64_t(n));
    L.vd[f](z.data(), z.data(), int64_t(n));
  }
  for (size_t i = 0; i < n; ++i) {
    double e = ulp_err<T>(y[i], ref[i]);
    if (e > a.max_ulp) {
      a.max_ulp = e;
      a.arg = double(x[i]);
    }
    T s;
    if constexpr (sizeof(T) == 4) s = L.sf[f](x[i]); else s = L.sd[f](x[i]);
    if (!same_bits(s, y[i])) {
      if (a.scalar_mismatch++ < 3)
        printf("    scalar != vector at x=%s: %s vs %s\n", hexs(x[i]).c_str(), hexs(s).c_str(), hexs(y[i]).c_str());
    }
    if (!same_bits(z[i], y[i])) a.inplace_mismatch++;
  }
  return a;
}

// ----------------------------------------------------- special values ----
template <class T> int check_specials(const LevelFns& L) {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const T dmin = std::numeric_limits<T>::denorm_min();
  struct Case { int f; T x, want; };
  std::vector<Case> cs = {
      {0, nan, nan}, {0, inf, inf}, {0, -inf, 0}, {0, 0, 1}, {0, -0.0, 1}, {0, 1000, inf}, {0, -1000, 0}, {0, T(1e6), inf},
      {0, T(-1e6), 0},
      {1, nan, nan}, {1, inf, inf}, {1, 0, -inf}, {1, -0.0, -inf}, {1, -1, nan}, {1, -inf, nan}, {1, 1, 0}, {1, -dmin, nan},
      {2, nan, nan}, {2, inf, inf}, {2, -1, -inf}, {2, -2, nan}, {2, -inf, nan}, {2, 0, 0}, {2, -0.0, -0.0},
      {2, dmin, dmin}, {2, -dmin, -dmin}, {2, T(1e-30), T(1e-30)}, {2, T(-1e-30), T(-1e-30)},
      {3, nan, nan}, {3, inf, 1}, {3, -inf, -1}, {3, 0, 0}, {3, -0.0, -0.0}, {3, T(1e-30), T(1e-30)},
      {3, T(-1e-30), T(-1e-30)}, {3, dmin, dmin}, {3, -dmin, -dmin}, {3, 100, 1}, {3, -100, -1}, {3, T(1e30), 1},
      {4, nan, nan}, {4, inf, 1}, {4, -inf, 0}, {4, 0, 0.5}, {4, -0.0, 0.5}, {4, 1000, 1}, {4, -1000, 0}, {4, T(1e30), 1},
      {4, T(-1e30), 0},
      {5, nan, nan}, {5, inf, nan}, {5, -inf, nan}, {5, 0, 0}, {5, -0.0, -0.0}, {5, dmin, dmin}, {5, -dmin, -dmin},
      {5, T(1e-30), T(1e-30)}, {5, T(-1e-30), T(-1e-30)},
      {6, nan, nan}, {6, inf, nan}, {6, -inf, nan}, {6, 0, 1}, {6, -0.0, 1}, {6, dmin, 1},
  };
  // sigmoid(-100) = 3.72e-44: a subnormal in double; in float 1/(1+exp(100)) = 1/inf = 0, as PyTorch.
  if (sizeof(T) == 4) cs.push_back({4, T(-100), T(0)});
  int bad = 0;
  for (const Case& c : cs) {
    // Put the value in every lane position among ordinary values.
    const int n = 37;
    for (int pos = 0; pos < n; pos += 5) {
      std::vector<T> x(n, T(0.25)), y(n);
      x[pos] = c.x;
      T s;
      if constexpr (sizeof(T) == 4) {
        L.vf[c.f](x.data(), y.data(), n);
        s = L.sf[c.f](c.x);
      } else {
        L.vd[c.f](x.data(), y.data(), n);
        s = L.sd[c.f](c.x);
      }
      for (T got : {y[pos], s}) {
        bool ok = std::isnan(c.want) ? std::isnan(got) : same_bits(got, c.want);
        if (!ok) {
          if (bad++ < 20)
            printf("  SPECIAL FAIL %s %s(%s) = %s, want %s\n", L.name, kNames[c.f], hexs(c.x).c_str(), hexs(got).c_str(),
                   hexs(c.want).c_str());
        }
      }
    }
  }
  return bad;
}

// -------------------------------------------------------------- timing ----
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F> double elems_per_ns(F run, int64_t n) {
  // Best of 5 batches, each >= ~20 ms.
  int reps = int(std::max<int64_t>(1, 20000000 / std::max<int64_t>(n, 1) / 4));
  run();
  double best = 1e30;
  for (int b = 0; b < 5; ++b) {
    double t0 = now_s();
    for (int r = 0; r < reps; ++r) run();
    best = std::min(best, (now_s() - t0) / reps);
  }
  return double(n) / (best * 1e9);
}

template <class T> T std_fn(int f, T x) {
  switch (f) {
    case 0: return std::exp(x);
    case 1: return std::log(x);
    case 2: return std::log1p(x);
    case 3: return std::tanh(x);
    case 4: return T(1) / (T(1) + std::exp(-x));
    case 5: return std::sin(x);
    default: return std::cos(x);
  }
}

template <class T> void bench_type(const std::vector<const LevelFns*>& levels) {
  const double lo[kNumFns] = {-10, 0.01, -0.5, -5, -10, -10, -10};
  const double hi[kNumFns] = {10, 100, 10, 5, 10, 10, 10};
  printf("\n%-8s %-7s %9s %9s %9s %9s   (elements/ns, 1 thread)\n", sizeof(T) == 4 ? "float32" : "float64", "n",
         "std::", "sse2", "avx2", "avx512");
  for (int f = 0; f < kNumFns; ++f) {
    for (int64_t n : {int64_t(1000), int64_t(1000000)}) {
      std::vector<T> x(n), y(n);
      std::mt19937_64 g(7);
      std::uniform_real_distribution<double> d(lo[f], hi[f]);
      for (auto& v : x) v = T(d(g));
      double r_std = elems_per_ns([&] {
        for (int64_t i = 0; i < n; ++i) y[i] = std_fn<T>(f, x[i]);
      }, n);
      double r[3] = {0, 0, 0};
      for (const LevelFns* L : levels) {
        int k = L == &level_sse2 ? 0 : L == &level_avx2 ? 1 : 2;
        if constexpr (sizeof(T) == 4) r[k] = elems_per_ns([&] { L->vf[f](x.data(), y.data(), n); }, n);
        else r[k] = elems_per_ns([&] { L->vd[f](x.data(), y.data(), n); }, n);
      }
      printf("%-8s %-7s %9.3f %9.3f %9.3f %9.3f\n", kNames[f], n == 1000 ? "1e3" : "1e6", r_std, r[0], r[1], r[2]);
    }
  }
}

}  // namespace

// Every float bit pattern through float exp and sigmoid of each level: exp
// must equal the correctly rounded exp (expl rounded once to float), sigmoid
// must be within its ulp limit of the reference (ref_of). Also counts the
// sigmoids that differ from 1 / (1 + exp(-x)) evaluated in float on the
// correctly rounded exp (information only). Returns the number of failures.
int exhaustive_exp(const std::vector<const LevelFns*>& levels) {
  constexpr uint64_t kBatch = 1 << 16;
  int bad = 0;
  for (const LevelFns* L : levels) {
    const double t0 = now_s();
    std::atomic<long long> mismatches{0}, shown{0}, sg_differs{0};
    std::atomic<uint64_t> sg_max_bits{0};  // the worst sigmoid error, as double bits (>= 0: ordered)
    const unsigned nt = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> th;
    for (unsigned t = 0; t < nt; ++t)
      th.emplace_back([&, t] {
        std::vector<float> x(kBatch), e(kBatch), sg(kBatch);
        for (uint64_t base = uint64_t(t) * kBatch; base < (uint64_t(1) << 32); base += uint64_t(nt) * kBatch) {
          for (uint64_t i = 0; i < kBatch; ++i) {
            const uint32_t b = uint32_t(base + i);
            std::memcpy(&x[i], &b, 4);
          }
          L->vf[0](x.data(), e.data(), int64_t(kBatch));
          L->vf[4](x.data(), sg.data(), int64_t(kBatch));
          long long differs = 0;
          double worst = 0;
          for (uint64_t i = 0; i < kBatch; ++i) {
            const float want = float(expl((long double)x[i]));
            const float formula = 1.0f / (1.0f + float(expl(-(long double)x[i])));
            const double sg_err = ulp_err<float>(sg[i], ref_of(4, x[i]));
            differs += !same_bits(sg[i], formula);
            worst = std::max(worst, sg_err);
            if (!same_bits(e[i], want) || sg_err > kLimitF[4]) {
              ++mismatches;
              if (shown++ < 10)
                printf("  %s x=%s exp %s (want %s) sigmoid %s (%.3f ulp)\n", L->name, hexs(x[i]).c_str(),
                       hexs(e[i]).c_str(), hexs(want).c_str(), hexs(sg[i]).c_str(), sg_err);
            }
          }
          sg_differs += differs;
          uint64_t wb, cur = sg_max_bits.load();
          std::memcpy(&wb, &worst, 8);
          while (wb > cur && !sg_max_bits.compare_exchange_weak(cur, wb)) {
          }
        }
      });
    for (auto& t : th) t.join();
    double sg_max;
    const uint64_t mb = sg_max_bits.load();
    std::memcpy(&sg_max, &mb, 8);
    printf("%s: exp/sigmoid float, all 2^32 inputs: %lld failures; sigmoid max %.3f ulp, %lld differ from "
           "1/(1+exp(-x)) on the correctly rounded exp [%.0fs]\n",
           L->name, mismatches.load(), sg_max, sg_differs.load(), now_s() - t0);
    fflush(stdout);
    bad += mismatches.load() != 0;
  }
  return bad;
}

int main(int argc, char** argv) {
  uint32_t stride = 61;
  bool acc = true, bench = true, quick = false, exhaustive = false;
  double limit_scale = 1.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--stride" && i + 1 < argc) stride = uint32_t(std::atoi(argv[++i])) | 1u;
    else if (a == "--no-acc") acc = false;
    else if (a == "--no-bench") bench = false;
    else if (a == "--quick") quick = true, stride = 1021;
    else if (a == "--limit-scale" && i + 1 < argc) limit_scale = std::atof(argv[++i]);
    else if (a == "--exp-exhaustive") exhaustive = true;
  }
  std::vector<const LevelFns*> levels = {&level_sse2};
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) levels.push_back(&level_avx2);
  else printf("note: CPU lacks AVX2/FMA, level skipped\n");
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl"))
    levels.push_back(&level_avx512);
  else printf("note: CPU lacks AVX-512, level skipped\n");

  int failures = 0;
  if (exhaustive) {
    // The AVX2 and AVX-512 levels have their own float-lane exp; SSE2 runs the double kernel.
    std::vector<const LevelFns*> lane_levels;
    for (const LevelFns* L : levels)
      if (L != &level_sse2) lane_levels.push_back(L);
    failures += exhaustive_exp(lane_levels);
    printf("\n%s (%d failure%s)\n", failures ? "FAILED" : "ALL CHECKS PASSED", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
  }
  if (acc) {
    for (const LevelFns* L : levels) {
      failures += check_specials<float>(*L);
      failures += check_specials<double>(*L);
    }
    printf("special values: %s\n", failures ? "FAILED" : "ok");
    printf("\nmax ulp error (x at max)              limit   per level: sse2 / avx2 / avx512\n");
    for (int t = 0; t < 2; ++t) {
      for (int f = 0; f < kNumFns; ++f) {
        double t0 = now_s();
        auto run = [&](auto tag) {
          using T = decltype(tag);
          auto x = make_inputs<T>(f, stride, quick);
          auto ref = compute_ref(f, x);
          const double limit = (sizeof(T) == 4 ? kLimitF[f] : kLimitD[f]) * limit_scale;
          printf("%-8s %-7s n=%-9zu limit %.2f:", sizeof(T) == 4 ? "float32" : "float64", kNames[f], x.size(), limit);
          std::string notes;
          std::vector<std::vector<T>> outs;
          for (const LevelFns* L : levels) {
            Acc a = check_level<T>(f, *L, x, ref);
            printf("  %.3f (%s)", a.max_ulp, hexs(T(a.arg)).c_str());
            if (a.max_ulp > limit) failures++, notes += std::string(" ") + L->name + ":ULP-LIMIT";
            if (a.scalar_mismatch) failures++, notes += std::string(" ") + L->name + ":SCALAR!=VECTOR(" + std::to_string(a.scalar_mismatch) + ")";
            if (a.inplace_mismatch) failures++, notes += std::string(" ") + L->name + ":INPLACE";
          }
          printf("  [%.1fs]%s\n", now_s() - t0, notes.empty() ? "" : ("  FAIL" + notes).c_str());
          fflush(stdout);
        };
        if (t == 0) run(float()); else run(double());
      }
    }
  }
  if (bench) {
    bench_type<float>(levels);
    bench_type<double>(levels);
  }
  printf("\n%s (%d failure%s)\n", failures ? "FAILED" : "ALL CHECKS PASSED", failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
#endif  // FT_VMDEV_MAIN
