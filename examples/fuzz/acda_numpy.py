#!/usr/bin/env python3
"""An ACDA forward in NumPy with a deliberate bug, for the README's `acda fuzz` example.

    python3 acda_numpy.py CASE_DIR [--fixed]

reads a case folder written by `acda fuzz` (case.json, weights/<key>.npy, x.npy) and writes
CASE_DIR/y.npy. It follows DESIGN section 5 (the two-layer form) for every hyper-parameter,
zeros and circular padding, stride and dilation, with one deliberate bug: the generator (the
network that makes the per-pixel atoms) runs at the input's resolution and is subsampled to the
output's afterwards. That is right for its first convolution but not for its second, whose 3x3
neighbours must be output pixels, so the bug shows only with a stride > 1 and an output wider
or taller than one pixel. --fixed runs the generator at the output resolution, as it should.
"""
import json
import os
import sys

import numpy as np


def gather(x, rows, cols, padding):
    """x[n, c, rows, cols] for index vectors that may fall outside: zeros, or wrapped around."""
    h, w = x.shape[2], x.shape[3]
    if padding == "circular":
        return x[:, :, rows % h][:, :, :, cols % w]
    v = x[:, :, np.clip(rows, 0, h - 1)][:, :, :, np.clip(cols, 0, w - 1)]
    inside = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    return v * inside


def conv(x, weight, bias, stride, dilation, pad, out_h, out_w, padding):
    """y[n, o, i, j] = bias[o] + sum_{c,a,b} weight[o, c, a, b] x[n, c, s i + d a - pad, s j + d b - pad]."""
    k = weight.shape[2]
    y = np.zeros((x.shape[0], weight.shape[0], out_h, out_w)) + bias[None, :, None, None]
    for a in range(k):
        for b in range(k):
            v = gather(x, stride * np.arange(out_h) + dilation * a - pad,
                       stride * np.arange(out_w) + dilation * b - pad, padding)
            y += np.einsum("oc,nchw->nohw", weight[:, :, a, b], v)
    return y


def batch_norm(v, p, prefix):
    scale = p[prefix + "weight"] / np.sqrt(p[prefix + "running_var"] + 1e-5)
    return (v - p[prefix + "running_mean"][None, :, None, None]) * scale[None, :, None, None] \
        + p[prefix + "bias"][None, :, None, None]


def forward(case, fixed):
    cfg = json.load(open(os.path.join(case, "case.json")))
    wdir = os.path.join(case, cfg["weights"])
    p = {f[:-4]: np.load(os.path.join(wdir, f)).astype(np.float64) for f in os.listdir(wdir)}
    x = np.load(os.path.join(case, cfg["input"])).astype(np.float64)
    n, c, h, w = x.shape
    k, s, d, pad_mode = cfg["kernel_size"], cfg["stride"], cfg["dilation"], cfg["padding"]
    m = cfg["atoms"]
    g = cfg["generator_kernel_size"]
    out_h, out_w = -(-h // s), -(-w // s)

    # The generator: conv g x g, BN, tanh, conv 3x3, BN, tanh -> G [N, M*T, H', W'].
    if fixed:
        e1 = np.tanh(batch_norm(conv(x, p["bases_net.0.weight"], p["bases_net.0.bias"], s, 1, (g - 1) // 2,
                                     out_h, out_w, pad_mode), p, "bases_net.1."))
        gen = np.tanh(batch_norm(conv(e1, p["bases_net.3.weight"], p["bases_net.3.bias"], 1, 1, 1,
                                      out_h, out_w, pad_mode), p, "bases_net.4."))
    else:
        # BUG: the whole generator at the input's resolution, then every s-th pixel kept.
        e1 = np.tanh(batch_norm(conv(x, p["bases_net.0.weight"], p["bases_net.0.bias"], 1, 1, (g - 1) // 2,
                                     h, w, pad_mode), p, "bases_net.1."))
        gen = np.tanh(batch_norm(conv(e1, p["bases_net.3.weight"], p["bases_net.3.bias"], 1, 1, 1,
                                      h, w, pad_mode), p, "bases_net.4."))[:, :, ::s, ::s]

    psi = p["bases"]                                   # [T, K*K]
    t = psi.shape[0]
    atoms = np.einsum("nmthw,tu->nmuhw", gen.reshape(n, m, t, out_h, out_w), psi)   # D [N, M, K*K, H', W']

    # Atom convolution Z [N, C, M, H', W'], then the 1x1 coefficient convolution.
    pad = d * (k - 1) // 2
    z = np.zeros((n, c, m, out_h, out_w))
    for a in range(k):
        for b in range(k):
            v = gather(x, s * np.arange(out_h) + d * a - pad, s * np.arange(out_w) + d * b - pad, pad_mode)
            z += v[:, :, None] * atoms[:, None, :, a * k + b]
    coef = p["coef"].reshape(-1, c * m)                # [O, C*M]
    y = np.einsum("oj,njhw->nohw", coef, z.reshape(n, c * m, out_h, out_w))
    if cfg["bias"]:
        y += p["bias"][None, :, None, None]
    np.save(os.path.join(case, cfg.get("expected", "y.npy")), y.astype(np.float32))


if __name__ == "__main__":
    forward(sys.argv[1], "--fixed" in sys.argv[2:])
