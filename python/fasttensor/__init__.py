"""fasttensor: a readable tensor library with reverse-mode autograd.

Every hot kernel is our own C++ (CPU) or CUDA (GPU) code; this package gives
them PyTorch's names, so ``import fasttensor as torch`` runs the code of
Dive into Deep Learning chapters 2-5.
"""

from __future__ import annotations

import builtins as _builtins
import math as _math
import types as _types

from . import _C
from ._size import Size

_C._set_size_class(Size)

from ._C import (  # noqa: E402
    Generator,
    Tensor,
    abs,
    acos,
    add,
    arccos,
    arcsin,
    arctan,
    asin,
    atan,
    bmm,
    bool,
    cat,
    ceil,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    cosh,
    device,
    digamma,
    div,
    divide,
    dot,
    dtype,
    eq,
    erf,
    erfc,
    asinh,
    acosh,
    atanh,
    arcsinh,
    arccosh,
    arctanh,
    exp,
    exp2,
    expm1,
    float32,
    float64,
    floor,
    floor_divide,
    fmod,
    ge,
    get_default_dtype,
    get_num_threads,
    greater,
    gt,
    int32,
    int64,
    is_grad_enabled,
    is_tensor,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    lgamma,
    log,
    log10,
    log1p,
    log2,
    log_softmax,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    bitwise_left_shift,
    bitwise_right_shift,
    bitwise_not,
    lt,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    multiply,
    mv,
    ne,
    neg,
    negative,
    numel,
    pow,
    promote_types,
    reciprocal,
    relu,
    relu_,
    remainder,
    result_type,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sinh,
    softmax,
    sqrt,
    square,
    stack,
    sub,
    subtract,
    sum,
    tan,
    tanh,
    true_divide,
    trunc,
    uint8,
)
from . import _tensor  # noqa: E402,F401  (adds the Python-side Tensor methods)
from ._creation import (  # noqa: E402
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    seed,
    tensor,
    zeros,
    zeros_like,
)
from ._functional import _not_a_tensor  # noqa: E402
from ._functional import (  # noqa: E402
    adjoint,
    bmm,
    cat,
    concat,
    concatenate,
    dot,
    matmul,
    mm,
    mv,
    stack,
    all,
    allclose,
    amax,
    amin,
    any,
    arctan2,
    argmax,
    argmin,
    argsort,
    argwhere,
    atan2,
    broadcast_shapes,
    broadcast_to,
    chunk,
    clamp_max,
    clamp_max_,
    clamp_min,
    clamp_min_,
    clone,
    column_stack,
    count_nonzero,
    cumprod,
    cumsum,
    diag,
    diagonal,
    equal,
    expand_copy,
    finfo,
    flatten,
    flip,
    gather,
    hstack,
    iinfo,
    index_select,
    isclose,
    logspace,
    logsumexp,
    masked_select,
    meshgrid,
    moveaxis,
    movedim,
    nan_to_num,
    nan_to_num_,
    nanmean,
    nansum,
    narrow,
    nonzero,
    norm,
    outer,
    permute,
    prod,
    randint_like,
    ravel,
    repeat_interleave,
    reshape,
    roll,
    set_printoptions,
    sort,
    split,
    squeeze,
    std,
    swapaxes,
    swapdims,
    t,
    tensor_split,
    tile,
    topk,
    trace,
    transpose,
    tril,
    triu,
    unbind,
    unflatten,
    unsqueeze,
    var,
    vstack,
    where,
)
from .autograd import enable_grad, no_grad, set_grad_enabled, inference_mode  # noqa: E402
from .serialization import load, save  # noqa: E402
from ._sampling import bernoulli, binomial, multinomial, poisson, unique, unique_consecutive  # noqa: E402
from . import autograd  # noqa: E402
from . import cuda  # noqa: E402
from . import random  # noqa: E402
from . import backends  # noqa: E402
from ._more import *  # noqa: E402,F401,F403  (functions beyond the core set)
from ._math_extra import *  # noqa: E402,F401,F403  (logit, asinh/acosh/atanh, erfc, dist, msort, isposinf, ...)
from ._tensor_api import *  # noqa: E402,F401,F403  (index_put, masked_scatter, addr, sin_, selu, dropout, ...)
from ._api_more import *  # noqa: E402,F401,F403  (scatter_reduce, put, angle, narrow_copy)
from ._creation import asarray  # noqa: E402
from ._warn_once import is_warn_always_enabled, set_warn_always  # noqa: E402
from ._legacy import BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor  # noqa: E402
from ._tensor import layout, round, strided  # noqa: E402,A001  (round with decimals=)
from ._C import default_generator  # noqa: E402
from .random import initial_seed  # noqa: E402
from ._creation import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format  # noqa: E402,E501


from . import linalg as _linalg  # noqa: E402

globals().update(_linalg.__top_level__)  # fasttensor.det, fasttensor.inverse, ...

# dtype aliases, as PyTorch has them.
float = float32
double = float64
long = int64
int = int32
uint8 = uint8

__version__ = "0.1.0"
pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None

_deterministic = [False]


def use_deterministic_algorithms(mode: "bool", *, warn_only: "bool" = False) -> None:
    """Recorded for are_deterministic_algorithms_enabled(); fasttensor's kernels give the same
    results run to run either way (no atomics that reorder floating-point sums)."""
    _deterministic[0] = _builtins.bool(mode)


def are_deterministic_algorithms_enabled() -> "bool":
    return _deterministic[0]


from .random import get_rng_state, set_rng_state  # noqa: E402


class _Accelerator:
    """fasttensor.accelerator: CUDA when a GPU is there, else none."""

    @staticmethod
    def is_available() -> "bool":
        return cuda.is_available()

    @staticmethod
    def current_accelerator(check_available: "bool" = False):
        return device("cuda") if cuda.is_available() else None

    @staticmethod
    def device_count() -> "int":
        return cuda.device_count()


accelerator = _Accelerator()
version = _types.SimpleNamespace(__version__=__version__)  # fasttensor.version.__version__, as torch.version


def set_default_dtype(d) -> None:
    """Sets the dtype of floating tensors made from Python floats (float32 or float64)."""
    _C.set_default_dtype(d)


def set_num_threads(n: "int") -> None:
    """Threads for CPU kernels (the default: all cores, or OMP_NUM_THREADS; at most 1024)."""
    if isinstance(n, _builtins.int) and not isinstance(n, _builtins.bool) and n <= 0:  # int, bool: dtypes here
        raise RuntimeError("set_num_threads expects a positive integer")
    _C.set_num_threads(n)


def get_float32_matmul_precision() -> "str":
    """'highest', 'high' or 'medium' (see set_float32_matmul_precision)."""
    return backends.get_float32_matmul_precision()


def set_float32_matmul_precision(precision: "str") -> None:
    """'highest' (full float32), 'high' or 'medium' (TF32 allowed in CUDA matmuls, as
    backends.cuda.matmul.allow_tf32 = True); nothing changes on the CPU."""
    backends.set_float32_matmul_precision(precision)


_num_interop_threads = {"value": _C.get_num_threads(), "set": False}


def get_num_interop_threads() -> "int":
    """The size PyTorch's pool for running independent ops in parallel would have: fasttensor has no such
    pool (its parallelism is inside each kernel), so this is the number recorded, by default the CPU
    kernels' thread count at import."""
    return _num_interop_threads["value"]


def set_num_interop_threads(n: "int") -> None:
    """Records the inter-op thread count (once per process, as PyTorch allows); fasttensor has no inter-op pool."""
    if not isinstance(n, _builtins.int):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _num_interop_threads["set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _num_interop_threads.update(value=_builtins.int(n), set=True)


from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled, is_anomaly_enabled,  # noqa: E402
                                    set_anomaly_enabled)


def is_inference_mode_enabled() -> "bool":
    """Whether code runs inside inference_mode() (no_grad here: fasttensor makes no inference tensors)."""
    return autograd._inference_mode_enabled()


def is_floating_point(input: Tensor) -> "bool":
    if not isinstance(input, Tensor):
        raise _not_a_tensor("is_floating_point", input)
    return input.is_floating_point()


def _tensor_first(fn, count: int = 1):
    """fn with PyTorch's TypeError when one of its first `count` arguments is not a tensor (a list or
    an array would reach a method call and raise AttributeError, or an array's own method). The thin
    forwarders check inline instead (no extra call on a hot path)."""
    import functools
    import inspect

    params = list(inspect.signature(fn).parameters)[:count]

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        for position, param in enumerate(params):
            value = args[position] if position < len(args) else kwargs.get(param)
            if not isinstance(value, Tensor):
                raise _not_a_tensor(fn.__name__, value, param, position + 1)
        return fn(*args, **kwargs)

    return checked


for _name in ("topk", "zeros_like", "ones_like", "rand_like", "randn_like", "full_like", "empty_like", "randint_like",
              "cumprod", "flip", "diag", "tril", "triu", "outer", "masked_select", "unique", "bincount", "multinomial",
              "bernoulli", "broadcast_to", "logsumexp", "cdist", "diagonal", "trace", "count_nonzero", "roll",
              "movedim", "split", "nonzero", "where", "absolute", "aminmax", "combinations", "corrcoef", "cov", "deg2rad",
              "det", "diag_embed", "diagflat", "diff", "erfinv", "fliplr", "flipud", "frac", "histc", "inverse", "logdet",
              "median", "mode", "nan_to_num", "nan_to_num_", "nanmean", "nanmedian", "nansum", "pinverse", "positive",
              "rad2deg", "ravel", "repeat_interleave", "rot90", "sgn", "signbit", "sinc", "slogdet", "std_mean",
              "unique_consecutive", "vander", "var_mean", "clamp_min", "clamp_max", "swapaxes", "swapdims", "moveaxis",
              "index_add", "index_copy", "index_fill", "scatter", "scatter_add", "quantile", "nanquantile", "hsplit",
              "vsplit", "dsplit", "tensor_split", "greater_equal", "less_equal", "not_equal",
              "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "baddbmm"):
    _fn = globals().get(_name)
    if _fn is not None and isinstance(_fn, _types.FunctionType):
        # (the first three of input + tensor1 * tensor2 and the like are tensors)
        _count = 3 if _name.startswith(("add", "baddbmm")) else 1
        globals()[_name] = _tensor_first(_fn, _count)
del _name, _fn, _count
for _name in _tensor._DIM_FUNCTIONS:
    if _tensor._needs_numpy_dim_names(globals().get(_name)):
        globals()[_name] = _tensor._numpy_dim_names(globals()[_name], _name)
del _name


_LAZY_SUBMODULES = ("nn", "optim", "utils", "datasets", "d2l", "return_types", "linalg", "distributions", "special")


def __getattr__(name: str):
    # Submodules that import optional parts load on first use.
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'fasttensor' has no attribute '{name}'")


def __dir__():
    """The module's names and the submodules that load on first use (dir(torch) lists nn, optim, ...)."""
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
