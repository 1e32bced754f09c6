#!/usr/bin/env python3
"""Fourier-Bessel bases of DESIGN.md section 4, computed independently with SciPy's Bessel
functions and tabulated zeros, for the golden test of acda-jvm's basis module. Writes
bases_K<k>_B<b>.npy (float64, [T, K*K]) into the folder given as argument."""
import os
import sys

import numpy as np
from scipy.special import jn_zeros, jv


def single_scale(L):
    R = L + 0.5
    f = 2.0 if L < 2 else 1.5
    limit = np.pi * R * f
    cands = []
    for k in range(16):
        z = jn_zeros(k, 60)
        for q in range(1, 60):
            if z[q] <= limit:          # the next zero, j(k, q+1), is tested
                cands.append((z[q - 1], k, q))
    cands.sort(key=lambda c: c[0])
    size = 2 * L + 1
    rows, cols = np.meshgrid(np.arange(-L, L + 1), np.arange(-L, L + 1), indexing="ij")
    r = np.sqrt(rows ** 2 + cols ** 2) / R
    theta = np.arctan2(cols, rows)
    funcs = []
    for z, k, q in cands:
        phi = np.where(r < 1, jv(k, z * r) / abs(jv(k + 1, z)), 0.0)
        if k == 0:
            funcs.append(phi)
        else:
            funcs.append(np.sqrt(2) * phi * np.cos(k * theta))
            funcs.append(np.sqrt(2) * phi * np.sin(k * theta))
    funcs = np.array(funcs[: size * size - 1])
    c = np.sqrt(np.mean(np.sum(funcs.reshape(len(funcs), -1) ** 2, axis=1)))
    return funcs / c


def multi_scale(K, B):
    out = []
    for L in range(1, (K - 1) // 2 + 1):
        s = single_scale(L)[:B]
        pad = (K - 1) // 2 - L
        out.extend(np.pad(e, pad).reshape(-1) for e in s)
    return np.array(out)


if __name__ == "__main__":
    folder = sys.argv[1]
    for K, B in [(3, 6), (5, 6), (7, 6), (9, 4), (11, 3)]:
        np.save(os.path.join(folder, f"bases_K{K}_B{B}.npy"), multi_scale(K, B))
        print(K, B, multi_scale(K, B).shape)
