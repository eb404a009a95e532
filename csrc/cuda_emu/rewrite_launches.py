"""Rewrites CUDA launches for the CUDA emulator (see emu.h).

    kernel<T><<<grid, block, shared, stream>>>(a, b)
becomes
    ::ft_emu::launch(::ft_emu::LaunchConfig(grid, block, shared, stream), "kernel<T>", kernel<T>, a, b)

The kernel expression is the name (optionally qualified) and its template
argument list just before `<<<`. A kernel's `__launch_bounds__(max_threads,
...)` becomes a check of the launch's block size at the top of its body,
and a `__shared__` array is poisoned for each new block (poison_shared).
Everything else is copied unchanged.

Usage: rewrite_launches.py INPUT OUTPUT
"""

from __future__ import annotations

import re
import sys


def _matching(text: str, start: int, open_ch: str, close_ch: str) -> int:
    """Index just past the bracket that closes text[start] (an open_ch)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_ch:
            depth += 1
        elif text[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError(f"unbalanced {open_ch}{close_ch} from offset {start}")


def _kernel_start(text: str, end: int) -> int:
    """Start of the kernel expression that ends at text[end] (exclusive)."""
    i = end
    while i > 0 and text[i - 1].isspace():
        i -= 1
    if text[i - 1] == ">":  # a template argument list: walk back to its `<`
        depth = 0
        while True:
            i -= 1
            if text[i] == ">":
                depth += 1
            elif text[i] == "<":
                depth -= 1
                if depth == 0:
                    break
    while i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_:"):
        i -= 1
    return i


def _top_level_split(text: str) -> list:
    """text split at the commas outside any brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def check_launch_bounds(text: str) -> str:
    """Keeps each kernel's __launch_bounds__(max_threads, ...) as a check at the
    top of its body: a launch with more threads per block fails on a GPU."""
    out = []
    pos = 0
    pattern = re.compile(r"__global__\s+void\s+(__launch_bounds__\()")
    while True:
        found = pattern.search(text, pos)
        if not found:
            out.append(text[pos:])
            return "".join(out)
        at, open_paren = found.start(1), found.end(1) - 1
        close = _matching(text, open_paren, "(", ")")
        max_threads = _top_level_split(text[open_paren + 1:close - 1])[0].strip()
        params = text.find("(", close)
        body = text.find("{", _matching(text, params, "(", ")"))
        out.append(text[pos:at])  # the attribute itself is dropped (emu.h defines it away too)
        out.append(text[close:body + 1])
        out.append(f" ::ft_emu::check_launch_bounds({max_threads});")
        pos = body + 1


_SHARED = re.compile(r"__shared__\s+(?:__align__\(\d+\)\s+)?[\w:<>]+\s+(\w+)\s*(?:\[[^;\]]*\]\s*)*;")


def poison_shared(text: str) -> str:
    """After each `__shared__ T name[...];` a call that fills the array with
    0xff bytes the first time a thread of a new block gets there, so that a
    read of shared memory no thread of the block wrote shows (a GPU leaves
    garbage there; a function-local static would keep the last block's data)."""
    return _SHARED.sub(lambda m: m.group(0) + f" ::ft_emu::poison_shared(&{m.group(1)}, sizeof({m.group(1)}));",
                       text)


def rewrite(text: str) -> str:
    text = poison_shared(check_launch_bounds(text))
    out = []
    pos = 0
    while True:
        at = text.find("<<<", pos)
        if at < 0:
            out.append(text[pos:])
            return "".join(out)
        close = text.find(">>>", at)
        config = text[at + 3:close]
        paren = close + 3
        while text[paren].isspace():
            paren += 1
        if text[paren] != "(":
            raise ValueError(f"no argument list after the launch at offset {at}")
        args_end = _matching(text, paren, "(", ")")
        args = text[paren + 1:args_end - 1].strip()
        start = _kernel_start(text, at)
        kernel = text[start:at].strip()
        out.append(text[pos:start])
        name = '"' + " ".join(kernel.split()).replace('"', "'") + '"'
        out.append(f"::ft_emu::launch(::ft_emu::LaunchConfig({config}), {name}, {kernel}"
                   + (f", {args})" if args else ")"))
        pos = args_end


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        text = f.read()
    header = f"// Generated from {src} by rewrite_launches.py for the CUDA emulator.\n#line 1 \"{src}\"\n"
    with open(dst, "w", encoding="utf-8") as f:
        f.write(header + rewrite(text))


if __name__ == "__main__":
    main()
