#!/usr/bin/env python3
"""Generates the polynomial coefficients and split constants of csrc/cpu/vec_math.h.

Weighted minimax (Remez exchange) fits, done in 80-digit arithmetic with mpmath,
then rounded to the target type; the printed error is the weighted (relative)
error of the *rounded* coefficients, measured on a dense grid in high
precision.  Run:  /work/venv/bin/python gen_coeffs.py
"""
import mpmath as mp

mp.mp.dps = 80


def remez(f, w, a, b, deg, grid=2000, iters=60):
    """Minimise max |w(x) * (p(x) - f(x))| over [a, b], p of degree deg."""
    n = deg + 2
    cheb = lambda k, m: a + (b - a) * (1 - mp.cos(mp.pi * k / (m - 1))) / 2
    G = [cheb(k, grid) for k in range(grid)]
    fG = [f(x) for x in G]
    wG = [w(x) for x in G]
    ref = [G[round(k * (grid - 1) / (n - 1))] for k in range(n)]
    c = None
    for _ in range(iters):
        A = mp.matrix(n, n)
        rhs = mp.matrix(n, 1)
        for i, x in enumerate(ref):
            for k in range(deg + 1):
                A[i, k] = x ** k
            A[i, deg + 1] = (-1) ** i / w(x)
            rhs[i] = f(x)
        sol = mp.lu_solve(A, rhs)
        c = [sol[k] for k in range(deg + 1)]
        E = abs(sol[deg + 1])
        err = [wG[i] * (mp.polyval(c[::-1], G[i]) - fG[i]) for i in range(grid)]
        # One extremum per run of constant sign.
        ext = []
        i = 0
        while i < grid:
            j = i
            best = i
            while j < grid and (err[j] >= 0) == (err[i] >= 0):
                if abs(err[j]) > abs(err[best]):
                    best = j
                j += 1
            ext.append(best)
            i = j
        # Keep n alternating extrema with the largest errors.
        while len(ext) > n:
            if abs(err[ext[0]]) < abs(err[ext[-1]]):
                ext.pop(0)
            else:
                ext.pop()
        if len(ext) < n:
            break
        m = max(abs(err[k]) for k in ext)
        ref = [G[k] for k in ext]
        if m / E - 1 < mp.mpf("1e-6"):
            break
    return c


def err_of(coeffs, f, w, a, b, grid=4000):
    pts = [a + (b - a) * k / (grid - 1) for k in range(grid)]
    return max(abs(w(x) * (mp.polyval([mp.mpf(v) for v in coeffs[::-1]], x) - f(x))) for x in pts)


def to_f32(x):
    import numpy as np
    return float(np.float32(float(x)))


def show(name, coeffs, rnd, f, w, a, b, suffix):
    r = [rnd(v) for v in coeffs]
    e = err_of(r, f, w, a, b)
    print(f"// {name}: weighted max error after rounding {mp.nstr(e, 3)} (2^{mp.nstr(mp.log(e, 2), 4)})")
    for k, v in enumerate(r):
        print(f"  {float(v).hex()}{suffix},  // c{k} = {float(v)!r}")


def split(c, bits, rnd):
    """c = hi + lo with hi having `bits` significant bits (so n*hi is exact for small n)."""
    e = mp.floor(mp.log(abs(c), 2))
    scale = mp.mpf(2) ** (bits - 1 - e)
    hi = mp.floor(c * scale) / scale
    return hi, c - hi


def main():
    sq = mp.sqrt
    tiny = lambda g: (lambda x: g(x) if x != 0 else None)
    fl = lambda v: float(v)

    # ---- exp: e^r = 1 + r + r^2 q(r), |r| <= ln2/2 (+ margin) -----------------
    a = mp.log(2) / 2 * mp.mpf("1.002")
    fq = lambda r: (mp.exp(r) - 1 - r) / r ** 2
    wq = lambda r: max(r ** 2, mp.mpf("1e-4")) / mp.exp(r)
    for deg, rnd, sfx, nm in ((4, to_f32, "f", "exp float q"), (9, fl, "", "exp double q")):
        c = remez(fq, wq, -a, a, deg)
        show(nm, c, rnd, fq, lambda r: r ** 2 / mp.exp(r), -a, a, sfx)

    # ---- log: log1p(f) = 2s + s*z*g(z), s = f/(2+f), z = s^2 --------------------
    smax = (sq(2) - 1) / (sq(2) + 1)
    zb = smax ** 2 * mp.mpf("1.002")
    fg = lambda z: (2 * mp.atanh(sq(z)) - 2 * sq(z)) / (z * sq(z))
    wg = lambda z: max(z, zb * mp.mpf("1e-3")) / 2
    for deg, rnd, sfx, nm in ((2, to_f32, "f", "log float g"), (6, fl, "", "log double g")):
        c = remez(fg, wg, zb * mp.mpf("1e-6"), zb, deg)
        show(nm, c, rnd, fg, lambda z: z / 2, zb * mp.mpf("1e-6"), zb, sfx)

    # ---- tanh: tanh(x) = x + x^3 P(x^2), 0 <= x <= 0.55 -------------------------
    zt = mp.mpf("0.55") ** 2 * mp.mpf("1.002")
    ft = lambda z: (mp.tanh(sq(z)) - sq(z)) / (z * sq(z))
    wt = lambda z: max(z, zt * mp.mpf("1e-3")) * sq(z) / mp.tanh(sq(z))
    wt_true = lambda z: z * sq(z) / mp.tanh(sq(z))
    for deg, rnd, sfx, nm in ((4, to_f32, "f", "tanh float P"), (5, to_f32, "f", "tanh float P"),
                              (10, fl, "", "tanh double P"), (11, fl, "", "tanh double P")):
        c = remez(ft, wt, zt * mp.mpf("1e-6"), zt, deg)
        show(nm, c, rnd, ft, wt_true, zt * mp.mpf("1e-6"), zt, sfx)

    # ---- sin / cos on |r| <= pi/4 (+ margin) --------------------------------------
    zs = (mp.pi / 4) ** 2 * mp.mpf("1.002")
    fs = lambda z: (mp.sin(sq(z)) - sq(z)) / (z * sq(z))
    ws = lambda z: max(z, zs * mp.mpf("1e-3")) * sq(z) / mp.sin(sq(z))
    ws_true = lambda z: z * sq(z) / mp.sin(sq(z))
    fc = lambda z: (mp.cos(sq(z)) - 1 + z / 2) / z ** 2
    wc = lambda z: max(z, zs * mp.mpf("1e-3")) ** 2 / mp.cos(sq(z))
    wc_true = lambda z: z ** 2 / mp.cos(sq(z))
    for deg in (3, 4):
        show(f"sin (float, evaluated in double) S deg {deg}", remez(fs, ws, zs * mp.mpf("1e-6"), zs, deg), fl, fs, ws_true, zs * mp.mpf("1e-6"), zs, "")
        show(f"cos (float, evaluated in double) C deg {deg}", remez(fc, wc, zs * mp.mpf("1e-6"), zs, deg), fl, fc, wc_true, zs * mp.mpf("1e-6"), zs, "")
    # float sin/cos (evaluated in double) reduce by pi: |r| <= pi/2, sin only.
    zh = (mp.pi / 2) ** 2 * mp.mpf("1.002")
    wh = lambda z: max(z, zh * mp.mpf("1e-3")) * sq(z) / mp.sin(sq(z))
    wh_true = lambda z: z * sq(z) / mp.sin(sq(z))
    for deg in (4, 5, 6):
        show(f"sin on |r|<=pi/2 (float, evaluated in double) S deg {deg}", remez(fs, wh, zh * mp.mpf("1e-6"), zh, deg), fl, fs, wh_true, zh * mp.mpf("1e-6"), zh, "")
    for deg in (5, 6):
        show(f"sin double S deg {deg}", remez(fs, ws, zs * mp.mpf("1e-6"), zs, deg), fl, fs, ws_true, zs * mp.mpf("1e-6"), zs, "")
        show(f"cos double C deg {deg}", remez(fc, wc, zs * mp.mpf("1e-6"), zs, deg), fl, fc, wc_true, zs * mp.mpf("1e-6"), zs, "")

    # ---- split constants ------------------------------------------------------------
    ln2 = mp.log(2)
    for bits, rnd, nm in ((16, to_f32, "ln2 float (hi 16 bits)"), (42, fl, "ln2 double (hi 42 bits)")):
        hi, lo = split(ln2, bits, rnd)
        print(f"// {nm}: hi = {float(hi).hex()} lo = {float(rnd(lo)).hex()}")
    pio2 = mp.pi / 2
    hi, lo = split(pio2, 29, fl)
    print(f"// pi/2 for float path (hi 29 bits): {float(hi).hex()} {float(lo).hex()}")
    print(f"// 1/pi {float(1 / mp.pi).hex()}")
    rest = pio2
    parts = []
    for k in range(3):
        h, rest = split(rest, 33, fl)
        parts.append(h)
    parts.append(rest)
    print("// pi/2 for double path (33,33,33,53 bits): " + " ".join(float(p).hex() for p in parts))
    print(f"// residual after 4 double parts: {mp.nstr(pio2 - sum(mp.mpf(float(p)) for p in parts), 3)}")
    print(f"// log2(e) float {to_f32(1 / ln2).hex()}  double {float(1 / ln2).hex()}   2/pi {float(2 / mp.pi).hex()}")


if __name__ == "__main__":
    main()
