"""unique, unique_consecutive, bernoulli and multinomial, composed of sorts,
comparisons, cumulative sums and uniform draws (so they run on any device).
The draws come from our Philox stream: the same seed gives the same samples
on the CPU and a GPU, not PyTorch's samples."""

from __future__ import annotations

import math

from . import _C

Tensor = _C.Tensor


def _runs(values: Tensor, input_shape, order, return_inverse: bool, return_counts: bool):
    """The first element of each run of equal neighbours in a 1-D tensor (NaNs are never equal), and the
    run each element belongs to / the run lengths."""
    n = values.numel()
    device = values.device
    if n == 0:
        empty = _C._full([0], 0, _C.int64, device, False)
        out = [values]
        if return_inverse:
            out.append(empty.reshape(input_shape))
        if return_counts:
            out.append(empty)
        return out[0] if len(out) == 1 else tuple(out)
    starts_mask = _C.cat([_C._full([1], True, _C.bool, device, False), values[1:] != values[:-1]], 0)
    out = [values[starts_mask]]
    if return_inverse:
        run = starts_mask.to(_C.int64).cumsum(0) - 1
        if order is not None:  # back from sorted positions to the input's
            inverse = _C._full([n], 0, _C.int64, device, False)
            inverse[order] = run
            run = inverse
        out.append(run.reshape(input_shape))
    if return_counts:
        starts = starts_mask.nonzero().reshape(-1)
        ends = _C.cat([starts[1:], _C._full([1], n, _C.int64, device, False)], 0)
        out.append(ends - starts)
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """The distinct values of input, sorted (always, whatever ``sorted`` says); optionally where each
    element went (``inverse``, input's shape) and how often each value occurs."""
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported; unique of the flattened input is")
    values, order = input.detach().reshape(-1).sort()
    return _runs(values, input.shape, order, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """input with each run of equal neighbours (flattened) kept once."""
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported")
    return _runs(input.detach().reshape(-1), input.shape, None, return_inverse, return_counts)


def _check_probabilities(p: Tensor, name: str) -> None:
    if not p.is_floating_point():
        raise NotImplementedError(f'"{name}" not implemented for \'{p.dtype}\'')


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability input (or p), else 0, elementwise; input's shape and dtype."""
    _check_probabilities(input, "bernoulli")
    prob = input if p is None else _C._full(list(input.shape), float(p), input.dtype, input.device, False)
    if prob.numel() and not bool(((prob >= 0) & (prob <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    u = _C._rand(list(input.shape), input.dtype, input.device, generator, False)
    return (u < prob.detach()).to(input.dtype)


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fills self with draws of probability p (a number or a tensor broadcast to self)."""
    if isinstance(p, Tensor):
        draws = bernoulli(p.expand(self.shape).to(self.dtype), generator=generator)
    else:
        draws = bernoulli(self, p, generator=generator)
    return self.copy_(draws)


def _raise_invalid_distribution(rows, row_by_row: bool) -> None:
    """PyTorch's error for bad probabilities: one message for the whole tensor on its draw-by-race path;
    the with-replacement kernel (several draws) checks row after row, entry after entry."""
    if not row_by_row:
        if any(not (v >= 0) or math.isinf(v) for row in rows for v in row):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    for row in rows:
        for v in row:
            if not v >= 0:
                raise RuntimeError("invalid multinomial distribution (encountering probability entry < 0)")
            if math.isinf(v):
                raise RuntimeError("invalid multinomial distribution (encountering probability entry = infinity or "
                                   "NaN)")
        if sum(row) <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """num_samples category indices per row of (unnormalized) probabilities input (C,) or (R, C).
    With replacement: each draw inverts the row's cumulative distribution; without: the categories with
    the smallest exponential race times E / p (Efraimidis and Spirakis), E ~ Exp(1)."""
    if not input.is_floating_point():
        from ._tensor import _SCALAR_NAMES

        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_SCALAR_NAMES[str(input.dtype).split('.')[-1]]}")
    if input.dim() not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {input.dim()}")
    cats = input.shape[-1]
    if not replacement and num_samples > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if cats == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    probs = input.detach().reshape(-1, cats)
    rows = probs.shape[0]
    valid = probs.isfinite() & (probs >= 0)
    sums_bad = probs.sum(-1) <= 0
    if bool((~valid).any()) or bool(sums_bad.any()):
        _raise_invalid_distribution(probs.cpu().tolist(), replacement and num_samples > 1)
    u = 1 - _C._rand([rows, num_samples if replacement else cats], probs.dtype, probs.device, generator, False)
    if replacement:
        cdf = probs.cumsum(-1)
        cdf = (cdf / cdf[:, -1:]).unsqueeze(1)             # (R, 1, C), last entry exactly 1
        samples = (u.unsqueeze(2) > cdf).sum(-1)           # the first category whose cdf reaches u in (0, 1]
    else:
        race = -u.log() / probs                           # zero probability: an infinite time, drawn last
        samples = race.topk(num_samples, -1, largest=False).indices
    return samples if input.dim() == 2 else samples.reshape(-1)
