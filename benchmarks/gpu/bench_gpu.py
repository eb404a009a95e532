"""GPU benchmark: fasttensor's CUDA kernels against torch on the same GPU.

Each case first checks our result against torch's (a benchmark of a wrong
kernel is worthless), then times both with CUDA events after warm-up, the
calls interleaved round by round, and reports medians (and p25-p75):
  - fp32 matmul 1024^3 and 4096^3: GFLOP/s, ours (TF32 off) vs cuBLAS with TF32
    off, then each of our fp32 kernels forced in turn (the sweep that tunes the
    shape heuristic); ours with TF32 on vs cuBLAS with TF32 on as an extra line;
  - elementwise add of 2^26 floats: GB/s against a measured device-to-device copy;
  - softmax (4096, 4096) and (65536, 1024): GB/s and the ratio to torch, then
    each launch shape of our register-cached path that holds the rows forced
    in turn (the sweep that tunes the default: threads per row x per block);
  - one training step of a 784-256-10 MLP, batch 256, SGD: ours vs torch eager.
A case that fails is recorded (with its error) and the rest still run.

    python3 benchmarks/gpu/bench_gpu.py --out OUTDIR [--quick]

writes OUTDIR/results.json and OUTDIR/report.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import torch

import fasttensor as ft


def sync() -> None:
    torch.cuda.synchronize()
    ft.cuda.synchronize()


def event_ms(fn: Callable[[], Any]) -> float:
    """fn's device time in milliseconds, from CUDA events around the call.

    Our kernels and torch's both run on the device's legacy default stream, so
    torch's events bracket either library's work."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def interleaved(fns: Dict[str, Callable[[], Any]], warmup: int, iters: int,
                timer: Callable[[Callable[[], Any]], float] = event_ms) -> Dict[str, Dict[str, float]]:
    """Times each of fns `iters` times, the calls interleaved (one of each per
    round, the order rotating) so that a slow phase of the shared machine
    touches all of them alike: {name: {median, p25, p75}} in milliseconds."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    sync()
    times: Dict[str, List[float]] = {name: [] for name in names}
    for i in range(iters):
        for name in names[i % len(names):] + names[:i % len(names)]:
            times[name].append(timer(fns[name]))
    out = {}
    for name, ts in times.items():
        q = statistics.quantiles(ts, n=4) if len(ts) > 1 else [ts[0]] * 3
        out[name] = {"median": statistics.median(ts), "p25": q[0], "p75": q[2]}
    return out


def spread(t: Dict[str, float]) -> str:
    return f"{t['p25']:.4g}-{t['p75']:.4g}"


def to_torch(x: ft.Tensor) -> torch.Tensor:
    return torch.from_numpy(x.cpu().numpy()).cuda()


def max_rel_error(ours: ft.Tensor, ref: torch.Tensor) -> float:
    a = ours.cpu().numpy().astype(np.float64)
    b = ref.detach().cpu().numpy().astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def sweep(r: Dict[str, Any], label: str, names: List[str], force: Callable[[str], None], ours: Callable[[], Any],
          ref: Callable[[], Any], ref_name: str, rate_name: str, rate: Callable[[float], float], iters: int) -> None:
    """Each of our variants `names` forced in turn (force(name); force("") restores the choice by
    shape), checked against ref and timed interleaved with it: r gets "<label> <name>: ..." figures
    and "best_<label>" with its ratio to ref."""
    best = None
    try:
        for name in names:
            force(name)
            r[f"{label} {name}: max_rel_error_vs_torch"] = max_rel_error(ours(), ref())
            t = interleaved({"ours": ours, ref_name: ref}, 2, iters)
            ms, ratio = t["ours"]["median"], t[ref_name]["median"] / t["ours"]["median"]
            r[f"{label} {name}: {rate_name}"] = rate(ms)
            r[f"{label} {name}: ratio_vs_{ref_name}"] = ratio
            if best is None or ratio > best[1]:
                best = (name, ratio)
    finally:
        force("")
    if best is not None:
        r[f"best_{label}"], r[f"best_{label}_ratio_vs_{ref_name}"] = best


def bench_matmul(n: int, iters: int) -> Dict[str, Any]:
    ft.manual_seed(0)
    a, b = ft.randn(n, n, device="cuda"), ft.randn(n, n, device="cuda")
    ta, tb = to_torch(a), to_torch(b)
    flop = 2.0 * n ** 3
    torch.backends.cuda.matmul.allow_tf32 = False
    ft.backends.cuda.matmul.allow_tf32 = False
    err = max_rel_error(a @ b, ta @ tb)
    t = interleaved({"ours": lambda: a @ b, "cublas": lambda: ta @ tb}, 3, iters)
    ours, cublas = t["ours"]["median"], t["cublas"]["median"]
    r: Dict[str, Any] = {
        "case": f"matmul fp32 {n}^3", "max_rel_error_vs_torch": err,
        "ours_ms": ours, "ours_ms_p25_p75": spread(t["ours"]), "cublas_ms": cublas,
        "cublas_ms_p25_p75": spread(t["cublas"]),
        "ours_gflops": flop / ours / 1e6, "cublas_gflops": flop / cublas / 1e6, "ratio_vs_cublas": cublas / ours,
    }
    # Every fp32 SIMT kernel forced in turn (the shape heuristic picked one of
    # them above), each interleaved with cuBLAS again: which tile the
    # heuristic should pick on this GPU.
    sweep(r, "kernel", ft._C._cuda.matmul_kernels(), ft._C._cuda.force_matmul_kernel, lambda: a @ b,
          lambda: ta @ tb, "cublas", "gflops", lambda ms: flop / ms / 1e6, iters)
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        ft.backends.cuda.matmul.allow_tf32 = True
        r["tf32_max_rel_error_vs_fp32"] = max_rel_error(a @ b, ta.double() @ tb.double())
        t = interleaved({"ours": lambda: a @ b, "cublas": lambda: ta @ tb}, 3, iters)
        ours_tf32, cublas_tf32 = t["ours"]["median"], t["cublas"]["median"]
        r.update({"ours_tf32_gflops": flop / ours_tf32 / 1e6, "cublas_tf32_gflops": flop / cublas_tf32 / 1e6,
                  "tf32_ratio_vs_cublas": cublas_tf32 / ours_tf32})
    finally:
        torch.backends.cuda.matmul.allow_tf32 = False
        ft.backends.cuda.matmul.allow_tf32 = False
    return r


def bench_add(iters: int) -> Dict[str, Any]:
    n = 1 << 26
    x, y = ft.rand(n, device="cuda"), ft.rand(n, device="cuda")
    tx, ty = to_torch(x), to_torch(y)
    err = max_rel_error(x + y, tx + ty)
    dst = torch.empty_like(tx)
    t = interleaved({"ours": lambda: x + y, "torch": lambda: tx + ty, "copy": lambda: dst.copy_(tx)}, 3, iters)
    ours, theirs, copy = (t[k]["median"] for k in ("ours", "torch", "copy"))
    add_bytes, copy_bytes = 3 * 4 * n, 2 * 4 * n
    return {
        "case": "add 2^26 fp32", "max_rel_error_vs_torch": err, "ours_ms": ours, "ours_ms_p25_p75": spread(t["ours"]),
        "torch_ms": theirs, "torch_ms_p25_p75": spread(t["torch"]), "copy_ms_p25_p75": spread(t["copy"]),
        "ours_gbps": add_bytes / ours / 1e6, "torch_gbps": add_bytes / theirs / 1e6,
        "d2d_copy_gbps": copy_bytes / copy / 1e6, "ratio_vs_copy_bandwidth": (add_bytes / ours) / (copy_bytes / copy),
        "ratio_vs_torch": theirs / ours,
    }


def bench_softmax(rows: int, cols: int, iters: int) -> Dict[str, Any]:
    ft.manual_seed(1)
    x = ft.randn(rows, cols, device="cuda")
    tx = to_torch(x)
    err = max_rel_error(ft.softmax(x, 1), torch.softmax(tx, 1))
    dst = torch.empty_like(tx)  # the copy moves the same bytes: read the input, write the output
    t = interleaved({"ours": lambda: ft.softmax(x, 1), "torch": lambda: torch.softmax(tx, 1),
                     "copy": lambda: dst.copy_(tx)}, 3, iters)
    ours, theirs, copy = (t[k]["median"] for k in ("ours", "torch", "copy"))
    nbytes = 2 * 4 * rows * cols
    r: Dict[str, Any] = {
        "case": f"softmax ({rows}, {cols})", "max_rel_error_vs_torch": err, "ours_ms": ours,
        "ours_ms_p25_p75": spread(t["ours"]), "torch_ms": theirs, "torch_ms_p25_p75": spread(t["torch"]),
        "copy_ms_p25_p75": spread(t["copy"]),
        "ours_gbps": nbytes / ours / 1e6, "torch_gbps": nbytes / theirs / 1e6, "d2d_copy_gbps": nbytes / copy / 1e6,
        "ratio_vs_copy_bandwidth": copy / ours, "ratio_vs_torch": theirs / ours,
    }
    # Every launch shape of the register-cached path that holds these rows
    # (threads per row x threads per block), forced in turn and interleaved
    # with torch again: which shape the default should be on this GPU.
    # ("<threads per row>x<threads per block>[ scalar]"; those whose registers cannot hold the rows are skipped)
    launches = [name for name in ft._C._cuda.softmax_launches() if cols <= int(name.split("x")[0]) * 32]
    sweep(r, "launch", launches, ft._C._cuda.force_softmax_launch, lambda: ft.softmax(x, 1),
          lambda: torch.softmax(tx, 1), "torch", "gbps", lambda ms: nbytes / ms / 1e6, iters)
    return r


def mlp_step(lib: Any) -> Callable[[], None]:
    """One SGD step of a 784-256-10 MLP on a batch of 256, eager, as a function."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10)).to("cuda")
    opt = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    x = lib.rand(256, 784, device="cuda")
    y = lib.randint(0, 10, (256,), device="cuda")

    def step() -> None:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    return step


def wall_ms(fn: Callable[[], Any]) -> float:
    """fn's wall time in milliseconds, until the device has finished its work."""
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    return (time.perf_counter() - t0) * 1e3


def host_ms(fn: Callable[[], Any]) -> float:
    """The host's share: the time until fn returns with its kernels queued
    (the GPU's work in a step is a few microseconds; the rest is each
    library's host work per op and launch)."""
    sync()
    t0 = time.perf_counter()
    fn()
    t1 = time.perf_counter()
    sync()
    return (t1 - t0) * 1e3


def bench_mlp(steps: int) -> Dict[str, Any]:
    fns = {"ours": mlp_step(ft), "torch": mlp_step(torch)}
    t = interleaved(fns, 5, steps, timer=wall_ms)
    h = interleaved(fns, 0, steps, timer=host_ms)
    ours, theirs = t["ours"]["median"], t["torch"]["median"]
    return {"case": "MLP 784-256-10 step, batch 256", "ours_ms": ours, "ours_ms_p25_p75": spread(t["ours"]),
            "torch_ms": theirs, "torch_ms_p25_p75": spread(t["torch"]), "ratio_vs_torch": theirs / ours,
            "ours_host_ms": h["ours"]["median"], "torch_host_ms": h["torch"]["median"]}


def nvidia_smi(query: str) -> str:
    try:
        return subprocess.run(["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=30).stdout.strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - the report says what happened
        return f"unknown ({e})"


# The targets: (case, figure, at least, what it means).
TARGETS = [
    ("matmul fp32 4096^3", "ratio_vs_cublas", 0.8, "fp32 matmul 4096^3 >= 0.8x cuBLAS (TF32 off)"),
    ("matmul fp32 1024^3", "ratio_vs_cublas", 0.7, "fp32 matmul 1024^3 >= 0.7x cuBLAS (TF32 off)"),
    ("add 2^26 fp32", "ratio_vs_copy_bandwidth", 0.85, "add of 2^26 floats >= 85% of d2d copy bandwidth"),
    ("softmax (4096, 4096)", "ratio_vs_copy_bandwidth", 0.8, "softmax (4096, 4096) >= 80% of copy bandwidth"),
    ("softmax (4096, 4096)", "ratio_vs_torch", 1.0, "softmax (4096, 4096) >= 1.0x torch"),
    ("softmax (65536, 1024)", "ratio_vs_copy_bandwidth", 0.8, "softmax (65536, 1024) >= 80% of copy bandwidth"),
    ("softmax (65536, 1024)", "ratio_vs_torch", 1.0, "softmax (65536, 1024) >= 1.0x torch"),
    ("MLP 784-256-10 step, batch 256", "ratio_vs_torch", 1.0, "MLP training step faster than torch eager"),
]


def target_lines(results: List[Dict[str, Any]]) -> List[str]:
    by_case = {r["case"]: r for r in results}
    lines = ["## Targets", "", "| target | measured | met |", "|---|---|---|"]
    for case, key, floor, text in TARGETS:
        v = by_case.get(case, {}).get(key)
        lines.append(f"| {text} | {v:.3g} | {'yes' if v >= floor else 'NO'} |" if isinstance(v, float)
                     else f"| {text} | not measured | NO |")
    return lines + [""]


def write_report(out: Path, meta: Dict[str, Any], results: List[Dict[str, Any]]) -> None:
    def f(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    lines = [f"# fasttensor GPU benchmark", "", f"- device: {meta['device']}", f"- driver: {meta['driver']}",
             f"- torch: {meta['torch']}, CUDA {meta['torch_cuda']}", f"- date: {meta['date']}",
             "- ratios: above 1 means fasttensor is faster (time of the reference / ours; bandwidth ours / copy's)",
             ""]
    lines += target_lines(results)
    for r in results:
        lines.append(f"## {r['case']}")
        lines.append("")
        if "error" in r:
            lines += ["FAILED:", "", "```", r["error"].rstrip(), "```", ""]
            continue
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {k} | {f(v)} |" for k, v in r.items() if k != "case"]
        lines.append("")
    (out / "report.md").write_text("\n".join(lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--quick", action="store_true", help="fewer iterations")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    iters = 5 if args.quick else 20
    meta = {"device": torch.cuda.get_device_name(0), "driver": nvidia_smi("driver_version"),
            "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "fasttensor_device": ft.cuda.get_device_name(0)}
    cases: List[Callable[[], Dict[str, Any]]] = [
        lambda: bench_matmul(1024, iters), lambda: bench_matmul(4096, max(3, iters // 4)), lambda: bench_add(iters),
        lambda: bench_softmax(4096, 4096, iters), lambda: bench_softmax(65536, 1024, iters),
        lambda: bench_mlp(5 * iters),
    ]
    names = ["matmul 1024", "matmul 4096", "add", "softmax (4096, 4096)", "softmax (65536, 1024)", "mlp"]
    results = []
    for name, case in zip(names, cases):
        t0 = time.time()
        try:
            r = case()
        except Exception:  # noqa: BLE001 - record and go on
            r = {"case": name, "error": traceback.format_exc()}
        r["seconds"] = round(time.time() - t0, 1)
        results.append(r)
        print(json.dumps(r), flush=True)
        (args.out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
        write_report(args.out, meta, results)


if __name__ == "__main__":
    main()
