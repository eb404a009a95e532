// Our own thread pool behind ft::cpu::parallel_for (see parallel.h).
//
// Design:
//  * One pool of (num_threads - 1) persistent workers; the calling thread
//    runs chunks too, so num_threads threads work on a job.
//  * A job is split evenly into at most 8 * num_threads chunks of at least
//    grain_size iterations, claimed through an atomic counter: a worker that
//    wakes late (on these VMs a wake-up can take longer than a whole chunk)
//    still takes its share of the remaining chunks.
//  * Workers spin (with a pause instruction) for ~1 ms after each job, then
//    sleep on a condition variable; back-to-back kernels see ~1 us dispatch,
//    an idle process burns no CPU.
//  * Linux: the workers are kept off the CPU the caller runs on (re-pointed
//    when the caller moves), so the two never take turns on one CPU while
//    another idles; the caller itself is never restricted.
//  * One job at a time: a second Python thread that finds the pool busy runs
//    its loop serially on its own thread instead of waiting (never deadlocks,
//    including parallel_for called from inside a chunk).
//  * An exception thrown by a chunk is caught, the remaining chunks are
//    skipped, and the first exception is rethrown on the calling thread.
//  * Process exit: the pool and its mutexes are heap objects that are never
//    destroyed, so no static destructor joins threads or destroys a mutex
//    that a worker may still touch while Python finalizes; sleeping workers
//    die with the process. The pool is only torn down (workers joined) when
//    set_num_threads() changes the size. After fork() the child starts with a
//    fresh, empty pool (the parent's workers do not exist there).
#include "parallel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <pthread.h>
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace ft::cpu {
namespace {

// How long an idle worker spins before sleeping on the condition variable.
constexpr auto kWorkerSpinTime = std::chrono::microseconds(1000);
// Upper bound on chunks per thread for one parallel_for.
constexpr int64_t kChunksPerThread = 8;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

thread_local bool t_in_parallel_region = false;

// Sets t_in_parallel_region for the lifetime of a scope, restoring the old
// value (the caller thread may already be inside a region).
class ParallelRegionGuard {
 public:
  ParallelRegionGuard() : previous_(t_in_parallel_region) { t_in_parallel_region = true; }
  ~ParallelRegionGuard() { t_in_parallel_region = previous_; }
  ParallelRegionGuard(const ParallelRegionGuard&) = delete;
  ParallelRegionGuard& operator=(const ParallelRegionGuard&) = delete;

 private:
  bool previous_;
};

int default_num_threads() {
  if (const char* env = std::getenv("OMP_NUM_THREADS")) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (end != env && n > 0) return n > 1024 ? 1024 : static_cast<int>(n);
  }
#if defined(__linux__)
  // The CPUs this process may run on (taskset, cgroup cpusets), as OpenMP
  // counts them, not all CPUs of the machine.
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0) {
    const int n = CPU_COUNT(&allowed);
    return n > 1024 ? 1024 : n;
  }
#endif
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// 0 = not yet initialized from the environment.
std::atomic<int> g_num_threads{0};

class ThreadPool {
 public:
  explicit ThreadPool(int num_workers) : num_workers_(num_workers) {
    workers_.reserve(static_cast<size_t>(num_workers));
    for (int i = 0; i < num_workers; ++i) workers_.emplace_back([this] { worker_loop(); });
#if defined(__linux__)
    has_allowed_ = sched_getaffinity(0, sizeof(allowed_), &allowed_) == 0;
#endif
  }

  int num_workers() const { return num_workers_; }

  // Keeps the workers off the CPU the calling thread runs on: they may use
  // the CPUs the pool's creator was allowed, minus that one, when that leaves
  // a CPU per worker. Left alone, Linux often had a worker and the caller on
  // one CPU on these VMs, taking turns for milliseconds while the other CPU
  // idled (a copy of 1e6 floats on 2 threads: 150 us, or 290 us in streaks;
  // 256x784 @ 784x256: 350-500 us, or 1.2-1.5 ms). The caller is never
  // restricted; when it moves to another CPU, the next job re-points the
  // workers (sched_getcpu is a few ns; the re-pointing, a syscall per worker,
  // happens only after such a move).
  void keep_workers_off_caller_cpu() {
#if defined(__linux__)
    const int cpu = sched_getcpu();
    if (cpu == caller_cpu_ || !has_allowed_) return;
    caller_cpu_ = cpu;
    cpu_set_t mask = allowed_;
    if (cpu >= 0 && CPU_ISSET(cpu, &mask) && CPU_COUNT(&mask) - 1 >= num_workers_) CPU_CLR(cpu, &mask);
    for (auto& t : workers_) pthread_setaffinity_np(t.native_handle(), sizeof(mask), &mask);
#endif
  }

  // Stops and joins the workers. Only called with the dispatch mutex held and
  // no job in flight.
  void shutdown() {
    stop_.store(true);
    generation_.fetch_add(1);
    {
      std::lock_guard<std::mutex> lock(sleep_mutex_);
    }
    wake_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  // Runs fn over [begin, end) split into num_chunks even chunks; the calling
  // thread participates. Rethrows the first exception of any chunk.
  void run(int64_t begin, int64_t end, int64_t num_chunks, ChunkFn fn, void* ctx) {
    fn_ = fn;
    ctx_ = ctx;
    begin_ = begin;
    end_ = end;
    num_chunks_ = num_chunks;
    next_chunk_.store(0, std::memory_order_relaxed);
    done_chunks_.store(0, std::memory_order_relaxed);
    failed_.store(false, std::memory_order_relaxed);
    error_ = nullptr;

    keep_workers_off_caller_cpu();
    // Publish: the job fields above happen-before any worker that sees
    // accepting_ == true.
    accepting_.store(true);
    generation_.fetch_add(1);
    if (sleepers_.load() > 0) {
      // Taking the mutex orders us after a worker that is between its
      // predicate check and cv.wait(), so the notify cannot be lost.
      { std::lock_guard<std::mutex> lock(sleep_mutex_); }
      wake_cv_.notify_all();
    }

    run_chunks();

    // Wait for chunks that workers claimed.
    for (int spins = 0; done_chunks_.load(std::memory_order_acquire) < num_chunks_; ++spins) {
      if (spins < 100000) cpu_relax(); else std::this_thread::yield();
    }
    // Retire the job: no worker may read its fields after we return.
    accepting_.store(false);
    for (int spins = 0; users_.load() != 0; ++spins) {
      if (spins < 100000) cpu_relax(); else std::this_thread::yield();
    }
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void run_chunks() {
    ParallelRegionGuard region;
    const int64_t range = end_ - begin_;
    for (;;) {
      const int64_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= num_chunks_) break;
      if (!failed_.load(std::memory_order_relaxed)) {
        // Even split: chunk c covers [range*c/n, range*(c+1)/n).
        const int64_t b = begin_ + range * chunk / num_chunks_;
        const int64_t e = begin_ + range * (chunk + 1) / num_chunks_;
        try {
          fn_(ctx_, b, e);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex_);
          if (!error_) error_ = std::current_exception();
          failed_.store(true, std::memory_order_relaxed);
        }
      }
      done_chunks_.fetch_add(1, std::memory_order_acq_rel);
    }
  }

  // Returns once generation_ differs from `seen`.
  void wait_for_new_generation(uint64_t seen) {
    const auto spin_until = std::chrono::steady_clock::now() + kWorkerSpinTime;
    for (int spins = 0;; ++spins) {
      if (generation_.load(std::memory_order_acquire) != seen) return;
      cpu_relax();
      if ((spins & 15) == 15 && std::chrono::steady_clock::now() > spin_until) break;
    }
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    sleepers_.fetch_add(1);
    wake_cv_.wait(lock, [&] { return generation_.load() != seen; });
    sleepers_.fetch_sub(1);
  }

  void worker_loop() {
#if defined(__linux__)
    pthread_setname_np(pthread_self(), "ft-worker");  // for top, perf and the tests
#endif
    uint64_t seen = 0;  // generation_ starts at 0: wait for the first job
    for (;;) {
      wait_for_new_generation(seen);
      seen = generation_.load();
      if (stop_.load()) return;
      // Dekker-style handshake with run(): either we see accepting_ == false
      // and touch nothing, or run() sees users_ > 0 and waits for us.
      users_.fetch_add(1);
      if (accepting_.load()) run_chunks();
      users_.fetch_sub(1);
    }
  }

  const int num_workers_;
  std::vector<std::thread> workers_;
#if defined(__linux__)
  cpu_set_t allowed_;        // the creating thread's CPUs
  bool has_allowed_ = false;
  int caller_cpu_ = -2;      // the caller's CPU at the last re-pointing (-2: never)
#endif

  // The current job; written only by run() while no worker uses it.
  ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t begin_ = 0, end_ = 0, num_chunks_ = 0;
  std::atomic<int64_t> next_chunk_{0};
  std::atomic<int64_t> done_chunks_{0};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;

  std::atomic<bool> accepting_{false};
  std::atomic<int> users_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};

  std::atomic<int> sleepers_{0};
  std::mutex sleep_mutex_;
  std::condition_variable wake_cv_;
};

// Both are heap objects that are never freed (see the file comment). The
// dispatch mutex serializes jobs and pool resizing. Function-local statics so
// that parallel_for works from other files' static initializers too.
std::mutex*& dispatch_mutex_ptr() {
  static std::mutex* mutex = new std::mutex;
  return mutex;
}
ThreadPool* g_pool = nullptr;  // guarded by *dispatch_mutex_ptr()

#if !defined(_WIN32)
void reset_pool_after_fork_in_child() {
  // The parent's workers do not exist in the child and the mutex may have
  // been held by another parent thread at fork time: start over (leaking the
  // old objects is deliberate; touching them could block forever).
  dispatch_mutex_ptr() = new std::mutex;
  g_pool = nullptr;
  t_in_parallel_region = false;
}

std::once_flag g_atfork_once;
#endif

}  // namespace

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    int expected = 0;
    g_num_threads.compare_exchange_strong(expected, default_num_threads());
    n = g_num_threads.load(std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  // The pool is resized lazily by the next parallel_for, so this is safe to
  // call from anywhere, including inside a parallel region.
  g_num_threads.store(n <= 0 ? default_num_threads() : (n > 1024 ? 1024 : n));
}

bool in_parallel_region() { return t_in_parallel_region; }

void parallel_for_impl(int64_t begin, int64_t end, int64_t grain_size, ChunkFn fn, void* ctx) {
  if (begin >= end) return;
  const int64_t range = end - begin;
  const int64_t grain = grain_size < 1 ? 1 : grain_size;
  const int num_threads = get_num_threads();
  // Several chunks per thread: a worker that wakes late (waking a sleeping
  // thread on these VMs can take longer than a whole chunk) still finds work,
  // instead of the caller running every chunk alone.
  int64_t num_chunks = (range + grain - 1) / grain;
  if (num_chunks > int64_t(num_threads) * kChunksPerThread) num_chunks = int64_t(num_threads) * kChunksPerThread;
  if (num_chunks < 2 || in_parallel_region()) {
    fn(ctx, begin, end);
    return;
  }

#if !defined(_WIN32)
  std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, reset_pool_after_fork_in_child); });
#endif

  std::unique_lock<std::mutex> lock(*dispatch_mutex_ptr(), std::try_to_lock);
  if (!lock.owns_lock()) {
    // Another thread's job is running on the pool: do ours serially rather
    // than queue behind it (both cores are busy anyway).
    ParallelRegionGuard region;
    fn(ctx, begin, end);
    return;
  }
  if (g_pool == nullptr || g_pool->num_workers() != num_threads - 1) {
    if (g_pool != nullptr) {
      g_pool->shutdown();
      delete g_pool;
    }
    g_pool = new ThreadPool(num_threads - 1);
  }
  g_pool->run(begin, end, num_chunks, fn, ctx);
}

}  // namespace ft::cpu
