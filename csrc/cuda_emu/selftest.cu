// Checks of the CUDA emulator itself: that it runs correct kernels right and
// catches the faults it claims to catch. Built with FASTTENSOR_CUDA=EMULATE
// as ft_cuda_emu_selftest; exits 0 when every check passes.
#include <cuda_runtime.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

int g_failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++g_failures;
}

// How a child process that ran f (then exited 0) ended, and what it wrote to stderr.
struct ChildResult {
  bool signaled = false;
  int signal = 0, exit_code = -1;
  std::string err;
};

template <class F>
ChildResult run_in_child(const F& f) {
  std::fflush(stdout);
  int pipe_fds[2];
  const bool piped = pipe(pipe_fds) == 0;
  const pid_t child = fork();
  if (child == 0) {
    if (piped) dup2(pipe_fds[1], 2);
    f();
    _exit(0);
  }
  ChildResult r;
  if (piped) close(pipe_fds[1]);
  char buf[512];
  ssize_t got;
  while (piped && (got = read(pipe_fds[0], buf, sizeof buf)) > 0) r.err.append(buf, size_t(got));
  if (piped) close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  r.signaled = WIFSIGNALED(status);
  r.signal = r.signaled ? WTERMSIG(status) : 0;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

template <class T>
T* device_array(const std::vector<T>& host) {
  void* p = nullptr;
  cudaMalloc(&p, host.size() * sizeof(T));
  cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> host_array(const T* device, size_t n) {
  std::vector<T> host(n);
  cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost);
  return host;
}

// Reverses each block's chunk through shared memory; `sync` false leaves
// out the barrier between the writes and the reads.
__global__ void reverse_kernel(const int* in, int* out, bool sync) {
  __shared__ int tile[128];
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  tile[threadIdx.x] = in[i];
  if (sync) __syncthreads();
  out[i] = tile[blockDim.x - 1 - threadIdx.x];
}

// Each lane gets the sum over its warp by xor shuffles, and the value of lane 0.
__global__ void warp_kernel(const float* in, float* sums, float* first) {
  float v = in[threadIdx.x];
  const float mine = v;
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  sums[threadIdx.x] = v;
  first[threadIdx.x] = __shfl_sync(0xffffffffu, mine, 0);
}

__global__ void ballot_kernel(unsigned* out) {
  out[threadIdx.x] = __ballot_sync(0xffffffffu, threadIdx.x % 3 == 0);
}

// Even lanes wait in a full-mask shuffle their odd neighbours never reach:
// they wait in __syncthreads instead (a hang, or undefined, on a GPU).
__global__ void divergent_sync_kernel(int* out) {
  int v = int(threadIdx.x);
  if (threadIdx.x % 2 == 0) v = __shfl_xor_sync(0xffffffffu, v, 1);
  __syncthreads();
  out[threadIdx.x] = v;
}

// A shuffle with lanes that already returned.
__global__ void exited_lanes_kernel(int* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, int(threadIdx.x), 0);
}

__global__ void trap_kernel() { __trap(); }

__global__ void read_past_end_kernel(const float* in, float* out, int n) { out[0] = in[n + 64]; }

// A float4 load from `in + offset` (misaligned unless offset % 4 == 0).
__global__ void float4_load_kernel(const float* in, float* out, int offset) {
  const float4 v = *reinterpret_cast<const float4*>(in + offset);
  out[0] = v.x + v.y + v.z + v.w;
}

// One m16n8k8 product per warp, fragments loaded by the PTX ISA's layout.
__global__ void mma_kernel(const float* a, const float* b, float* d) {
  const int lane = threadIdx.x, g = lane / 4, t = lane % 4;
  const uint32_t af[4] = {ft_emu::to_tf32(a[g * 8 + t]), ft_emu::to_tf32(a[(g + 8) * 8 + t]),
                          ft_emu::to_tf32(a[g * 8 + t + 4]), ft_emu::to_tf32(a[(g + 8) * 8 + t + 4])};
  const uint32_t bf[2] = {ft_emu::to_tf32(b[t * 8 + g]), ft_emu::to_tf32(b[(t + 4) * 8 + g])};
  float acc[4] = {1.f, 1.f, 1.f, 1.f};
  ft_emu::mma_m16n8k8_tf32(acc, af, bf);
  d[g * 8 + 2 * t] = acc[0];
  d[g * 8 + 2 * t + 1] = acc[1];
  d[(g + 8) * 8 + 2 * t] = acc[2];
  d[(g + 8) * 8 + 2 * t + 1] = acc[3];
}

__global__ void __launch_bounds__(64) bounded_kernel(int* out) { out[threadIdx.x] = 1; }

__global__ void noop_kernel(int* out) {
  if (out) out[0] = 0;
}

std::string last_error_text() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

}  // namespace

int main() {
  // Barriers: with __syncthreads the reversal is right; without it, the
  // order the emulator runs threads in exposes the race.
  {
    const int n = 512;
    std::vector<int> in(n);
    for (int i = 0; i < n; ++i) in[i] = i;
    int* d_in = device_array(in);
    int* d_out = device_array(std::vector<int>(n, -1));
    reverse_kernel<<<n / 128, 128>>>(d_in, d_out, true);
    std::vector<int> out = host_array(d_out, n);
    bool right = last_error_text().empty();
    for (int i = 0; i < n; ++i) right &= out[i] == (i / 128) * 128 + 127 - i % 128;
    check(right, "__syncthreads orders shared-memory writes before reads");
    reverse_kernel<<<n / 128, 128>>>(d_in, d_out, false);
    out = host_array(d_out, n);
    bool wrong_somewhere = false;
    for (int i = 0; i < n; ++i) wrong_somewhere |= out[i] != (i / 128) * 128 + 127 - i % 128;
    check(wrong_somewhere && last_error_text().empty(), "a missing __syncthreads gives a wrong result");
  }
  // Warp collectives.
  {
    std::vector<float> in(64);
    for (int i = 0; i < 64; ++i) in[i] = float(i);
    float* d_in = device_array(in);
    float* d_sums = device_array(std::vector<float>(64));
    float* d_first = device_array(std::vector<float>(64));
    warp_kernel<<<1, 64>>>(d_in, d_sums, d_first);
    const std::vector<float> sums = host_array(d_sums, 64), first = host_array(d_first, 64);
    bool right = last_error_text().empty();
    for (int i = 0; i < 64; ++i) right &= sums[i] == (i < 32 ? 496.f : 1520.f) && first[i] == (i < 32 ? 0.f : 32.f);
    check(right, "__shfl_xor_sync and __shfl_sync within each warp");
    unsigned* d_ballot = device_array(std::vector<unsigned>(32));
    ballot_kernel<<<1, 32>>>(d_ballot);
    const std::vector<unsigned> ballot = host_array(d_ballot, 32);
    unsigned expected = 0;
    for (int l = 0; l < 32; l += 3) expected |= 1u << l;
    check(ballot[0] == expected && ballot[31] == expected, "__ballot_sync");
  }
  // TF32 mma against a plain product of the tf32-rounded inputs.
  {
    std::vector<float> a(16 * 8), b(8 * 8);
    for (int i = 0; i < 128; ++i) a[i] = std::sin(0.37f * float(i)) * 3.f;
    for (int i = 0; i < 64; ++i) b[i] = std::cos(0.53f * float(i)) * 2.f;
    float* d_a = device_array(a);
    float* d_b = device_array(b);
    float* d_d = device_array(std::vector<float>(128));
    mma_kernel<<<1, 32>>>(d_a, d_b, d_d);
    const std::vector<float> d = host_array(d_d, 128);
    auto tf32 = [](float x) {
      const uint32_t bits = ft_emu::to_tf32(x);
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    };
    double worst = 0;
    for (int m = 0; m < 16; ++m)
      for (int n = 0; n < 8; ++n) {
        double ref = 1.0;
        for (int k = 0; k < 8; ++k) ref += double(tf32(a[m * 8 + k])) * double(tf32(b[k * 8 + n]));
        worst = std::max(worst, std::fabs(ref - double(d[m * 8 + n])));
      }
    check(worst < 1e-5 && last_error_text().empty(), "mma.m16n8k8 tf32 by the PTX fragment layout");
    check(tf32(1.0f + 0x1p-11f) == 1.0f + 0x1p-10f && tf32(1.0f + 0x1p-12f) == 1.0f,
          "cvt.rna.tf32: ties away from zero, 10 mantissa bits");
  }
  // Faults the emulator reports as a failed launch.
  {
    int* d_out = device_array(std::vector<int>(64));
    divergent_sync_kernel<<<1, 64>>>(d_out);
    check(last_error_text().find("barrier deadlock") != std::string::npos, "a shuffle some lanes of the warp skip");
    exited_lanes_kernel<<<1, 32>>>(d_out);
    check(last_error_text().find("lanes that exited") != std::string::npos, "a shuffle naming exited lanes");
    trap_kernel<<<1, 1>>>();
    check(last_error_text().find("__trap") != std::string::npos, "__trap()");
    noop_kernel<<<dim3(1, 70000), 1>>>(d_out);
    check(last_error_text().find("cudaErrorInvalidConfiguration") != std::string::npos, "grid.y > 65535");
    noop_kernel<<<1, 2048>>>(d_out);
    check(last_error_text().find("cudaErrorInvalidConfiguration") != std::string::npos, "2048 threads per block");
    bounded_kernel<<<1, 64>>>(d_out);
    const bool within = last_error_text().empty();
    bounded_kernel<<<1, 65>>>(d_out);
    check(within && last_error_text().find("past __launch_bounds__(64)") != std::string::npos,
          "a launch past the kernel's __launch_bounds__");
    int on_host = 0;
    noop_kernel<<<1, 1>>>(&on_host);
    check(last_error_text().find("not device memory") != std::string::npos, "a host pointer argument");
    check(cudaMemcpy(d_out, &on_host, 65 * sizeof(int), cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
          "a copy past the end of a device block");
    cudaGetLastError();
  }
  // A read past the end of a block stops the process with the kernel named.
  {
    const ChildResult r = run_in_child([] {
      float* d_in = device_array(std::vector<float>(100));
      float* d_out = device_array(std::vector<float>(1));
      read_past_end_kernel<<<1, 1>>>(d_in, d_out, 100);
    });
    check(r.signaled && r.signal == SIGSEGV && r.err.find("illegal memory access") != std::string::npos &&
              r.err.find("read_past_end_kernel") != std::string::npos,
          "a read past the end of a device block");
  }
  // A misaligned float4 load stops the process with the kernel named (the
  // alignment check's trap); an aligned one runs.
  {
    const ChildResult aligned = run_in_child([] {
      float* d_in = device_array(std::vector<float>(8, 1.f));
      float* d_out = device_array(std::vector<float>(1));
      float4_load_kernel<<<1, 1>>>(d_in, d_out, 4);
    });
    const ChildResult misaligned = run_in_child([] {
      float* d_in = device_array(std::vector<float>(8, 1.f));
      float* d_out = device_array(std::vector<float>(1));
      float4_load_kernel<<<1, 1>>>(d_in, d_out, 1);
    });
    check(!aligned.signaled && aligned.exit_code == 0 && misaligned.signaled && misaligned.signal == SIGILL &&
              misaligned.err.find("misaligned vector access") != std::string::npos &&
              misaligned.err.find("float4_load_kernel") != std::string::npos,
          "a misaligned float4 load");
  }
  std::printf("%d failed\n", g_failures);
  return g_failures == 0 ? 0 : 1;
}
