# Reference timings for the gemm_dev bench: PyTorch (MKL) and numpy matmul on
# the same shapes, median of many reps (BENCH_STAT=min: fastest rep), GFLOP/s.
# Usage: torch_ref.py THREADS                 all cases
#        torch_ref.py THREADS M N K TA TB F64  one case (TA/TB: operand given transposed)
import sys, time, statistics, os
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
os.environ.setdefault("OMP_NUM_THREADS", str(threads))
import numpy as np
import torch
torch.set_num_threads(threads)


def wait_for_quiet_machine(timeout=float(os.environ.get("BENCH_WAIT_S", "20"))):
    """The machine is shared: wait until the other CPUs are idle (/proc/stat over 100 ms)."""
    if os.environ.get("BENCH_NO_WAIT"):
        return True
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
        return v[3] + v[4], v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    deadline = time.time() + timeout
    while True:
        i0, b0 = sample(); time.sleep(0.1); i1, b1 = sample()
        if (b1 - b0) / max(1, (b1 - b0) + (i1 - i0)) * os.cpu_count() < 0.15:
            return True
        if time.time() > deadline:
            return False


def bench(fn, flops, min_time=0.3, min_reps=7):
    fn(); fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < min_reps or time.perf_counter() < t_end:
        t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
        if len(times) >= 5000: break
    t = min(times) if os.environ.get("BENCH_STAT") == "min" else statistics.median(times)
    return t, flops / t / 1e9


def run_case(name, M, N, K, ta, tb, f64):
    npdt = np.float64 if f64 else np.float32
    a = np.random.rand(K, M).astype(npdt).T if ta else np.random.rand(M, K).astype(npdt)
    b = np.random.rand(N, K).astype(npdt).T if tb else np.random.rand(K, N).astype(npdt)
    ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
    out = torch.empty(M, N, dtype=ta_.dtype)
    flops = 2.0 * M * N * K
    wait_for_quiet_machine()
    t_t, g_t = bench(lambda: torch.matmul(ta_, tb_, out=out), flops)
    wait_for_quiet_machine()
    t_n, g_n = bench(lambda: np.matmul(a, b), flops)
    print(f"{name:34s} torch {t_t*1e6:9.1f} us {g_t:7.1f} GF/s   numpy {t_n*1e6:9.1f} us {g_n:7.1f} GF/s", flush=True)


# (name, M, N, K, A given transposed, B given transposed, f64) -- same list as gemm_dev.cpp
cases = [(f"square{n}", n, n, n, False, False, False) for n in (64, 128, 256, 512, 1024, 2048)]
cases += [("square1024_f64", 1024, 1024, 1024, False, False, True)]
cases += [
    ("mlp_fwd1 256x784*784x256", 256, 256, 784, False, False, False),
    ("mlp_fwd2 256x256*256x10", 256, 10, 256, False, False, False),
    ("mlp_dW1 Xt*dH 784x256*256x256", 784, 256, 256, True, False, False),
    ("mlp_dX dH*Wt 256x256*256x784", 256, 784, 256, False, True, False),
    ("mlp_dW2 Ht*dO 256x256*256x10", 256, 10, 256, True, False, False),
    ("mlp_dH dO*W2t 256x10*10x256", 256, 256, 10, False, True, False),
]

if len(sys.argv) >= 8:
    M, N, K, ta, tb, f64 = (int(x) for x in sys.argv[2:8])
    run_case("shape", M, N, K, bool(ta), bool(tb), bool(f64))
else:
    print(f"threads={threads}")
    for case in cases:
        run_case(*case)
