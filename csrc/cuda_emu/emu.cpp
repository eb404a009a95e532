// The CUDA emulator's runtime: fibers for the threads of a block, the
// barrier and warp-collective scheduler, and the runtime API over host
// memory. See emu.h for what is and is not emulated.
#include "emu.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

// --- context switch (x86-64 System V) -------------------------------------------
// ft_emu_switch(save, load): pushes the callee-saved registers and the
// SSE/x87 control words, stores the stack pointer in *save, loads `load` and
// pops the same set from there.
extern "C" void ft_emu_switch(void** save, void* load);
asm(R"(
.text
.p2align 4
.globl ft_emu_switch
.hidden ft_emu_switch
.type ft_emu_switch,@function
ft_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size ft_emu_switch,.-ft_emu_switch
)");

namespace ft_emu {

namespace {

constexpr int kWarp = 32;
constexpr int kMaxThreads = 1024;
constexpr size_t kStackBytes = size_t(128) << 10;
constexpr size_t kGuardBytes = size_t(4) << 10;

enum class State { Ready, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  void* sp = nullptr;
  char* stack_top = nullptr;
  State state = State::Done;
  ThreadCoords coords{};
  int linear = 0;  // thread index within the block
  // The warp collective it waits in.
  unsigned warp_mask = 0;
  void* warp_data = nullptr;
  WarpOp warp_op = nullptr;
};

// Stacks for up to kMaxThreads fibers, each below a guard page, made once.
char* fiber_stacks() {
  static char* base = [] {
    const size_t each = kStackBytes + kGuardBytes;
    void* p = mmap(nullptr, each * kMaxThreads, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "fasttensor CUDA emulator: cannot map fiber stacks\n");
      std::abort();
    }
    char* b = static_cast<char*>(p);
    for (int i = 0; i < kMaxThreads; ++i) mprotect(b + i * each, kGuardBytes, PROT_NONE);
    return b;
  }();
  return base;
}

struct Scheduler {
  std::vector<Fiber> fibers;
  void* scheduler_sp = nullptr;
  Fiber* current = nullptr;
  void (*body)(void*) = nullptr;
  void* ctx = nullptr;
  bool failed = false;
  std::string failure;
};

Scheduler g_sched;
uint64_t g_block_run = 0;  // how many blocks have started, over all launches
std::mutex g_launch_mutex;  // one launch at a time: __shared__ arrays are statics
thread_local cudaError_t t_last_error = cudaSuccess;
std::string g_failure_text;  // what the last failed launch reported

[[noreturn]] void fiber_entry() {
  Scheduler& s = g_sched;
  try {
    s.body(s.ctx);
  } catch (const std::exception& e) {
    if (!s.failed) s.failure = e.what();
    s.failed = true;
  } catch (...) {
    if (!s.failed) s.failure = "an exception in a kernel";
    s.failed = true;
  }
  s.current->state = State::Done;
  ft_emu_switch(&s.current->sp, s.scheduler_sp);
  std::abort();  // a finished fiber is never resumed
}

void start_fiber(Fiber& f) {
  // The stack as ft_emu_switch leaves it: control words, six registers, and
  // a return address that enters fiber_entry as if called (rsp = 8 mod 16).
  auto* top = reinterpret_cast<uint64_t*>(reinterpret_cast<uintptr_t>(f.stack_top) & ~uintptr_t(15));
  uint64_t* sp = top - 2;
  sp[0] = reinterpret_cast<uint64_t>(&fiber_entry);
  sp[1] = 0;
  sp -= 6;
  for (int i = 0; i < 6; ++i) sp[i] = 0;
  sp -= 1;
  uint32_t mxcsr;
  uint16_t fpucw;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  std::memcpy(reinterpret_cast<char*>(sp), &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(sp) + 4, &fpucw, 2);
  f.sp = sp;
  f.state = State::Ready;
}

void yield_to_scheduler() {
  Scheduler& s = g_sched;
  ft_emu_switch(&s.current->sp, s.scheduler_sp);
}

std::string coords_text(const ThreadCoords& c) {
  return "block (" + std::to_string(c.block_idx.x) + ", " + std::to_string(c.block_idx.y) + ", " +
         std::to_string(c.block_idx.z) + ") thread (" + std::to_string(c.thread_idx.x) + ", " +
         std::to_string(c.thread_idx.y) + ", " + std::to_string(c.thread_idx.z) + ")";
}

// Releases every barrier that all the threads it needs have reached;
// true if any was released.
bool release_barriers(Scheduler& s) {
  bool released = false;
  bool all_at_block = true, any_live = false;
  for (Fiber& f : s.fibers) {
    if (f.state == State::Done) continue;
    any_live = true;
    if (f.state != State::AtBlockBarrier) all_at_block = false;
  }
  if (any_live && all_at_block) {
    for (Fiber& f : s.fibers)
      if (f.state == State::AtBlockBarrier) f.state = State::Ready;
    return true;
  }
  const int n = int(s.fibers.size());
  for (int w0 = 0; w0 < n; w0 += kWarp) {
    const int w1 = std::min(n, w0 + kWarp);
    unsigned present = 0;
    bool ready = true, any = false;
    for (int i = w0; i < w1; ++i) {
      const Fiber& f = s.fibers[i];
      if (f.state == State::Done) continue;
      present |= 1u << (i - w0);
      any = true;
      if (f.state != State::AtWarpBarrier) ready = false;
    }
    if (!any || !ready) continue;
    void* data[kWarp] = {};
    const Fiber* first = nullptr;
    for (int i = w0; i < w1; ++i) {
      Fiber& f = s.fibers[i];
      if (f.state != State::AtWarpBarrier) continue;
      if (first == nullptr) first = &f;
      if (f.warp_op != first->warp_op || f.warp_mask != first->warp_mask) {
        s.failed = true;
        s.failure = "lanes of one warp wait in different warp collectives (" + coords_text(f.coords) + ")";
        return false;
      }
      data[i - w0] = f.warp_data;
    }
    const unsigned mask = first->warp_mask;
    if ((mask & ~present) != 0) {
      s.failed = true;
      s.failure = "a warp collective's mask names lanes that exited or do not exist (" +
                  coords_text(first->coords) + ")";
      return false;
    }
    try {
      first->warp_op(data, present, mask);
    } catch (const std::exception& e) {
      s.failed = true;
      s.failure = std::string(e.what()) + " (" + coords_text(first->coords) + ")";
      return false;
    }
    for (int i = w0; i < w1; ++i)
      if (s.fibers[i].state == State::AtWarpBarrier) s.fibers[i].state = State::Ready;
    released = true;
  }
  return released;
}

std::string deadlock_text(const Scheduler& s) {
  int at_block = 0, at_warp = 0, done = 0;
  const Fiber* example = nullptr;
  for (const Fiber& f : s.fibers) {
    if (f.state == State::AtBlockBarrier) ++at_block;
    if (f.state == State::AtWarpBarrier) {
      ++at_warp;
      if (!example) example = &f;
    }
    if (f.state == State::Done) ++done;
  }
  std::string r = "barrier deadlock: " + std::to_string(at_block) + " threads in __syncthreads, " +
                  std::to_string(at_warp) + " in warp collectives, " + std::to_string(done) + " exited";
  if (example) r += " (first in a warp collective: " + coords_text(example->coords) + ")";
  return r;
}

// FT_CUDA_EMU_SEED=n (n > 0): each block's threads run in an order drawn from
// n and the block's place in the launch, reshuffled at every barrier.
uint64_t schedule_seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("FT_CUDA_EMU_SEED");
    return env ? std::strtoull(env, nullptr, 10) : 0;
  }();
  return seed;
}

// The order the threads of block number `serial` run in: forward for even
// blocks and backward for odd ones, or shuffled with a seed.
void thread_order(std::vector<int>& order, int n, uint64_t serial, uint64_t round) {
  order.resize(size_t(n));
  for (int k = 0; k < n; ++k) order[size_t(k)] = serial % 2 == 1 ? n - 1 - k : k;
  if (const uint64_t seed = schedule_seed()) {
    std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ull ^ (serial << 20) ^ round);
    std::shuffle(order.begin(), order.end(), rng);
  }
}

void run_block(Scheduler& s, const dim3& grid, const dim3& block, const uint3& block_idx, uint64_t serial) {
  const int n = int(block.x * block.y * block.z);
  ++g_block_run;
  char* stacks = fiber_stacks();
  s.fibers.resize(size_t(n));
  for (int i = 0; i < n; ++i) {
    Fiber& f = s.fibers[size_t(i)];
    f = Fiber{};
    f.linear = i;
    f.stack_top = stacks + size_t(i) * (kStackBytes + kGuardBytes) + kGuardBytes + kStackBytes;
    const unsigned t = unsigned(i);
    f.coords.thread_idx = uint3{t % block.x, t / block.x % block.y, t / (block.x * block.y)};
    f.coords.block_idx = block_idx;
    f.coords.block_dim = block;
    f.coords.grid_dim = grid;
    start_fiber(f);
  }
  std::vector<int> order;
  for (uint64_t round = 0;; ++round) {
    bool ran = false, live = false;
    if (round == 0 || schedule_seed()) thread_order(order, n, serial, round);
    for (int k = 0; k < n && !s.failed; ++k) {
      Fiber& f = s.fibers[size_t(order[size_t(k)])];
      if (f.state == State::Done) continue;
      live = true;
      if (f.state != State::Ready) continue;
      s.current = &f;
      ft_emu_switch(&s.scheduler_sp, f.sp);
      ran = true;
    }
    if (s.failed || !live) return;
    if (!release_barriers(s) && !ran) {
      if (!s.failed) {
        s.failed = true;
        s.failure = deadlock_text(s);
      }
      return;
    }
    if (s.failed) return;
  }
}

const char* check_config(const LaunchConfig& c) {
  const dim3 &g = c.grid, &b = c.block;
  if (b.x == 0 || b.y == 0 || b.z == 0 || g.x == 0 || g.y == 0 || g.z == 0) return "a zero grid or block dimension";
  if (b.x > 1024 || b.y > 1024 || b.z > 64 || uint64_t(b.x) * b.y * b.z > kMaxThreads)
    return "more than 1024 threads per block (or block.z > 64)";
  if (g.x > 2147483647u || g.y > 65535 || g.z > 65535) return "grid.x > 2^31 - 1 or grid.y / grid.z > 65535";
  return nullptr;
}

// Device memory: every block cudaMalloc handed out, by start address.
std::mutex g_mem_mutex;
std::map<uintptr_t, size_t> g_blocks;
size_t g_allocated = 0;

size_t memory_capacity() {
  static const size_t cap = [] {
    const char* env = std::getenv("FT_CUDA_EMU_MEMORY_MB");
    return size_t(env ? std::strtoull(env, nullptr, 10) : 4096) << 20;
  }();
  return cap;
}

// Where a block of `size` bytes sits in its mapping: a guard page, `pages`
// readable bytes ending with the block's `body` (size rounded up to 256), a
// guard page. The block starts `start` bytes into the mapping.
struct BlockLayout {
  size_t page, body, pages, start, mapped;
};

BlockLayout block_layout(size_t size) {
  BlockLayout l;
  l.page = size_t(sysconf(_SC_PAGESIZE));
  l.body = std::max<size_t>(256, (size + 255) / 256 * 256);
  l.pages = (l.body + l.page - 1) / l.page * l.page;
  l.start = l.page + l.pages - l.body;
  l.mapped = l.pages + 2 * l.page;
  return l;
}

// True if [p, p + n) lies in one allocation (n = 0: p is in it or just past it).
bool is_device_range(const void* p, size_t n) {
  std::lock_guard<std::mutex> lock(g_mem_mutex);
  const auto a = reinterpret_cast<uintptr_t>(p);
  auto it = g_blocks.upper_bound(a);
  if (it == g_blocks.begin()) return false;
  --it;
  return a >= it->first && a + n <= it->first + it->second;
}

// FT_CUDA_EMU_TRACE=1: every launch, copy, memset and allocation on stderr
// (to see which calls synchronize the host: cudaMemcpy from or to pageable
// memory, cudaMalloc, cudaFree, cudaDeviceSynchronize).
bool tracing() {
  static const bool on = [] {
    const char* env = std::getenv("FT_CUDA_EMU_TRACE");
    return env && *env && *env != '0';
  }();
  return on;
}

cudaError_t set_error(cudaError_t e) {
  if (e != cudaSuccess) t_last_error = e;
  return e;
}

cudaError_t check_copy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (count == 0) return cudaSuccess;
  const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if ((dst_dev && !is_device_range(dst, count)) || (src_dev && !is_device_range(src, count))) {
    std::fprintf(stderr, "fasttensor CUDA emulator: cudaMemcpy of %zu bytes outside a device allocation\n", count);
    return set_error(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}

// A fault while a kernel runs: says which kernel and thread, then hands the
// fault to the handler there was before (Python's faulthandler, or the
// default: the process ends, as a GPU would lose its context). SIGILL is
// the alignment check's trap (a misaligned vector access, CMakeLists.txt).
const char* g_running_kernel = nullptr;
struct sigaction g_previous_segv, g_previous_bus, g_previous_ill;

struct sigaction& previous_handler(int sig) {
  return sig == SIGBUS ? g_previous_bus : sig == SIGILL ? g_previous_ill : g_previous_segv;
}

void fault_handler(int sig, siginfo_t* info, void*) {
  if (g_running_kernel && g_sched.current) {
    char text[1024];
    const ThreadCoords& c = g_sched.current->coords;
    // A 16-byte access the compiler made with an aligned instruction (movaps)
    // faults by itself when misaligned: a general protection fault, no address.
    const char* what = sig == SIGILL ? "misaligned vector access (the alignment check's trap)"
                       : sig == SIGSEGV && info->si_code == SI_KERNEL
                           ? "misaligned vector access or illegal address (general protection fault)"
                           : "illegal memory access";
    const int n = std::snprintf(text, sizeof text,
                                "fasttensor CUDA emulator: %s at %p in block (%u, %u, %u) thread (%u, %u, %u) of %s\n",
                                what, info->si_addr, c.block_idx.x, c.block_idx.y, c.block_idx.z, c.thread_idx.x,
                                c.thread_idx.y, c.thread_idx.z, g_running_kernel);
    if (n > 0) (void)!write(2, text, size_t(std::min<int>(n, int(sizeof text) - 1)));
  }
  sigaction(sig, &previous_handler(sig), nullptr);
  if (info->si_code <= 0) raise(sig);  // sent, not a fault: returning would not repeat it
}

void install_fault_handler() {
  // Its own stack, so that a fiber's stack overflow (its guard page) is reported too.
  thread_local bool alt_stack = [] {
    stack_t st{};
    st.ss_size = size_t(64) << 10;
    st.ss_sp = std::malloc(st.ss_size);
    return st.ss_sp != nullptr && sigaltstack(&st, nullptr) == 0;
  }();
  (void)alt_stack;
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = &fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL}) sigaction(sig, &sa, &previous_handler(sig));
  });
}

}  // namespace

const ThreadCoords& coords() { return g_sched.current->coords; }

bool is_device_pointer(const void* p) { return is_device_range(p, 0); }  // one past the end is a valid pointer

void fail_launch(const std::string& what, cudaError_t error) {
  g_failure_text = what;
  std::fprintf(stderr, "fasttensor CUDA emulator: %s\n", what.c_str());
  set_error(error);
}

int lane_id() { return g_sched.current->linear % kWarp; }

void run_grid(const LaunchConfig& config, void (*body)(void*), void* ctx, const char* kernel_name) {
  if (const char* bad = check_config(config)) {
    fail_launch(std::string("invalid launch configuration: ") + bad + " in " + kernel_name,
                cudaErrorInvalidConfiguration);
    return;
  }
  if (tracing())
    std::fprintf(stderr, "[emu] launch %s <<<(%u, %u, %u), (%u, %u, %u)>>>\n", kernel_name, config.grid.x,
                 config.grid.y, config.grid.z, config.block.x, config.block.y, config.block.z);
  install_fault_handler();
  std::lock_guard<std::mutex> lock(g_launch_mutex);
  g_running_kernel = kernel_name;
  Scheduler& s = g_sched;
  s.body = body;
  s.ctx = ctx;
  s.failed = false;
  s.failure.clear();
  const dim3 g = config.grid;
  uint64_t serial = 0;
  for (unsigned z = 0; z < g.z && !s.failed; ++z)
    for (unsigned y = 0; y < g.y && !s.failed; ++y)
      for (unsigned x = 0; x < g.x && !s.failed; ++x, ++serial) {
        run_block(s, g, config.block, uint3{x, y, z}, serial);
        if (s.failed && s.failure.find(" (block") == std::string::npos && s.current)
          s.failure += " (" + coords_text(s.current->coords) + ")";
      }
  s.current = nullptr;
  g_running_kernel = nullptr;
  if (s.failed) fail_launch(s.failure + " in " + kernel_name, cudaErrorLaunchFailure);
}

void sync_block() {
  g_sched.current->state = State::AtBlockBarrier;
  yield_to_scheduler();
}

void warp_collective(unsigned mask, void* data, WarpOp op) {
  Fiber& f = *g_sched.current;
  f.state = State::AtWarpBarrier;
  f.warp_mask = mask;
  f.warp_data = data;
  f.warp_op = op;
  yield_to_scheduler();
}

void fail(const char* what) { throw std::runtime_error(what); }

void poison_shared(void* array, size_t bytes) {
  // Runs under the launch mutex. Block runs are numbered from 1.
  static std::map<void*, uint64_t> poisoned_in;
  uint64_t& last = poisoned_in[array];
  if (last == g_block_run) return;
  last = g_block_run;
  std::memset(array, 0xff, bytes);
}

void check_launch_bounds(long long max_threads) {
  const dim3& b = coords().block_dim;
  const long long threads = (long long)b.x * b.y * b.z;
  if (threads > max_threads)
    fail(("a launch of " + std::to_string(threads) + " threads per block past __launch_bounds__(" +
          std::to_string(max_threads) + ")").c_str());
}

namespace {

struct ShuffleSlot {
  uint32_t value;
  int source;  // the lane whose value this lane receives
  uint32_t result;
};

void shuffle_op(void* const* lanes, unsigned present, unsigned mask) {
  for (int l = 0; l < kWarp; ++l) {
    if (!lanes[l]) continue;
    auto* slot = static_cast<ShuffleSlot*>(lanes[l]);
    const int src = slot->source;
    if (!(mask >> src & 1u) || !(present >> src & 1u) || !lanes[src])
      throw std::runtime_error("a shuffle reads a lane outside its mask");
    slot->result = static_cast<ShuffleSlot*>(lanes[src])->value;
  }
}

struct BallotSlot {
  bool predicate;
  unsigned result;
};

void ballot_op(void* const* lanes, unsigned, unsigned mask) {
  unsigned bits = 0;
  for (int l = 0; l < kWarp; ++l)
    if (lanes[l] && (mask >> l & 1u) && static_cast<BallotSlot*>(lanes[l])->predicate) bits |= 1u << l;
  for (int l = 0; l < kWarp; ++l)
    if (lanes[l]) static_cast<BallotSlot*>(lanes[l])->result = bits;
}

struct MmaSlot {
  float* d;
  const uint32_t* a;
  const uint32_t* b;
};

float tf32_value(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// The m16n8k8 fragment layout (PTX ISA, "Matrix Fragments for mma.m16n8k8"):
// lane = 4 * group + t; a: (g, t) (g+8, t) (g, t+4) (g+8, t+4);
// b: (k=t, n=g) (k=t+4, n=g); c/d: (g, 2t) (g, 2t+1) (g+8, 2t) (g+8, 2t+1).
void mma_op(void* const* lanes, unsigned present, unsigned) {
  if (present != 0xffffffffu) throw std::runtime_error("mma.sync needs all 32 lanes of the warp");
  float A[16][8], B[8][8], C[16][8];
  for (int l = 0; l < kWarp; ++l) {
    const auto* s = static_cast<const MmaSlot*>(lanes[l]);
    const int g = l / 4, t = l % 4;
    for (int i = 0; i < 4; ++i) {
      if (s->a[i] & 0x1fffu) throw std::runtime_error("an mma tf32 operand is not rounded to tf32");
    }
    A[g][t] = tf32_value(s->a[0]);
    A[g + 8][t] = tf32_value(s->a[1]);
    A[g][t + 4] = tf32_value(s->a[2]);
    A[g + 8][t + 4] = tf32_value(s->a[3]);
    B[t][g] = tf32_value(s->b[0]);
    B[t + 4][g] = tf32_value(s->b[1]);
    C[g][2 * t] = s->d[0];
    C[g][2 * t + 1] = s->d[1];
    C[g + 8][2 * t] = s->d[2];
    C[g + 8][2 * t + 1] = s->d[3];
  }
  float D[16][8];
  for (int m = 0; m < 16; ++m)
    for (int n = 0; n < 8; ++n) {
      float acc = C[m][n];
      for (int k = 0; k < 8; ++k) acc += A[m][k] * B[k][n];
      D[m][n] = acc;
    }
  for (int l = 0; l < kWarp; ++l) {
    const auto* s = static_cast<const MmaSlot*>(lanes[l]);
    const int g = l / 4, t = l % 4;
    s->d[0] = D[g][2 * t];
    s->d[1] = D[g][2 * t + 1];
    s->d[2] = D[g + 8][2 * t];
    s->d[3] = D[g + 8][2 * t + 1];
  }
}

}  // namespace

uint32_t shuffle(unsigned mask, uint32_t value, ShuffleKind kind, int arg, int width) {
  const int lane = lane_id();
  const int base = lane & ~(width - 1), in_segment = lane - base;
  int source = lane;
  switch (kind) {
    case ShuffleKind::Index: source = base + (arg % width + width) % width; break;
    case ShuffleKind::Up: source = in_segment >= arg ? lane - arg : lane; break;
    case ShuffleKind::Xor: source = (lane ^ arg) < base + width ? (lane ^ arg) : lane; break;
  }
  ShuffleSlot slot{value, source, 0};
  warp_collective(mask, &slot, &shuffle_op);
  return slot.result;
}

unsigned ballot(unsigned mask, bool predicate) {
  BallotSlot slot{predicate, 0};
  warp_collective(mask, &slot, &ballot_op);
  return slot.result;
}

void mma_m16n8k8_tf32(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  MmaSlot slot{d, a, b};
  warp_collective(0xffffffffu, &slot, &mma_op);
}

uint32_t to_tf32(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u) return (bits & 0x7fffffffu) > 0x7f800000u ? 0x7fffffffu : bits;
  return (bits + 0x1000u) & 0xffffe000u;  // round half away from zero to 10 mantissa bits
}

}  // namespace ft_emu

// --- runtime API ---------------------------------------------------------------
using ft_emu::set_error;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : set_error(cudaErrorInvalidDevice); }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return set_error(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "fasttensor CUDA emulator");
  prop->totalGlobalMem = ft_emu::memory_capacity();
  prop->sharedMemPerBlock = 48 << 10;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 2147483647;
  prop->maxGridSize[1] = prop->maxGridSize[2] = 65535;
  const char* sms = std::getenv("FT_CUDA_EMU_SMS");
  prop->multiProcessorCount = sms ? std::max(1, std::atoi(sms)) : 132;  // an H100 SXM
  prop->major = 9;
  prop->minor = 0;
  return cudaSuccess;
}

// A block is mapped with a guard page on each side and placed against the
// upper one (256-byte aligned, as cudaMalloc's): an access past its end
// faults at once (see fault_handler). Its bytes start as 0xff, as garbage.
cudaError_t cudaMalloc(void** ptr, size_t size) {
  if (ft_emu::tracing()) std::fprintf(stderr, "[emu] cudaMalloc %zu bytes\n", size);
  std::lock_guard<std::mutex> lock(ft_emu::g_mem_mutex);
  *ptr = nullptr;
  if (size > ft_emu::memory_capacity() - std::min(ft_emu::g_allocated, ft_emu::memory_capacity()))
    return set_error(cudaErrorMemoryAllocation);
  const ft_emu::BlockLayout l = ft_emu::block_layout(size);
  void* map = mmap(nullptr, l.mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) return set_error(cudaErrorMemoryAllocation);
  char* base = static_cast<char*>(map);
  if (mprotect(base + l.page, l.pages, PROT_READ | PROT_WRITE) != 0) {
    munmap(map, l.mapped);
    return set_error(cudaErrorMemoryAllocation);
  }
  char* p = base + l.start;
  std::memset(p, 0xff, l.body);  // NaN / -1 everywhere: an element no kernel writes shows
  ft_emu::g_blocks[reinterpret_cast<uintptr_t>(p)] = size;
  ft_emu::g_allocated += size;
  *ptr = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  if (ft_emu::tracing()) std::fprintf(stderr, "[emu] cudaFree\n");
  std::lock_guard<std::mutex> lock(ft_emu::g_mem_mutex);
  auto it = ft_emu::g_blocks.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == ft_emu::g_blocks.end()) return set_error(cudaErrorInvalidValue);
  const ft_emu::BlockLayout l = ft_emu::block_layout(it->second);
  ft_emu::g_allocated -= it->second;
  ft_emu::g_blocks.erase(it);
  munmap(static_cast<char*>(ptr) - l.start, l.mapped);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  std::lock_guard<std::mutex> lock(ft_emu::g_mem_mutex);
  *total = ft_emu::memory_capacity();
  *free = *total - std::min(*total, ft_emu::g_allocated);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (ft_emu::tracing()) {
    static const char* names[] = {"HostToHost", "HostToDevice", "DeviceToHost", "DeviceToDevice", "Default"};
    std::fprintf(stderr, "[emu] cudaMemcpy %s %zu bytes\n", names[unsigned(kind) < 5 ? int(kind) : 4], count);
  }
  if (const cudaError_t e = ft_emu::check_copy(dst, src, count, kind)) return e;
  if (count) std::memmove(dst, src, count);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, count, kind);
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  if (ft_emu::tracing()) std::fprintf(stderr, "[emu] cudaMemset %zu bytes\n", count);
  if (count && !ft_emu::is_device_range(ptr, count)) {
    std::fprintf(stderr, "fasttensor CUDA emulator: cudaMemset of %zu bytes outside a device allocation\n", count);
    return set_error(cudaErrorInvalidValue);
  }
  if (count) std::memset(ptr, value, count);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t) { return cudaMemset(ptr, value, count); }

cudaError_t cudaDeviceSynchronize() {
  if (ft_emu::tracing()) std::fprintf(stderr, "[emu] cudaDeviceSynchronize\n");
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = ft_emu::t_last_error;
  ft_emu::t_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError() { return ft_emu::t_last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration:
    case cudaErrorLaunchFailure: {
      // The emulator's own account of what failed.
      thread_local std::string text;
      text = std::string(error == cudaErrorLaunchFailure ? "unspecified launch failure"
                                                         : "invalid configuration argument") +
             " [emulator: " + ft_emu::g_failure_text + "]";
      return text.c_str();
    }
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
  }
  return "unknown error";
}
