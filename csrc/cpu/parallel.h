// The CPU thread pool: one parallel_for used by every kernel.
//
// Small problems run on the calling thread (waking a sleeping worker costs
// ~75 us on these machines); larger ones are split into contiguous chunks.
// Workers spin briefly before sleeping so back-to-back ops stay cheap.
// Our own pool, not OpenMP: PyTorch's wheel loads its own libgomp into the
// same test process and two OpenMP runtimes fight.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

namespace ft::cpu {

int get_num_threads();
// n <= 0 resets to the default (OMP_NUM_THREADS if set, else hardware cores).
void set_num_threads(int n);
// True while the current thread is running a chunk of a parallel_for.
bool in_parallel_region();

using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);

// Runs fn(ctx, b, e) over [begin, end) split into ceil(range / grain_size)
// chunks (at most 8 per thread), as PyTorch's at::parallel_for splits: a range
// of 1 to 2 grains runs as two halves; serial when the range is one grain or
// less, when one thread is configured, or inside a parallel region.
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain_size, ChunkFn fn, void* ctx);

template <class F>
inline void parallel_for(int64_t begin, int64_t end, int64_t grain_size, F&& f) {
  if (end - begin <= grain_size || get_num_threads() == 1 || in_parallel_region()) {
    if (begin < end) f(begin, end);
    return;
  }
  using Fn = std::remove_reference_t<F>;
  parallel_for_impl(
      begin, end, grain_size,
      [](void* ctx, int64_t b, int64_t e) { (*static_cast<Fn*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace ft::cpu
