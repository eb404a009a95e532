#!/usr/bin/env python3
# Runs the gemm_dev benchmark and the PyTorch / numpy reference (torch_ref.py)
# back to back for each thread count and prints a table with time ratios
# (see below). Medians of many reps.
# Usage: compare.py [gemm_dev binary] [threads...]   (default /tmp/gemm_dev 1 2)
# Ratio columns are time_theirs / time_ours: > 1 means we are faster.
import os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gemm_dev"
thread_counts = [int(t) for t in sys.argv[2:]] or [1, 2]
python = os.environ.get("REF_PYTHON", "/work/venv/bin/python")
line_re = re.compile(r"^(.*?)\s+([\d.]+) us\s+([\d.]+) GF/s")

def parse(text):
    out = {}
    for line in text.splitlines():
        m = line_re.match(line)
        if m:
            out[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)))
    return out

def parse_ref(text):
    torch, numpy = {}, {}
    for line in text.splitlines():
        m = re.match(r"^(.*?)\s+torch\s+([\d.]+) us\s+([\d.]+) GF/s\s+numpy\s+([\d.]+) us\s+([\d.]+) GF/s", line)
        if m:
            torch[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)))
            numpy[m.group(1).strip()] = (float(m.group(4)), float(m.group(5)))
    return torch, numpy

for threads in thread_counts:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    ours = parse(subprocess.run([binary, "bench", str(threads)], capture_output=True, text=True, env=env).stdout)
    torch, numpy = parse_ref(subprocess.run([python, os.path.join(here, "torch_ref.py"), str(threads)],
                                            capture_output=True, text=True, env=env).stdout)
    print(f"\nthreads={threads}")
    print(f"{'case':34s} {'ours us':>9s} {'GF/s':>6s} | {'torch us':>9s} {'GF/s':>6s} {'t/ours':>6s} | {'numpy us':>9s} {'GF/s':>6s} {'t/ours':>6s}")
    for name, (t, g) in ours.items():
        tt, tg = torch.get(name, (float("nan"),) * 2)
        nt, ng = numpy.get(name, (float("nan"),) * 2)
        print(f"{name:34s} {t:9.1f} {g:6.1f} | {tt:9.1f} {tg:6.1f} {tt / t:6.2f} | {nt:9.1f} {ng:6.1f} {nt / t:6.2f}")
