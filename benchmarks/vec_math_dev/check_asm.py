#!/usr/bin/env python3
"""Checks that the vec_* main loops are vectorised at every SIMD level.

For each vec_* function in build/level_*.o (run build.sh first) it finds the
main loop (the first backward conditional branch), counts its instructions
and the registers used, and fails if the loop calls anything or uses no
packed registers of the level's width.
"""
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
WIDTH = {"avx512": "zmm", "avx2": "ymm", "sse2": "xmm"}
bad = 0
for lvl, reg in WIDTH.items():
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", f"{here}/build/level_{lvl}.o"],
                         capture_output=True, text=True, check=True).stdout
    for block in re.split(r"\n(?=[0-9a-f]+ <)", dis):
        m = re.match(r"[0-9a-f]+ <.*::(vec_\w+<\w+>)\(", block)
        if not m:
            continue
        ins = []
        for line in block.splitlines()[1:]:
            p = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line)
            if p:
                ins.append((int(p.group(1), 16), p.group(2), p.group(3)))
        for a, op, args in ins:
            t = re.match(r"([0-9a-f]+) <", args)
            if op.startswith("j") and op != "jmp" and t and int(t.group(1), 16) < a:
                body = [x for x in ins if int(t.group(1), 16) <= x[0] <= a]
                calls = sum(op2 == "call" for _, op2, _ in body)
                packed = sum(reg in args2 and re.search(r"p[sd]\b|^vp|^p|ternlog|scalef", op2) is not None
                             for _, op2, args2 in body)
                ok = calls == 0 and packed > 0
                bad += not ok
                print(f"{lvl:7s} {m.group(1):18s} main loop {len(body):3d} insns, {packed:3d} packed on {reg}, "
                      f"{calls} calls{'' if ok else '   <-- NOT VECTORISED'}")
                break
sys.exit(1 if bad else 0)
