"""Memory stays flat over a long training loop: 10,000 forward/backward
steps of a small MLP (the d2l chapter 5 loop shape) must not grow resident
memory beyond what the CPU caching allocator holds. No timing assertions."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import fasttensor


def resident_bytes() -> int:
    """Resident set size from /proc/self/statm (pages × page size)."""
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _train_steps(params, X, y, steps: int, lr: float = 0.01) -> float:
    W1, b1, W2, b2 = params
    loss_value = 0.0
    for _ in range(steps):
        H = fasttensor.relu(X @ W1 + b1)
        logits = H @ W2 + b2
        # Softmax cross-entropy from scratch (indexing) plus an MSE-style term.
        log_p = logits.log_softmax(1)
        loss = -log_p[list(range(len(y))), y].mean() + (logits ** 2).mean() * 1e-3
        loss.backward()
        with fasttensor.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
        loss_value = loss.item()
    return loss_value


def test_training_loop_memory_is_flat():
    fasttensor.manual_seed(0)
    X = fasttensor.randn(32, 20)
    y = fasttensor.randint(0, 5, (32,))
    params = [fasttensor.randn(20, 64) * 0.1, fasttensor.zeros(64), fasttensor.randn(64, 5) * 0.1,
              fasttensor.zeros(5)]
    for p in params:
        p.requires_grad_(True)

    first_loss = _train_steps(params, X, y, 1000)  # warm-up: caches, allocator pools
    gc.collect()
    base_rss = resident_bytes()
    base_cached = fasttensor._C._cpu_cached_bytes()

    last_loss = _train_steps(params, X, y, 9000)
    gc.collect()
    grown = resident_bytes() - base_rss
    cached_growth = max(0, fasttensor._C._cpu_cached_bytes() - base_cached)

    # Each step allocates ~100 KB of tensors; a leak of even one small tensor per
    # step would add > 1 MB over 9000 steps. Allow 4 MB of noise (Python, malloc
    # arenas) on top of whatever the caching allocator legitimately holds.
    assert grown - cached_growth < 4 * 1024 * 1024, (
        f"resident memory grew by {grown / 1e6:.1f} MB over 9000 steps "
        f"(allocator cache grew by {cached_growth / 1e6:.1f} MB)")
    assert np.isfinite(last_loss) and last_loss < first_loss  # the loop really trained


def test_graph_is_freed_after_backward():
    # Saved tensors and nodes go away with the graph: repeated big graphs do not pile up.
    x = fasttensor.randn(256, 256, requires_grad=True)
    for _ in range(3):
        (x.exp() * x).sum().backward()
    gc.collect()
    base = resident_bytes()
    for _ in range(200):
        y = (x.exp() * x).sum()  # saves two 256 KB tensors per step
        y.backward()
    gc.collect()
    grown = resident_bytes() - base
    assert grown < 8 * 1024 * 1024, f"resident memory grew by {grown / 1e6:.1f} MB"


def test_cpu_cache_can_be_emptied():
    big = [fasttensor.empty(1 << 20) for _ in range(4)]
    del big
    gc.collect()
    fasttensor._C._cpu_empty_cache()
    assert fasttensor._C._cpu_cached_bytes() == 0


def test_cpu_cache_size_classes_are_reused():
    # Powers of two from 64 B to 1 MiB, then whole MiB: a freed block is handed
    # out again for any size of its class, and the cached-bytes count follows.
    fasttensor._C._cpu_empty_cache()
    cases = [(1, 64), (16, 64), (17, 128), (1000, 4096), (262_143, 1 << 20), (262_144, 1 << 20),
             (262_145, 2 << 20), (786_433, 4 << 20)]  # (float32 elements, class bytes)
    tensors = [fasttensor.empty(n) for n, _ in cases]
    pointers = [t.data_ptr() for t in tensors]
    del tensors
    gc.collect()
    assert fasttensor._C._cpu_cached_bytes() == sum(c for _, c in cases)
    again = [fasttensor.empty(n) for n, _ in reversed(cases)]
    assert sorted(t.data_ptr() for t in again) == sorted(pointers)  # every block came back from the cache
    assert fasttensor._C._cpu_cached_bytes() == 0
    del again
    gc.collect()
    fasttensor._C._cpu_empty_cache()
    assert fasttensor._C._cpu_cached_bytes() == 0


def _mapping_of(address: int):
    """The /proc/self/smaps entry (header line and fields) holding address, or None."""
    with open("/proc/self/smaps") as f:
        entry = None
        for line in f:
            head = line.split(" ", 1)[0]
            if "-" in head and ":" not in head:
                lo, hi = (int(v, 16) for v in head.split("-"))
                if entry is not None:
                    return entry
                if lo <= address < hi:
                    entry = [line]
            elif entry is not None:
                entry.append(line)
        return entry


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="huge-page advice is Linux's (/proc/self/smaps)")
def test_large_blocks_are_huge_page_aligned_advised_and_returned_to_the_os():
    fasttensor._C._cpu_empty_cache()
    n = (5 << 20) // 4 + 3  # a 6 MiB class
    t = fasttensor.arange(n, dtype=fasttensor.float32)
    address = t.data_ptr()
    assert address % (2 << 20) == 0
    entry = _mapping_of(address)
    flags = next(line for line in entry if line.startswith("VmFlags:")).split()[1:]
    assert "hg" in flags  # MADV_HUGEPAGE
    expected = np.arange(n, dtype=np.float32)
    np.testing.assert_array_equal(t.numpy(), expected)
    assert float(t.sum()) == float(np.float32(expected.astype(np.float64).sum()))  # exact sum, rounded once
    before = fasttensor._C._cpu_cached_bytes()
    del t
    gc.collect()
    assert fasttensor._C._cpu_cached_bytes() - before == 6 << 20
    again = fasttensor.empty(n)
    assert again.data_ptr() == address  # reused from the cache, not mapped again
    del again
    gc.collect()
    fasttensor._C._cpu_empty_cache()
    assert _mapping_of(address) is None  # unmapped
