"""Text rendering of tensors, matching PyTorch's ``repr``/``str`` byte for byte.

This module turns a NumPy array (the tensor's data) plus a little metadata
(dtype, device, autograd state) into the exact string PyTorch 2.13 prints for
the corresponding ``torch.Tensor``, with ``fasttensor.`` where PyTorch writes
``torch.``.  It deliberately imports nothing from the rest of ``fasttensor``
so that it can be loaded and tested on its own.

Overview of PyTorch's rules, as implemented here:

* **Print options** (:func:`set_printoptions`): ``precision`` (4),
  ``threshold`` (1000), ``edgeitems`` (3), ``linewidth`` (80) and
  ``sci_mode`` (``None`` = automatic).  Every call to ``set_printoptions``
  resets ``sci_mode`` to its argument, even when it is not passed.
* **One formatter per tensor** (:class:`_Formatter`) decides, from all
  elements (or only the edge elements when the tensor is summarized), the
  mode and the common column width:

  - integer / bool dtypes: ``str(value)``, right-aligned;
  - floating dtypes, looking only at the finite non-zero values:
    *integer mode* when all are whole numbers (``1.``, ``-0.``, ``nan``);
    *scientific mode* when ``max/min > 1000``, ``max > 1e8`` or
    ``min < 1e-4`` (absolute values), unless forced by ``sci_mode``;
    otherwise fixed-point with ``precision`` decimals.

* **Layout**: 1-d rows are wrapped so that each line holds
  ``floor((linewidth - indent) / (width + 2))`` elements; nested dimensions
  are joined with ``,`` plus ``dim - 1`` newlines and an indent one deeper
  than the opening bracket.  Tensors with more than ``threshold`` elements
  are summarized to ``edgeitems`` leading and trailing entries per dimension
  around ``...``.
* **Suffixes**, in this order: ``device=``, ``size=`` (empty tensors that are
  not 1-d, or any tensor when ``edgeitems`` is 0), ``dtype=``, then
  ``grad_fn=<...>`` or ``requires_grad=True``.  A suffix moves to its own
  line when it would overflow ``linewidth``; that decision measures dtype
  names as PyTorch spells them (``torch.int64``), so the output is PyTorch's
  exactly, with only the module name substituted.
"""


import contextlib
import dataclasses
import math
from typing import Any, Iterator, Optional, Union

import numpy as np

__all__ = [
    "DTYPE_PREFIX",
    "format_parameter",
    "format_tensor",
    "get_printoptions",
    "printoptions",
    "set_printoptions",
]

#: Module name written before dtype names, e.g. ``dtype=fasttensor.int32``.
DTYPE_PREFIX = "fasttensor."
# How PyTorch spells it; used only to reproduce PyTorch's line-wrapping decisions.
_TORCH_DTYPE_PREFIX = "torch."

_FLOAT_DTYPES = frozenset({"float16", "float32", "float64"})
_INT_DTYPES = frozenset({"uint8", "int8", "int16", "int32", "int64"})
_ALL_DTYPES = _FLOAT_DTYPES | _INT_DTYPES | {"bool"}

# Placeholders for elided entries in summarized tensors.
_ELLIPSIS_ELEMENT = " ..."  # placeholder inside a summarized 1-d row
_ELLIPSIS_SLICE = "..."  # placeholder between summarized sub-blocks


@dataclasses.dataclass
class _PrintOptions:
    """The global print options (same fields and defaults as PyTorch)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: Optional[bool] = None


PRINT_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, Any]] = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: Optional[int] = None,
    threshold: Optional[float] = None,
    edgeitems: Optional[int] = None,
    linewidth: Optional[int] = None,
    profile: Optional[str] = None,
    sci_mode: Optional[bool] = None,
) -> None:
    """Set the options used when printing tensors (same as ``torch.set_printoptions``).

    Args:
        precision: digits after the decimal point for floating values (default 4).
        threshold: element count above which a tensor is summarized (default 1000).
        edgeitems: entries kept at each end of every summarized dimension (default 3).
        linewidth: characters per line used for wrapping (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'``; applied first, then
            overridden by any other argument given.  Unknown names are ignored,
            as in PyTorch.
        sci_mode: ``True``/``False`` forces scientific notation on/off;
            ``None`` chooses automatically.  Note that, as in PyTorch, this
            option is reset on *every* call, also when it is not passed.
    """
    if profile is not None and profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as a dict accepted by :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Context manager that temporarily applies :func:`set_printoptions` arguments."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------------
# Element formatting
# ---------------------------------------------------------------------------

Scalar = Union[bool, int, float]


class _Formatter:
    """Chooses the display mode and column width for all elements of one tensor.

    Args:
        values: the elements that determine the format: the whole tensor, or
            only its edge entries when it is summarized (see :func:`_summarize`).
        floating: whether the tensor has a floating-point dtype.
    """

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)

        if not floating:
            self.max_width = max(self.max_width, self._integer_width(flat))
            return

        finite_nonzero = flat[np.isfinite(flat) & (flat != 0)]
        if finite_nonzero.size == 0:
            return  # only zeros / nan / inf: integer mode, width 1

        magnitudes = np.abs(finite_nonzero).astype(np.float64)
        smallest = float(magnitudes.min())
        largest = float(magnitudes.max())
        self.int_mode = bool(np.all(np.ceil(finite_nonzero) == finite_nonzero))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{precision}e", 0
        elif self.int_mode:
            spec, extra = ".0f", 1  # room for the trailing '.'
        else:
            spec, extra = f".{precision}f", 0
        # Formatting is a pure function of the value, so distinct values suffice.
        for value in np.unique(finite_nonzero).tolist():
            self.max_width = max(self.max_width, len(format(value, spec)) + extra)

    @staticmethod
    def _integer_width(flat: np.ndarray) -> int:
        """Widest ``str()`` of the integer or bool values in ``flat`` (0 if empty)."""
        if flat.size == 0:
            return 0
        if flat.dtype == np.bool_:
            return len("False") if not flat.all() else len("True")
        # The longest decimal string belongs to the minimum or the maximum.
        return max(len(str(flat.min().item())), len(str(flat.max().item())))

    def width(self) -> int:
        """The common column width of every formatted element."""
        return self.max_width

    def format(self, value: Scalar) -> str:
        """Format one element (a Python scalar), right-aligned to :meth:`width`."""
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = format(value, f"{self.max_width}.{PRINT_OPTS.precision}e")
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = format(value, f".{PRINT_OPTS.precision}f")
        return text.rjust(self.max_width)


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


def _summarize(data: np.ndarray) -> np.ndarray:
    """The elements that remain visible once ``data`` is summarized.

    Mirrors PyTorch's ``get_summarized_data``, including its corner cases:
    with ``edgeitems == 0`` a 1-d tensor keeps all its elements
    (``x[-0:]`` is the whole vector) while a higher-dimensional one keeps none.
    """
    edge = PRINT_OPTS.edgeitems
    if data.ndim == 0:
        return data
    if data.ndim == 1:
        if data.shape[0] > 2 * edge:
            return np.concatenate((data[:edge], data[-edge:]))
        return data
    if not edge:
        return np.empty((0,) * data.ndim, dtype=data.dtype)
    n = data.shape[0]
    rows = range(n) if n <= 2 * edge else [*range(edge), *range(n - edge, n)]
    return np.stack([_summarize(data[i]) for i in rows])


def _vector_str(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """Render a 1-d array, wrapping rows to the line width."""
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        items = [_ELLIPSIS_SLICE]
    elif summarize and data.shape[0] > 2 * edge:
        items = (
            [formatter.format(v) for v in data[:edge].tolist()]
            + [_ELLIPSIS_ELEMENT]
            + [formatter.format(v) for v in data[-edge:].tolist()]
        )
    else:
        items = [formatter.format(v) for v in data.tolist()]

    element_length = formatter.width() + 2  # the element plus ", "
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _block_str(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """Render an array of any rank; ``indent`` is the column of its opening bracket."""
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, formatter)

    edge = PRINT_OPTS.edgeitems
    n = data.shape[0]
    if summarize and n > 2 * edge:
        blocks = (
            [_block_str(data[i], indent + 1, summarize, formatter) for i in range(edge)]
            + [_ELLIPSIS_SLICE]
            + [_block_str(data[i], indent + 1, summarize, formatter) for i in range(n - edge, n)]
        )
    else:
        blocks = [_block_str(data[i], indent + 1, summarize, formatter) for i in range(n)]
    separator = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _contents_str(data: np.ndarray, dtype: str, indent: int) -> str:
    """The bracketed contents of a non-empty tensor (without prefix or suffixes)."""
    summarize = data.size > PRINT_OPTS.threshold
    formatter = _Formatter(_summarize(data) if summarize else data, dtype in _FLOAT_DTYPES)
    return _block_str(data, indent, summarize, formatter)


def _add_suffixes(text: str, suffixes: list[tuple[str, int]], indent: int) -> str:
    """Append ``, suffix`` entries and the closing parenthesis, wrapping long lines.

    Each suffix comes with the length PyTorch would measure for it (see
    :func:`_torch_len`).  The running line length reproduces PyTorch's
    arithmetic exactly (which counts two characters more than the last line
    really holds).
    """
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix, suffix_len in suffixes:
        if last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
        else:
            parts.append(", " + suffix)
            last_line_len += suffix_len + 2
    parts.append(")")
    return "".join(parts)


def _torch_len(suffix: str) -> int:
    """Length of ``suffix`` as PyTorch spells it (``torch.`` instead of ``fasttensor.``).

    Line-wrapping decisions use this length so that the output is exactly
    PyTorch's with the module name substituted, even where the longer name
    pushes a line a few characters past ``linewidth``.
    """
    return len(suffix.replace(DTYPE_PREFIX, _TORCH_DTYPE_PREFIX))


def _split_device(device: str) -> tuple[str, Optional[int]]:
    """Split ``'cuda:1'`` into ``('cuda', 1)`` and ``'cpu'`` into ``('cpu', None)``."""
    kind, _, index = device.partition(":")
    return kind, (int(index) if index else None)


def _device_shown(device: str, default_device: str) -> bool:
    """Whether PyTorch would print a ``device=`` suffix.

    PyTorch shows the device when its type differs from the default device
    type, or when it is a CUDA device other than the current one (taken to be
    ``default_device``'s index, or 0).
    """
    kind, index = _split_device(device)
    default_kind, default_index = _split_device(default_device)
    if kind != default_kind:
        return True
    return kind == "cuda" and index != (default_index or 0)


def _numpy_dtype(dtype: str) -> np.dtype:
    if dtype not in _ALL_DTYPES:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of {sorted(_ALL_DTYPES)}")
    return np.dtype(dtype)


def format_tensor(
    data: np.ndarray,
    *,
    dtype: str,
    default_dtype: str = "float32",
    device: str = "cpu",
    requires_grad: bool = False,
    grad_fn: Optional[str] = None,
    prefix: str = "tensor(",
    default_device: str = "cpu",
) -> str:
    """Return PyTorch's ``repr`` of a tensor holding ``data``.

    Args:
        data: the tensor's elements, any shape (0-d included).  Converted to
            ``dtype`` if it is not already of that dtype.
        dtype: the tensor's dtype name: ``'bool'``, ``'uint8'``, ``'int8'``,
            ``'int16'``, ``'int32'``, ``'int64'``, ``'float16'``,
            ``'float32'`` or ``'float64'``.
        default_dtype: the current default floating dtype (``'float32'`` or
            ``'float64'``); tensors of that dtype, ``int64`` and ``bool`` get
            no ``dtype=`` suffix unless they are empty.
        device: the tensor's device as ``str(tensor.device)``, e.g. ``'cpu'``
            or ``'cuda:0'``.
        requires_grad: whether the tensor requires grad; printed as
            ``requires_grad=True`` only when ``grad_fn`` is ``None``.
        grad_fn: the name of the autograd node that produced the tensor,
            e.g. ``'MulBackward0'``, printed as ``grad_fn=<MulBackward0>``.
        prefix: the text before the contents; its length sets the indentation
            of continuation lines (``'tensor('`` for plain tensors and
            parameters, ``'ClassName('`` for subclasses).
        default_device: the default device (``'cpu'`` unless changed with
            ``set_default_device``); its index, if any, stands for the
            current CUDA device.

    Returns:
        The string, e.g. ``"tensor([1., 2.], dtype=fasttensor.float64)"``.
    """
    np_dtype = _numpy_dtype(dtype)
    data = np.asarray(data)
    if data.dtype != np_dtype:
        data = data.astype(np_dtype)

    indent = len(prefix)
    suffixes: list[str] = []
    if _device_shown(device, default_device):
        suffixes.append(f"device='{device}'")

    size_suffix = "size=" + str(tuple(int(n) for n in data.shape))
    dtype_suffix = f"dtype={DTYPE_PREFIX}{dtype}"
    if data.size == 0:
        # NumPy-style: the shape is shown unless it is (0,); the dtype cannot
        # be inferred from the (absent) values, so only the default float is implicit.
        if data.ndim != 1:
            suffixes.append(size_suffix)
        if dtype != default_dtype:
            suffixes.append(dtype_suffix)
        contents = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(size_suffix)
        if dtype not in (default_dtype, "int64", "bool"):
            suffixes.append(dtype_suffix)
        contents = _contents_str(data, dtype, indent)

    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")

    measured = [(suffix, _torch_len(suffix)) for suffix in suffixes]
    return _add_suffixes(prefix + contents, measured, indent)


def format_parameter(data: np.ndarray, *, dtype: str, **kwargs: Any) -> str:
    """Return PyTorch's ``repr`` of an ``nn.Parameter``: ``'Parameter containing:\\n' + tensor repr``.

    Takes the same keyword arguments as :func:`format_tensor`.  Note that a
    parameter normally requires grad, so pass ``requires_grad=True`` for it.
    """
    return "Parameter containing:\n" + format_tensor(data, dtype=dtype, **kwargs)
