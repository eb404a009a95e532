"""The CPU thread pool (csrc/cpu/parallel.cpp): set_num_threads / get_num_threads /
OMP_NUM_THREADS, the same results on one thread and many, calls from several
Python threads at once, fork, and the workers' placement on Linux."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fasttensor as ft

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(ft.__file__)))  # the fasttensor under test


@pytest.fixture
def restore_threads():
    before = ft.get_num_threads()
    yield
    ft.set_num_threads(before)


def run_python(code: str, **env: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=PYTHON_DIR, **env))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_set_and_get_num_threads(restore_threads):
    for n in (1, 3, 2):
        ft.set_num_threads(n)
        assert ft.get_num_threads() == n
    for bad in (0, -1):
        with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
            ft.set_num_threads(bad)
    assert ft.get_num_threads() == 2  # unchanged by the rejected calls
    with pytest.raises(TypeError):
        ft.set_num_threads(2.5)


def test_default_follows_omp_num_threads():
    assert run_python("import fasttensor as ft; print(ft.get_num_threads())", OMP_NUM_THREADS="1") == "1"
    assert run_python("import fasttensor as ft; print(ft.get_num_threads())", OMP_NUM_THREADS="3") == "3"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CPU affinity (Linux)")
def test_default_follows_the_cpus_the_process_may_use():
    # As OpenMP (and so PyTorch) counts them: `taskset -c 0 python ...` gets one thread.
    cpu = min(os.sched_getaffinity(0))
    result = subprocess.run([sys.executable, "-c", "import fasttensor as ft; print(ft.get_num_threads())"],
                            capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),
                            env={k: v for k, v in dict(os.environ, PYTHONPATH=PYTHON_DIR).items() if k != "OMP_NUM_THREADS"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"


def test_one_thread_and_many_give_the_same_results(restore_threads):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1031, 1029)).astype(np.float32)
    b = rng.standard_normal((1029, 257)).astype(np.float32)
    results = {}
    for n in (1, 2, 4):
        ft.set_num_threads(n)
        x, y = ft.tensor(a), ft.tensor(b)
        results[n] = [(x * 2 + 1).exp().numpy(), (x @ y).numpy(), x.sum(0).numpy(), x.sum(1).numpy(),
                      x.softmax(1).numpy()]
    for n in (2, 4):
        for ours, one in zip(results[n], results[1]):
            np.testing.assert_allclose(ours, one, rtol=2e-5, atol=1e-4)
        np.testing.assert_array_equal(results[n][0], results[1][0])  # elementwise: same bits


def test_parallel_ops_from_several_python_threads(restore_threads):
    # One job runs on the pool at a time; a second thread runs its loop itself.
    ft.set_num_threads(2)
    x = ft.arange(4_000_000, dtype=ft.float64)
    want = float(np.arange(4_000_000, dtype=np.float64).sum())
    errors = []

    def work():
        try:
            for _ in range(20):
                assert float(x.sum()) == want
                assert float((x * 2).sum()) == 2 * want
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_parallel_ops_in_a_forked_child():
    code = ("import os, fasttensor as ft\n"
            "ft.set_num_threads(2)\n"
            "x = ft.ones(4_000_000)\n"
            "assert float(x.sum()) == 4e6\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os._exit(0 if float((x * 3).sum()) == 1.2e7 else 1)\n"
            "_, status = os.waitpid(pid, 0)\n"
            "print(os.waitstatus_to_exitcode(status))\n")
    assert run_python(code) == "0"


def worker_cpus() -> list[set[int]]:
    """CPUs each ft-worker thread of this process may run on."""
    out = []
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as f:
            if f.read().strip() != "ft-worker":
                continue
        out.append(os.sched_getaffinity(int(task)))
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux") or len(os.sched_getaffinity(0)) < 2,
                    reason="Linux with at least 2 usable CPUs")
def test_workers_keep_off_the_callers_cpu(restore_threads):
    allowed = os.sched_getaffinity(0)
    ft.set_num_threads(2)
    x = ft.ones(4_000_000)
    float(x.sum())  # the pool (one worker) exists
    try:
        for cpu in sorted(allowed)[:2]:
            os.sched_setaffinity(0, {cpu})  # the caller now runs on `cpu` only
            assert float(x.sum()) == 4e6
            workers = worker_cpus()
            assert len(workers) == 1
            assert cpu not in workers[0] and workers[0] <= allowed
    finally:
        os.sched_setaffinity(0, allowed)
