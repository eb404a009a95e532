"""nn.utils.rnn: pad_sequence (variable-length sequences stacked into one padded tensor)."""

from __future__ import annotations

from typing import Iterable, List

from ... import _C

Tensor = _C.Tensor


def pad_sequence(sequences: Iterable[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stacks tensors of shape (L_i, *) into (max L, B, *), or (B, max L, *) with batch_first, filling
    the rest with ``padding_value`` after each sequence (``padding_side='right'``) or before it
    ('left'). The result has the first sequence's dtype and device; gradients flow back."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences: List[Tensor] = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]
    max_len = max(s.shape[0] for s in sequences)
    trailing = list(first.shape[1:])
    shape = [len(sequences), max_len] if batch_first else [max_len, len(sequences)]
    out = _C._full(shape + trailing, padding_value, first.dtype, first.device, False)
    for i, seq in enumerate(sequences):
        length = seq.shape[0]
        rows = slice(0, length) if padding_side == "right" else slice(max_len - length, max_len)
        if batch_first:
            out[i, rows] = seq
        else:
            out[rows, i] = seq
    return out


__all__ = ["pad_sequence"]
