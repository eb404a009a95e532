#!/usr/bin/env python3
# Compares gemm_dev (ours) with PyTorch (MKL) and numpy, case by case: for
# each case and round, wait for an idle machine, time ours, wait again, time
# torch + numpy. The machine is shared, so per case the best of `rounds`
# times is kept for each side. Each time is a median of many reps
# (BENCH_STAT=min: fastest rep).
# Usage: compare.py [--rounds R] [--binary PATH] [threads...]   (default: 3, /tmp/gemm_dev, 1 2)
# Ratio columns are time_theirs / time_ours: > 1 means we are faster.
import argparse, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--binary", default="/tmp/gemm_dev")
parser.add_argument("threads", type=int, nargs="*", default=[1, 2])
args = parser.parse_args()
python = os.environ.get("REF_PYTHON", "/work/venv/bin/python")
ours_re = re.compile(r"^(.*?)\s+([\d.]+) us\s+([\d.]+) GF/s")
ref_re = re.compile(r"torch\s+([\d.]+) us\s+([\d.]+) GF/s\s+numpy\s+([\d.]+) us\s+([\d.]+) GF/s")

# (name, M, N, K, A given transposed, B given transposed, f64): as in gemm_dev.cpp
cases = [(f"square{n}", n, n, n, 0, 0, 0) for n in (64, 128, 256, 512, 1024, 2048)]
cases += [("square1024_f64", 1024, 1024, 1024, 0, 0, 1),
          ("mlp_fwd1 256x784*784x256", 256, 256, 784, 0, 0, 0),
          ("mlp_fwd2 256x256*256x10", 256, 10, 256, 0, 0, 0),
          ("mlp_dW1 Xt*dH 784x256*256x256", 784, 256, 256, 1, 0, 0),
          ("mlp_dX dH*Wt 256x256*256x784", 256, 784, 256, 0, 1, 0),
          ("mlp_dW2 Ht*dO 256x256*256x10", 256, 10, 256, 1, 0, 0),
          ("mlp_dH dO*W2t 256x10*10x256", 256, 256, 10, 0, 1, 0)]

for threads in args.threads:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads), THREADS=str(threads))
    print(f"\nthreads={threads} (best of {args.rounds} rounds)")
    print(f"{'case':34s} {'ours us':>9s} {'GF/s':>6s} | {'torch us':>9s} {'GF/s':>6s} {'ratio':>6s} | "
          f"{'numpy us':>9s} {'GF/s':>6s} {'ratio':>6s}", flush=True)
    for name, *shape in cases:
        shape_args = [str(x) for x in shape]
        best = {"ours": float("inf"), "torch": float("inf"), "numpy": float("inf")}
        for _ in range(args.rounds):
            out = subprocess.run([args.binary, "shape"] + shape_args, capture_output=True, text=True, env=env).stdout
            m = ours_re.match(out.strip().splitlines()[-1])
            best["ours"] = min(best["ours"], float(m.group(2)))
            out = subprocess.run([python, os.path.join(here, "torch_ref.py"), str(threads)] + shape_args,
                                 capture_output=True, text=True, env=env).stdout
            m = ref_re.search(out)
            best["torch"] = min(best["torch"], float(m.group(1)))
            best["numpy"] = min(best["numpy"], float(m.group(3)))
        flop = 2.0 * shape[0] * shape[1] * shape[2] / 1e3  # GFLOP/s = flop / us / 1e3
        t, tt, nt = best["ours"], best["torch"], best["numpy"]
        print(f"{name:34s} {t:9.1f} {flop / t:6.1f} | {tt:9.1f} {flop / tt:6.1f} {tt / t:6.2f} | "
              f"{nt:9.1f} {flop / nt:6.1f} {nt / t:6.2f}", flush=True)
