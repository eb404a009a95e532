"""unique and unique_consecutive (sorts and comparisons), and the random
draws beyond uniform and normal: bernoulli, multinomial, random_,
exponential_, geometric_, cauchy_, log_normal_. On the CPU they take
PyTorch's draws in PyTorch's order, so a seed gives PyTorch's samples; on a
GPU they are built from our Philox uniforms."""

from __future__ import annotations

import math
import numbers
import warnings

from . import _C
from ._fixed_nodes import no_derivative, zero_gradient

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
    out = _runs(values, input.shape, order, return_inverse, return_counts)
    return _not_differentiated(out, input, "Unique2Backward0", "_unique2")


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """input with each run of equal neighbours (flattened) kept once."""
    if dim is not None:
        raise NotImplementedError("unique_consecutive(dim=...) is not supported")
    out = _runs(input.detach().reshape(-1), input.shape, None, return_inverse, return_counts)
    return _not_differentiated(out, input, "UniqueConsecutiveBackward0", "unique_consecutive")


def _not_differentiated(out, input: Tensor, node: str, op: str):
    """unique's values (the first of out when a tuple) with PyTorch's node, which refuses a backward."""
    def error():
        return NotImplementedError(f"the derivative for '{op}' is not implemented.")
    if isinstance(out, tuple):
        return (no_derivative(out[0], [input], node, error),) + out[1:]
    return no_derivative(out, [input], node, error)


def _check_probabilities(p: Tensor, name: str) -> None:
    if not p.is_floating_point():
        raise NotImplementedError(f'"{name}" not implemented for \'{p.dtype}\'')


_BERNOULLI, _EXPONENTIAL, _GEOMETRIC, _CAUCHY, _LOG_NORMAL, _BITS = range(6)


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """1 with probability input (or p), else 0, elementwise; input's shape, dtype and layout. The draw
    is not differentiated: an input that requires grad gets a zero gradient (BernoulliBackward0)."""
    if p is not None:
        return bernoulli_(_C._empty_like(input, None, None, False), p, generator=generator)
    _check_probabilities(input, "bernoulli")
    prob = input.detach()
    draws = _C._empty_like(prob, None, None, False).uniform_(generator=generator)
    if prob.numel() and not bool(((prob >= 0) & (prob <= 1)).all()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return zero_gradient((draws < prob).to(input.dtype), [input], "BernoulliBackward0")


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fills self with draws of probability p: a number (one 53-bit uniform per element, as PyTorch's
    CPU) or a tensor broadcast to self (uniforms in p's dtype)."""
    if isinstance(p, Tensor):
        if not p.is_floating_point():
            raise NotImplementedError(f'"bernoulli_tensor_cpu_p_" not implemented for \'{_scalar_name(p)}\'')
        prob = p.detach().expand(self.shape)
        # one uniform per element of self, in self's memory order, in p's dtype
        draws = _C._empty_like(self, prob.dtype, self.device, False).uniform_(generator=generator)
        if prob.numel() and not bool(((prob >= 0) & (prob <= 1)).all()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        return self.copy_(draws < prob)
    if not isinstance(p, numbers.Real):
        raise TypeError(f"bernoulli_() received an invalid combination of arguments - got ({type(p).__name__}), but "
                        "expected one of:\n * (Tensor p, *, torch.Generator generator = None)\n * (float p = 0.5, *, "
                        "torch.Generator generator = None)")
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _C._random_distribution_(self, _BERNOULLI, p, 0.0, generator)


def _scalar_name(t: Tensor) -> str:
    from ._tensor import _SCALAR_NAMES

    return _SCALAR_NAMES[str(t.dtype).split(".")[-1]]


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Exponential draws of rate lambd: -log(1 - u) / lambd."""
    if not self.is_floating_point():
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_scalar_name(self)}")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={float(lambd)}")
    return _C._random_distribution_(self, _EXPONENTIAL, float(lambd), 0.0, generator)


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """The number of Bernoulli(p) trials up to the first success: ceil(log(u) / log(1 - p))."""
    if self.dtype == _C.bool:
        raise NotImplementedError("\"geometric_cpu\" not implemented for 'Bool'")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={float(p)}")
    return _C._random_distribution_(self, _GEOMETRIC, float(p), 0.0, generator)


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Cauchy draws: median + sigma tan(pi (u - 1/2))."""
    if not self.is_floating_point():
        from ._creation import _C_TYPE_NAMES

        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_C_TYPE_NAMES[self.dtype]}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={float(sigma)}")
    return _C._random_distribution_(self, _CAUCHY, float(median), float(sigma), generator)


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """exp of normal draws with the given mean and standard deviation."""
    if not self.is_floating_point():
        raise NotImplementedError(f'"log_normal_cpu" not implemented for \'{_scalar_name(self)}\'')
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={float(std)}")
    return _C._random_distribution_(self, _LOG_NORMAL, float(mean), float(std), generator)


def random_(self: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """random_(): integers over the dtype's range (floats: 0..2^mantissa); random_(to): [0, to);
    random_(from, to): [from, to) (to=None: up to the dtype's largest value)."""
    bounds = list(args)
    if "from" in kwargs:
        bounds.insert(0, kwargs.pop("from"))
    if "to" in kwargs:
        bounds.append(kwargs.pop("to"))
    def is_int(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    valid = (len(bounds) == 1 and is_int(bounds[0])) or (len(bounds) == 2 and is_int(bounds[0])
                                                          and (bounds[1] is None or is_int(bounds[1])))
    if kwargs or (bounds and not valid):
        given = ", ".join(type(v).__name__ if v is not None else "NoneType" for v in bounds)
        raise TypeError(f"random_() received an invalid combination of arguments - got ({given}), but expected one "
                        "of:\n * (*, torch.Generator generator = None)\n * (int from, int to, *, torch.Generator "
                        "generator = None)\n * (int to, *, torch.Generator generator = None)")
    if not bounds:
        return _C._random_distribution_(self, _BITS, 0.0, 0.0, generator)
    low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    for v in (low, high):
        if v is not None and not -2**63 <= v < 2**63:
            raise ValueError("Overflow when unpacking long long")
    lowest, largest, c_name = _RANDOM_BOUNDS.get(str(self.dtype).split(".")[-1], (-2**63, 2**63 - 1, "long"))
    if high is None:
        high = largest + 1
    if self.is_floating_point():
        if not lowest <= low <= largest or not lowest <= high - 1 <= largest:
            warnings.warn(f"{'from' if not lowest <= low <= largest else 'to - 1'} is out of bounds "
                          f"[-(2^{_MANTISSA[c_name]}), 2^{_MANTISSA[c_name]}]. Due to precision limitations {c_name} "
                          "can support discrete uniform distribution only within this range. This warning will "
                          "become an error in version 1.7 release, please fix the code in advance", UserWarning,
                          stacklevel=2)
    else:
        if not lowest <= low <= largest:
            raise RuntimeError(f"from is out of bounds for {c_name}")
        if not lowest <= high - 1 <= largest:
            raise RuntimeError(f"to - 1 is out of bounds for {c_name}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if high >= 2**63:  # [low, 2^63): the same span as a wrapped int64 bound
        high -= 2**64
    return _C._random_(self, int(low), int(high), generator)


# random_(from, to)'s bounds per dtype (floats: the integers they hold exactly) and PyTorch's name.
_RANDOM_BOUNDS = {"bool": (0, 1, "bool"), "uint8": (0, 255, "unsigned char"), "int32": (-2**31, 2**31 - 1, "int"),
                  "float32": (-2**24, 2**24, "float"), "float64": (-2**53, 2**53, "double")}
_MANTISSA = {"float": 24, "double": 53}


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
    """num_samples category indices per row of (unnormalized) probabilities input (C,) or (R, C), drawn
    as PyTorch's CPU draws them."""
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
    if replacement and num_samples > 1:
        # Each draw inverts the row's cumulative distribution: the first category whose normalized
        # cumulative sum (in the input's dtype, the last set to 1) reaches a 53-bit uniform u.
        # PyTorch's kernel sums each row one entry after another in the input's dtype (numpy's
        # accumulate does too; our cumsum adds float32 in double) and divides by the total.
        import numpy as np

        cdf = np.cumsum(probs.cpu().numpy(), axis=-1)
        cdf /= cdf[:, -1:]
        cdf = _C.from_numpy(cdf).to(probs.device)
        u = _C._rand([rows, num_samples], _C.float64, probs.device, generator, False)
        samples = (cdf.to(_C.float64).unsqueeze(1) < u.unsqueeze(2)).sum(-1)
    else:
        # The largest p / E, E ~ Exp(1) drawn for every category (Efraimidis and Spirakis): zero
        # probabilities come last.
        # (exponentials in the input's memory order, as PyTorch's empty_like(input).exponential_())
        source = input.detach() if input.dim() == 2 else probs
        race = source / exponential_(_C._empty_like(source, None, None, False), generator=generator)
        samples = race.argmax(-1, keepdim=True) if num_samples == 1 else race.topk(num_samples, -1).indices
    return samples if input.dim() == 2 else samples.reshape(-1)


def _check_sampler_arguments(name: str, params, args, kwargs):
    """PyTorch's argument errors for poisson(input, generator=None) / binomial(count, prob, generator=None):
    the values of params, in order (tensors first, then the generator)."""
    if len(args) > len(params):
        raise TypeError(f"{name}() takes from {len(params) - 1} to {len(params)} positional arguments but {len(args)} "
                        "were given")
    values = dict(zip(params, args))
    for key, value in kwargs.items():
        if key not in params or key in values:
            raise TypeError(f"{name}() got an unexpected keyword argument '{key}'" if key not in params else
                            f"{name}() got multiple values for argument '{key}'")
        values[key] = value
    required = params[:-1]
    first_missing = next((i for i, p in enumerate(required) if p not in values), None)
    if first_missing is not None:  # torch names every required one from the first missing on, and says so its way
        missing = ", ".join('"' + p + '"' for p in required[first_missing:])
        plural = "s" if len(required) - first_missing == 1 else ""
        raise TypeError(f"{name}() missing {len(required) - first_missing} required positional argument{plural}: "
                        f"{missing}")
    for i, param in enumerate(params):
        value = values.get(param)
        wanted, what = (_C.Generator, "torch.Generator") if param == "generator" else (Tensor, "Tensor")
        if (param != "generator" or value is not None) and not isinstance(value, wanted):
            where = f" (position {i + 1})" if i < len(args) else ""
            raise TypeError(f"{name}(): argument '{param}'{where} must be {what}, not {type(value).__name__}")
    return [values.get(p) for p in params]


def poisson(*args, **kwargs) -> Tensor:
    """poisson(input, generator=None): a Poisson count of mean input[i] for each element, in input's shape and
    dtype (floating). On the CPU, PyTorch's draws (a seed gives torch's counts); on CUDA the same samplers on
    counter-based Philox streams, one per element (not torch's CUDA numbers). A negative or NaN rate raises.
    The draw is not differentiated: input gets a zero gradient (PoissonBackward0)."""
    rate, generator = _check_sampler_arguments("poisson", ("input", "generator"), args, kwargs)
    return _C._poisson(rate, generator)


def binomial(*args, **kwargs) -> Tensor:
    """binomial(count, prob, generator=None): the number of successes in count[i] trials of probability
    prob[i], in count's dtype (floating; prob of the same dtype, broadcast). On the CPU, PyTorch's draws; on
    CUDA the same samplers on Philox streams, one per element (not torch's CUDA numbers).
    count <= 0 or prob <= 0 give 0, prob >= 1 gives count, a NaN prob gives NaN. Not differentiable
    (a NotImplemented node that raises on backward)."""
    count, prob, generator = _check_sampler_arguments("binomial", ("count", "prob", "generator"), args, kwargs)
    out = _C._binomial(count, prob, generator)
    if count.numel() and tuple(out.shape) != tuple(count.shape):
        # PyTorch draws into zeros of count's shape and resizes them to the broadcast shape.
        warnings.warn(f"An output with one or more elements was resized since it had shape {list(count.shape)}, "
                      f"which does not match the required output shape {list(out.shape)}. This behavior is "
                      "deprecated, and in a future PyTorch release outputs will not be resized unless they have zero "
                      "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                      "with t.resize_(0).", UserWarning, stacklevel=2)
    return out
