#!/usr/bin/env python3
"""numpy / torch (1 thread) throughput for the functions of vec_math.h.

Same inputs and table layout as vec_math_dev's timing part (elements/ns),
so the two tables can be compared line by line.
"""
import time

import numpy as np

try:
    import torch
    torch.set_num_threads(1)
except ImportError:  # numpy-only comparison
    torch = None

RANGES = {"exp": (-10, 10), "log": (0.01, 100), "log1p": (-0.5, 10), "tanh": (-5, 5),
          "sigmoid": (-10, 10), "sin": (-10, 10), "cos": (-10, 10)}


def np_fn(name):
    if name == "sigmoid":  # numpy has no sigmoid: the usual composition, in place
        def f(x, y):
            np.negative(x, out=y)
            np.exp(y, out=y)
            y += 1
            np.reciprocal(y, out=y)
        return f
    fn = getattr(np, name)
    return lambda x, y: fn(x, out=y)


def torch_fn(name):
    fn = getattr(torch, name)
    return lambda x, y: fn(x, out=y)


def rate(f, x, y, n):
    reps = max(1, 20_000_000 // n // 4)
    f(x, y)
    best = 1e30
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            f(x, y)
        best = min(best, (time.perf_counter() - t0) / reps)
    return n / (best * 1e9)


def main():
    cap = torch.backends.cpu.get_cpu_capability() if torch else "-"
    for dt in ("float32", "float64"):
        print(f"\n{dt:8s} {'n':7s} {'numpy':>9s} {'torch':>9s}   (elements/ns, 1 thread; torch {cap})")
        for name, (lo, hi) in RANGES.items():
            for n in (1000, 1000000):
                x = np.random.default_rng(7).uniform(lo, hi, n).astype(dt)
                y = np.empty_like(x)
                r_np = rate(np_fn(name), x, y, n)
                r_t = float("nan")
                if torch:
                    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
                    r_t = rate(torch_fn(name), tx, ty, n)
                print(f"{name:8s} {'1e3' if n == 1000 else '1e6':7s} {r_np:9.3f} {r_t:9.3f}")


if __name__ == "__main__":
    main()
