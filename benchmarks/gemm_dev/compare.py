#!/usr/bin/env python3
# Runs the gemm_dev benchmark and the PyTorch / numpy reference (torch_ref.py)
# alternately, `rounds` times per thread count, and prints per case the best
# time each side got (the machine is shared, so a round can be disturbed).
# Each time is a median of many reps (BENCH_STAT=min: fastest rep).
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
ref_re = re.compile(r"^(.*?)\s+torch\s+([\d.]+) us\s+([\d.]+) GF/s\s+numpy\s+([\d.]+) us\s+([\d.]+) GF/s")

def keep_best(table, name, t, gflops):
    if name not in table or t < table[name][0]:
        table[name] = (t, gflops)

for threads in args.threads:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    ours, torch, numpy = {}, {}, {}
    for _ in range(args.rounds):
        out = subprocess.run([args.binary, "bench", str(threads)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            m = ours_re.match(line)
            if m:
                keep_best(ours, m.group(1).strip(), float(m.group(2)), float(m.group(3)))
        out = subprocess.run([python, os.path.join(here, "torch_ref.py"), str(threads)],
                             capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            m = ref_re.match(line)
            if m:
                keep_best(torch, m.group(1).strip(), float(m.group(2)), float(m.group(3)))
                keep_best(numpy, m.group(1).strip(), float(m.group(4)), float(m.group(5)))
    print(f"\nthreads={threads} (best of {args.rounds} rounds)")
    print(f"{'case':34s} {'ours us':>9s} {'GF/s':>6s} | {'torch us':>9s} {'GF/s':>6s} {'ratio':>6s} | "
          f"{'numpy us':>9s} {'GF/s':>6s} {'ratio':>6s}")
    nan = (float("nan"), float("nan"))
    for name, (t, g) in ours.items():
        tt, tg = torch.get(name, nan)
        nt, ng = numpy.get(name, nan)
        print(f"{name:34s} {t:9.1f} {g:6.1f} | {tt:9.1f} {tg:6.1f} {tt / t:6.2f} | {nt:9.1f} {ng:6.1f} {nt / t:6.2f}")
    sys.stdout.flush()
