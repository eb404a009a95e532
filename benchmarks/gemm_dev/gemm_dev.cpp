// Standalone correctness test and benchmark for ft::cpu::gemm_f32/f64 and the
// thread pool (csrc/cpu). Build with build.sh next to this file.
//
//   gemm_dev check            correctness at every SIMD level the CPU has
//   gemm_dev bench [T...]     GFLOP/s, median of many reps, for T threads
//   gemm_dev shape M N K [ta tb f64]   time one shape (tuning experiments)
// Tuning overrides (env): GEMM_KC, GEMM_MC, GEMM_NC, GEMM_ORDER (1 = A panel
// outer, 0 = BLIS order), GEMM_INPLACE_N, GEMM_INPLACE_M, GEMM_SPLIT (0 auto, 1 M, 2 N),
// GEMM_SWAP (skinny-N swap), GEMM_MIN_FLOPS.
// Timing: BENCH_STAT=min (fastest rep instead of median), BENCH_CLOCK=cpu
// (thread CPU time; single-threaded only), BENCH_NO_WAIT (do not wait for an
// idle machine before each case).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cpuinfo.h"
#include "gemm.h"
#include "gemm_internal.h"
#include "parallel.h"

using ft::cpu::SimdLevel;

namespace {

int g_failures = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      ++g_failures;                                        \
      std::printf("FAIL %s:%d: ", __FILE__, __LINE__);     \
      std::printf(__VA_ARGS__);                            \
      std::printf("\n");                                   \
    }                                                      \
  } while (0)

// ---------------------------------------------------------------------------
// GEMM correctness

enum class Layout { RowMajor, ColMajor, Strided };
const char* layout_name(Layout l) {
  return l == Layout::RowMajor ? "row" : l == Layout::ColMajor ? "col" : "strided";
}

// A rows x cols matrix view inside a larger buffer filled with a sentinel
// (so writes outside the view are detected). Padded leading dimensions.
template <class T>
struct View {
  std::vector<T> buf;
  int64_t rows, cols, rs, cs, offset;
  T* data() { return buf.data() + offset; }
  const T* data() const { return buf.data() + offset; }
  T& at(int64_t i, int64_t j) { return buf[offset + i * rs + j * cs]; }
  T at(int64_t i, int64_t j) const { return buf[offset + i * rs + j * cs]; }
};

template <class T>
View<T> make_view(int64_t rows, int64_t cols, Layout layout, std::mt19937& rng, T sentinel) {
  View<T> v;
  v.rows = rows;
  v.cols = cols;
  v.offset = 3;
  const int64_t pad = 5;
  switch (layout) {
    case Layout::RowMajor: v.rs = cols + pad; v.cs = 1; break;
    case Layout::ColMajor: v.rs = 1; v.cs = rows + pad; break;
    case Layout::Strided: v.rs = 2 * cols + 3; v.cs = 2; break;
  }
  const int64_t extent = (rows > 0 && cols > 0) ? (rows - 1) * v.rs + (cols - 1) * v.cs + 1 : 0;
  v.buf.assign(static_cast<size_t>(v.offset + extent + 7), sentinel);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) v.at(i, j) = static_cast<T>(dist(rng));
  return v;
}

template <class T>
void call_gemm(int64_t M, int64_t N, int64_t K, const View<T>& a, const View<T>& b, View<T>& c, bool acc);
template <>
void call_gemm<float>(int64_t M, int64_t N, int64_t K, const View<float>& a, const View<float>& b,
                      View<float>& c, bool acc) {
  ft::cpu::gemm_f32(M, N, K, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, c.data(), c.rs, c.cs, acc);
}
template <>
void call_gemm<double>(int64_t M, int64_t N, int64_t K, const View<double>& a, const View<double>& b,
                       View<double>& c, bool acc) {
  ft::cpu::gemm_f64(M, N, K, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, c.data(), c.rs, c.cs, acc);
}

template <class T>
bool check_case(int64_t M, int64_t N, int64_t K, Layout la, Layout lb, Layout lc, bool acc, std::mt19937& rng) {
  const T sentinel = static_cast<T>(12345.0);
  View<T> a = make_view<T>(M, K, la, rng, sentinel);
  View<T> b = make_view<T>(K, N, lb, rng, sentinel);
  View<T> c = make_view<T>(M, N, lc, rng, sentinel);
  if (!acc) {  // C's old contents must be ignored, even NaN
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) c.at(i, j) = std::nan("");
  }
  const View<T> c_before = c;
  call_gemm<T>(M, N, K, a, b, c, acc);

  const double eps = sizeof(T) == 4 ? 1e-6 : 1e-14;
  double worst = 0;
  bool ok = true;
  for (int64_t i = 0; i < M && ok; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double ref = acc ? static_cast<double>(c_before.at(i, j)) : 0.0;
      double abs_sum = std::fabs(ref);
      for (int64_t k = 0; k < K; ++k) {
        const double p = static_cast<double>(a.at(i, k)) * static_cast<double>(b.at(k, j));
        ref += p;
        abs_sum += std::fabs(p);
      }
      const double err = std::fabs(static_cast<double>(c.at(i, j)) - ref);
      const double tol = 4 * eps * (abs_sum + 1) * std::sqrt(static_cast<double>(K) + 1);
      worst = std::max(worst, err / tol);
      if (!(err <= tol)) {
        CHECK(false, "%s M=%lld N=%lld K=%lld A=%s B=%s C=%s acc=%d: C[%lld,%lld]=%g ref=%g",
              sizeof(T) == 4 ? "f32" : "f64", (long long)M, (long long)N, (long long)K, layout_name(la),
              layout_name(lb), layout_name(lc), acc, (long long)i, (long long)j, (double)c.at(i, j), ref);
        ok = false;
        break;
      }
    }
  }
  // Everything outside C's view must be untouched.
  std::vector<char> in_view(c.buf.size(), 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) in_view[static_cast<size_t>(c.offset + i * c.rs + j * c.cs)] = 1;
  for (size_t idx = 0; idx < c.buf.size() && ok; ++idx) {
    if (!in_view[idx] && c.buf[idx] != sentinel) {
      CHECK(false, "write outside C: M=%lld N=%lld K=%lld C=%s idx=%zu", (long long)M, (long long)N,
            (long long)K, layout_name(lc), idx);
      ok = false;
    }
  }
  return ok;
}

void run_gemm_checks() {
  struct Shape { int64_t m, n, k; };
  const std::vector<Shape> shapes = {
      {1, 1, 1},    {0, 5, 3},     {5, 0, 3},    {4, 5, 0},     {1, 37, 1},    {37, 1, 1},
      {1, 100, 33}, {100, 1, 33},  {2, 3, 4},    {12, 32, 16},  {13, 33, 17},  {11, 31, 15},
      {17, 33, 65}, {24, 64, 384}, {25, 65, 385}, {64, 10, 64}, {256, 10, 256}, {10, 256, 256},
      {256, 256, 10}, {100, 100, 800}, {257, 129, 511}, {130, 1100, 20}, {1000, 40, 50}, {7, 600, 1030},
  };
  const Layout layouts[] = {Layout::RowMajor, Layout::ColMajor, Layout::Strided};
  std::mt19937 rng(1234);
  const SimdLevel detected = ft::cpu::detected_simd_level();
  for (int level = 0; level <= static_cast<int>(detected); ++level) {
    ft::cpu::set_simd_level(static_cast<SimdLevel>(level));
    for (int threads : {1, 2, 3}) {
      ft::cpu::set_num_threads(threads);
      int cases = 0;
      const int before = g_failures;
      for (const Shape& s : shapes) {
        const bool big = s.m * s.n * s.k > 2000000;
        for (Layout la : layouts)
          for (Layout lb : layouts)
            for (Layout lc : layouts)
              for (bool acc : {false, true}) {
                // Big shapes: a subset of layout combinations keeps the run short.
                if (big && !((la == lb && lb == lc) || (lc == Layout::RowMajor && !acc))) continue;
                check_case<float>(s.m, s.n, s.k, la, lb, lc, acc, rng);
                check_case<double>(s.m, s.n, s.k, la, lb, lc, acc, rng);
                cases += 2;
                if (g_failures > before + 10) break;
              }
      }
      std::printf("check simd=%-6s threads=%d: %d cases, %s\n",
                  ft::cpu::simd_level_name(ft::cpu::simd_level()), threads, cases,
                  g_failures == before ? "ok" : "FAILED");
    }
  }
  // Tuning corners: force in-place A, both loop orders, the skinny swap, tiny blocks.
  ft::cpu::set_simd_level(detected);
  ft::cpu::set_num_threads(2);
  ft::cpu::GemmTuning saved = ft::cpu::gemm_tuning();
  const int before = g_failures;
  for (int variant = 0; variant < 4; ++variant) {
    ft::cpu::GemmTuning& t = ft::cpu::gemm_tuning();
    t = saved;
    t.read_a_in_place_max_n = variant & 1 ? 1 << 30 : 0;
    t.read_b_in_place_max_m = variant & 2 ? 1 << 30 : 0;
    t.f32.a_panel_outer = t.f64.a_panel_outer = (variant & 2) != 0;
    t.swap_skinny_n = variant & 1;
    t.f32.kc = t.f64.kc = 40;
    t.f32.mc = t.f64.mc = 30;
    t.f32.nc = t.f64.nc = 70;
    t.min_flops_for_threads = 0;
    t.force_split = variant % 3;
    for (const Shape& s : {Shape{257, 129, 131}, Shape{33, 7, 90}, Shape{5, 200, 3}})
      for (Layout la : layouts)
        for (Layout lb : layouts)
          for (Layout lc : layouts) {
            check_case<float>(s.m, s.n, s.k, la, lb, lc, variant & 1, rng);
            check_case<double>(s.m, s.n, s.k, la, lb, lc, variant & 1, rng);
          }
  }
  ft::cpu::gemm_tuning() = saved;
  std::printf("check tuning variants: %s\n", g_failures == before ? "ok" : "FAILED");
}

// ---------------------------------------------------------------------------
// Thread pool checks

void run_parallel_checks() {
  const int before = g_failures;
  ft::cpu::set_num_threads(2);
  CHECK(ft::cpu::get_num_threads() == 2, "set_num_threads");

  // Covers the range exactly once, in at most num_threads chunks.
  for (int threads : {1, 2, 3, 4}) {
    ft::cpu::set_num_threads(threads);
    for (int64_t n : {0, 1, 2, 7, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> chunks{0};
      ft::cpu::parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
        chunks++;
        CHECK(ft::cpu::in_parallel_region() || threads == 1 || n < 2, "in_parallel_region");
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) CHECK(hits[static_cast<size_t>(i)] == 1, "coverage n=%lld", (long long)n);
      CHECK(chunks <= threads, "chunks %d > threads %d", chunks.load(), threads);
    }
  }
  ft::cpu::set_num_threads(2);
  CHECK(!ft::cpu::in_parallel_region(), "outside region");

  // Grain: fewer chunks than threads when the range is small.
  {
    std::atomic<int> chunks{0};
    ft::cpu::parallel_for(0, 150, 100, [&](int64_t, int64_t) { chunks++; });
    CHECK(chunks == 1, "grain respected (%d chunks)", chunks.load());
  }

  // Exceptions are rethrown on the caller, from any chunk, and the pool survives.
  for (int which = 0; which < 2; ++which) {
    bool caught = false;
    try {
      ft::cpu::parallel_for(0, 1000, 1, [&](int64_t b, int64_t) {
        if ((which == 0 && b == 0) || (which == 1 && b != 0)) throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "boom";
    }
    CHECK(caught, "exception from chunk %d not propagated", which);
  }

  // Nested parallel_for runs serially inside a chunk.
  {
    std::atomic<int64_t> total{0};
    ft::cpu::parallel_for(0, 4, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        ft::cpu::parallel_for(0, 100, 1, [&](int64_t b2, int64_t e2) { total += e2 - b2; });
    });
    CHECK(total == 400, "nested total %lld", (long long)total.load());
  }

  // Several caller threads at once (like several Python threads).
  {
    std::atomic<int64_t> total{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 4; ++t)
      callers.emplace_back([&] {
        for (int rep = 0; rep < 2000; ++rep)
          ft::cpu::parallel_for(0, 64, 1, [&](int64_t b, int64_t e) { total += e - b; });
      });
    for (auto& t : callers) t.join();
    CHECK(total == 4 * 2000 * 64, "concurrent callers total %lld", (long long)total.load());
  }

  // Resizing the pool while it is warm, and GEMM from several threads at once.
  for (int threads : {3, 1, 2}) {
    ft::cpu::set_num_threads(threads);
    std::atomic<int64_t> total{0};
    ft::cpu::parallel_for(0, 10, 1, [&](int64_t b, int64_t e) { total += e - b; });
    CHECK(total == 10, "after resize to %d", threads);
  }
  {
    std::vector<std::thread> callers;
    std::atomic<int> bad{0};
    for (int t = 0; t < 3; ++t)
      callers.emplace_back([&, t] {
        std::mt19937 rng(t);
        for (int rep = 0; rep < 5; ++rep)
          if (!check_case<float>(200, 150, 170, Layout::RowMajor, Layout::ColMajor, Layout::RowMajor, false, rng)) bad++;
      });
    for (auto& t : callers) t.join();
    CHECK(bad == 0, "concurrent gemm");
  }
  ft::cpu::set_num_threads(2);
  std::printf("check thread pool: %s\n", g_failures == before ? "ok" : "FAILED");
}

// ---------------------------------------------------------------------------
// Benchmark

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct BenchCase {
  std::string name;
  int64_t m, n, k;
  bool a_transposed, b_transposed, f64;
};

// The development machine is shared: before timing a case, wait (up to
// BENCH_WAIT_S seconds, default 20) until the other CPUs are idle, measured
// from /proc/stat over 100 ms.
// Returns false if the machine never became quiet.
bool wait_for_quiet_machine() {
  auto read_busy_idle = [](double& busy, double& idle) {
    FILE* f = std::fopen("/proc/stat", "r");
    if (!f) return false;
    unsigned long long v[8] = {0};
    const int n = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                              &v[4], &v[5], &v[6], &v[7]);
    std::fclose(f);
    if (n < 5) return false;
    idle = static_cast<double>(v[3] + v[4]);
    busy = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
    return true;
  };
  const double wait_s = std::getenv("BENCH_WAIT_S") ? std::atof(std::getenv("BENCH_WAIT_S")) : 20.0;
  const double deadline = now_seconds() + wait_s;
  for (;;) {
    double b0, i0, b1, i1;
    if (!read_busy_idle(b0, i0)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!read_busy_idle(b1, i1)) return true;
    const double busy_cpus = (b1 - b0) / std::max(1.0, (b1 - b0) + (i1 - i0)) * std::thread::hardware_concurrency();
    if (busy_cpus < 0.15) return true;
    if (now_seconds() > deadline) return false;
  }
}

// Median seconds per call over >= 7 reps and >= min_time seconds.
template <class T>
double time_gemm(const BenchCase& bc, double min_time = 0.3) {
  const int64_t M = bc.m, N = bc.n, K = bc.k;
  std::vector<T> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (auto& x : a) x = dist(rng);
  for (auto& x : b) x = dist(rng);
  // A transposed: A = X^T with X stored row-major K x M.
  const int64_t a_rs = bc.a_transposed ? 1 : K, a_cs = bc.a_transposed ? M : 1;
  const int64_t b_rs = bc.b_transposed ? 1 : N, b_cs = bc.b_transposed ? K : 1;
  auto run = [&] {
    if constexpr (sizeof(T) == 4)
      ft::cpu::gemm_f32(M, N, K, a.data(), a_rs, a_cs, b.data(), b_rs, b_cs, c.data(), N, 1, false);
    else
      ft::cpu::gemm_f64(M, N, K, a.data(), a_rs, a_cs, b.data(), b_rs, b_cs, c.data(), N, 1, false);
  };
  run();
  run();
  // BENCH_CLOCK=cpu times single-threaded runs with this thread's CPU time,
  // which preemption by other processes on a shared machine does not inflate.
  static const bool cpu_clock = std::getenv("BENCH_CLOCK") && std::string(std::getenv("BENCH_CLOCK")) == "cpu";
  auto clock = [] {
    if (!cpu_clock) return now_seconds();
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  };
  std::vector<double> times;
  const double end = now_seconds() + min_time;
  while ((times.size() < 7 || now_seconds() < end) && times.size() < 5000) {
    const double t0 = clock();
    run();
    times.push_back(clock() - t0);
  }
  std::sort(times.begin(), times.end());
  // BENCH_STAT=min reports the fastest rep (tuning on a shared, noisy machine).
  static const bool use_min = std::getenv("BENCH_STAT") && std::string(std::getenv("BENCH_STAT")) == "min";
  return use_min ? times.front() : times[times.size() / 2];
}

std::vector<BenchCase> bench_cases() {
  std::vector<BenchCase> cases;
  for (int n : {64, 128, 256, 512, 1024, 2048}) cases.push_back({"square" + std::to_string(n), n, n, n, false, false, false});
  cases.push_back({"square1024_f64", 1024, 1024, 1024, false, false, true});
  cases.push_back({"mlp_fwd1 256x784*784x256", 256, 256, 784, false, false, false});
  cases.push_back({"mlp_fwd2 256x256*256x10", 256, 10, 256, false, false, false});
  cases.push_back({"mlp_dW1 Xt*dH 784x256*256x256", 784, 256, 256, true, false, false});
  cases.push_back({"mlp_dX dH*Wt 256x256*256x784", 256, 784, 256, false, true, false});
  cases.push_back({"mlp_dW2 Ht*dO 256x256*256x10", 256, 10, 256, true, false, false});
  cases.push_back({"mlp_dH dO*W2t 256x10*10x256", 256, 256, 10, false, true, false});
  return cases;
}

void print_case(const BenchCase& bc) {
  static const bool skip_wait = std::getenv("BENCH_NO_WAIT") != nullptr;
  const bool quiet = skip_wait || wait_for_quiet_machine();
  const double t = bc.f64 ? time_gemm<double>(bc) : time_gemm<float>(bc);
  const double gflops = 2.0 * bc.m * bc.n * bc.k / t / 1e9;
  std::printf("%-34s %9.1f us %7.1f GF/s%s\n", bc.name.c_str(), t * 1e6, gflops, quiet ? "" : "  (machine busy)");
  std::fflush(stdout);
}

void apply_env_tuning() {
  ft::cpu::GemmTuning& t = ft::cpu::gemm_tuning();
  auto env_int = [](const char* name, int64_t& out) {
    if (const char* v = std::getenv(name)) out = std::atoll(v);
  };
  int64_t v;
  if (const char* s = std::getenv("GEMM_KC")) t.f32.kc = t.f64.kc = std::atoll(s);
  if (const char* s = std::getenv("GEMM_MC")) t.f32.mc = t.f64.mc = std::atoll(s);
  if (const char* s = std::getenv("GEMM_NC")) t.f32.nc = t.f64.nc = std::atoll(s);
  if (const char* s = std::getenv("GEMM_ORDER")) t.f32.a_panel_outer = t.f64.a_panel_outer = std::atoi(s) != 0;
  env_int("GEMM_INPLACE_N", t.read_a_in_place_max_n);
  env_int("GEMM_INPLACE_M", t.read_b_in_place_max_m);
  v = t.force_split;
  env_int("GEMM_SPLIT", v);
  t.force_split = static_cast<int>(v);
  v = t.swap_skinny_n;
  env_int("GEMM_SWAP", v);
  t.swap_skinny_n = v != 0;
  if (const char* s = std::getenv("GEMM_MIN_FLOPS")) t.min_flops_for_threads = std::atof(s);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "check";
  std::printf("cpu: %s, detected simd: %s\n", ft::cpu::cpu_model_name().c_str(),
              ft::cpu::simd_level_name(ft::cpu::detected_simd_level()));
  apply_env_tuning();
  if (mode == "check") {
    run_parallel_checks();
    run_gemm_checks();
    std::printf(g_failures == 0 ? "ALL CHECKS PASSED\n" : "%d CHECKS FAILED\n", g_failures);
    return g_failures == 0 ? 0 : 1;
  }
  if (mode == "bench") {
    std::vector<int> thread_counts;
    for (int i = 2; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
    if (thread_counts.empty()) thread_counts = {1, 2};
    for (int threads : thread_counts) {
      ft::cpu::set_num_threads(threads);
      std::printf("threads=%d simd=%s\n", threads, ft::cpu::simd_level_name(ft::cpu::simd_level()));
      for (const BenchCase& bc : bench_cases()) print_case(bc);
    }
    return 0;
  }
  if (mode == "shape" && argc >= 5) {
    BenchCase bc{"shape", std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]),
                 argc > 5 && std::atoi(argv[5]) != 0, argc > 6 && std::atoi(argv[6]) != 0,
                 argc > 7 && std::atoi(argv[7]) != 0};
    bc.name = std::to_string(bc.m) + "x" + std::to_string(bc.n) + "x" + std::to_string(bc.k) +
              (bc.a_transposed ? " At" : "") + (bc.b_transposed ? " Bt" : "") + (bc.f64 ? " f64" : "");
    if (const char* s = std::getenv("THREADS")) ft::cpu::set_num_threads(std::atoi(s));
    print_case(bc);
    return 0;
  }
  std::printf("usage: %s check | bench [threads...] | shape M N K [ta tb f64]\n", argv[0]);
  return 2;
}
