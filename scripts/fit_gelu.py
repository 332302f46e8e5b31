#!/usr/bin/env python3
"""Coefficients of the AMX epilogue's GELU (src/compute/amx_kernel.cpp, kGeluCentre / kGeluPoly).

Phi(-t) = erfc(t / sqrt 2) / 2 on [0, 6) in 16 intervals, a degree-5 Chebyshev fit on each, as polynomials in
t - centre. Prints the tables and the worst error of GELU evaluated in float32 the way the kernel does, as a
fraction of the test's tolerance 5e-7 (1 + |x|). Needs numpy (Debian: python3-numpy).
"""
import math

import numpy as np

INTERVALS, END, DEGREE = 16, 6.0, 5


def phi_minus(t):
    return 0.5 * np.vectorize(math.erfc)(np.asarray(t, dtype=np.float64) / math.sqrt(2))


def fit():
    width = END / INTERVALS
    nodes = np.cos(np.pi * (np.arange(200) + 0.5) / 200) * (width / 2)
    centres, coefs = [], []
    for i in range(INTERVALS):
        centre = (i + 0.5) * width
        cheb = np.polynomial.chebyshev.Chebyshev.fit(nodes, phi_minus(centre + nodes), DEGREE,
                                                     domain=[-width / 2, width / 2])
        coefs.append(cheb.convert(kind=np.polynomial.Polynomial).coef.astype(np.float32))
        centres.append(np.float32(centre))
    return np.array(centres), np.array(coefs)


def worst_error(centres, coefs):
    x = np.linspace(-12, 12, 2_000_001).astype(np.float32)
    t = np.minimum(np.abs(x), np.float32(5.99))
    interval = np.minimum((t * np.float32(INTERVALS / END)).astype(int), INTERVALS - 1)
    u = (t - centres[interval]).astype(np.float32)
    c = coefs[interval, DEGREE]
    for d in range(DEGREE - 1, -1, -1):
        c = (c * u + coefs[interval, d]).astype(np.float32)
    xc = (x * c).astype(np.float32)
    gelu = np.where(x >= 0, (x - xc).astype(np.float32), xc)
    exact = x.astype(np.float64) * phi_minus(-x)
    return float(np.max(np.abs(gelu - exact) / (5e-7 * (1 + np.abs(x.astype(np.float64))))))


if __name__ == "__main__":
    centres, coefs = fit()
    print("centres", ", ".join(f"{v:.9e}f" for v in centres))
    for d in range(DEGREE + 1):
        print(f"degree {d}", ", ".join(f"{v:.9e}f" for v in coefs[:, d]))
    print(f"worst error: {worst_error(centres, coefs):.3f} of the tolerance")
