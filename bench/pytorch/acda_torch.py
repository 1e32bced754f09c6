#!/usr/bin/env python3
"""ACDA in PyTorch, written from DESIGN.md section 5 the way the reference PyTorch layer computes it
(generator convs with BatchNorm and tanh, einsum for the atoms, unfold + einsum for the atom
convolution, a 1x1 conv2d for the coefficients). Two uses, neither of which the build or the tests
depend on (their outputs are committed):

  golden DIR...   for each case folder written by acda-jvm (case.json, weights/ of <key>.npy, x.npy),
                  compute the output in float64 and write y_torch.npy beside it: an independent
                  implementation the oracle is checked against (property-tests GoldenCasesTest).
  bench [T]       time the layer and oneDNN's plain convolution on the same shapes, on this CPU,
                  with T threads (default 2), float32, interleaved, median and best, into
                  bench/pytorch/pytorch-times.csv (bench/RESULTS.md reads it, and says when the
                  machine named in its header is not the one the report runs on).

Needs only numpy and torch (Debian: apt-get install python3-torch).
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import header_lines, load_average  # noqa: E402


def load_case(folder):
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    wdir = os.path.join(folder, case["weights"])
    state = {}
    for name in os.listdir(wdir):
        if name.endswith(".npy"):
            state[name[:-4]] = torch.from_numpy(np.load(os.path.join(wdir, name)).astype(np.float64))
    x = torch.from_numpy(np.load(os.path.join(folder, case["input"])).astype(np.float64))
    return case, state, x


def padded(x, pad, mode):
    if pad == 0:
        return x
    if mode == "circular":
        return F.pad(x, (pad, pad, pad, pad), mode="circular")
    return F.pad(x, (pad, pad, pad, pad))


def bn_tanh(v, state, prefix):
    return torch.tanh(F.batch_norm(v, state[prefix + "running_mean"], state[prefix + "running_var"],
                                   state[prefix + "weight"], state[prefix + "bias"], False, 0.0, 1e-5))


def acda_forward(state, x, stride=1, dilation=1, padding="zeros", atoms=6):
    """y for an ACDA layer given as a state dict (keys of DESIGN section 5) and input x [N, C, H, W]."""
    w1 = state["bases_net.0.weight"]
    g = w1.shape[2]
    bases = state["bases"]                       # [T, K*K]
    t_count, taps = bases.shape
    k = int(round(taps ** 0.5))
    n, c, h, w = x.shape
    # Generator, at output resolution.
    e1 = bn_tanh(F.conv2d(padded(x, (g - 1) // 2, padding), w1, state["bases_net.0.bias"], stride=stride),
                 state, "bases_net.1.")
    gen = bn_tanh(F.conv2d(padded(e1, 1, padding), state["bases_net.3.weight"], state["bases_net.3.bias"]),
                  state, "bases_net.4.")
    ho, wo = gen.shape[2], gen.shape[3]
    gen = gen.view(n, atoms, t_count, ho, wo)
    # Atoms: D[n, m, u, h, w] = sum_t G[n, m, t, h, w] Psi[t, u].
    d = torch.einsum("bmthw,tl->bmlhw", gen, bases)
    # Atom convolution through unfold: patches [N, C, K*K, H', W'].
    pad = dilation * (k - 1) // 2
    cols = F.unfold(padded(x, pad, padding), kernel_size=k, dilation=dilation, stride=stride)
    cols = cols.view(n, c, taps, ho, wo)
    z = torch.einsum("bmlhw,bclhw->bcmhw", d, cols).reshape(n, c * atoms, ho, wo)
    # Coefficient convolution.
    return F.conv2d(z, state["coef"], state.get("bias"))


def golden(folders):
    for folder in folders:
        case, state, x = load_case(folder)
        y = acda_forward(state, x, case["stride"], case["dilation"], case["padding"], case["atoms"])
        np.save(os.path.join(folder, "y_torch.npy"), y.numpy())
        print(folder, tuple(y.shape))


def bench(threads=2):
    """Times the layer and oneDNN's plain conv of the same shape, interleaved call by call (ACDA, plain,
    ACDA, plain, ...) so that a slow stretch of a shared machine hits both alike; median and best."""
    load_start = load_average()
    torch.set_num_threads(threads)
    rng = np.random.default_rng(1)
    rows = []
    # Names as in bench's BenchConfig, so that the report can put our times beside these.
    for (name, n, c, hw, k) in [("small", 2, 16, 32, 3), ("k-3", 1, 64, 56, 3), ("k-5", 1, 64, 56, 5),
                                ("k-7", 1, 64, 56, 7), ("resnet-k3", 8, 64, 56, 3), ("resnet-k5", 8, 64, 56, 5),
                                ("resnet-k7", 8, 64, 56, 7), ("table6-k3", 1, 256, 100, 3),
                                ("table6-k5", 1, 256, 100, 5), ("table6-k7", 1, 256, 100, 7)]:
        atoms, per_scale = 6, 6
        t_count = per_scale * (k - 1) // 2
        inter = max(64, atoms * t_count // 2)
        f32 = lambda *s: torch.from_numpy(rng.uniform(-0.1, 0.1, s).astype(np.float32))
        state = {
            "bases_net.0.weight": f32(inter, c, 3, 3), "bases_net.0.bias": f32(inter),
            "bases_net.3.weight": f32(atoms * t_count, inter, 3, 3), "bases_net.3.bias": f32(atoms * t_count),
            "coef": f32(c, c * atoms, 1, 1), "bias": f32(c), "bases": f32(t_count, k * k),
        }
        for p, ch in (("bases_net.1.", inter), ("bases_net.4.", atoms * t_count)):
            state[p + "weight"] = torch.ones(ch)
            state[p + "bias"] = torch.zeros(ch)
            state[p + "running_mean"] = torch.zeros(ch)
            state[p + "running_var"] = torch.ones(ch)
        x = f32(n, c, hw, hw)
        wplain = f32(c, c, k, k)
        fns = (lambda: acda_forward(state, x, atoms=atoms), lambda: F.conv2d(x, wplain, state["bias"], padding=k // 2))
        reps = 5 if c >= 256 or n > 1 else 15
        times = ([], [])
        with torch.no_grad():
            for fn in fns:
                for _ in range(3):
                    fn()
            for _ in range(reps):
                for fn, ts in zip(fns, times):
                    t0 = time.perf_counter()
                    fn()
                    ts.append(time.perf_counter() - t0)
        rows.append((name, n, c, hw, k) + tuple(f(ts) * 1e3 for ts in times for f in (statistics.median, min)))
        print(rows[-1], flush=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch-times.csv")
    what = (f"PyTorch {torch.__version__}: the ACDA layer written the reference way and oneDNN's plain conv2d of the "
            f"same shape, {threads} threads, float32, interleaved call by call, 3 warm-up calls each, 5 or 15 timed calls")
    with open(out + ".tmp", "w") as f:
        for line in header_lines(what, load_start):
            f.write(line + "\n")
        f.write("config,threads,shape,acda_median_ms,acda_best_ms,plain_conv_median_ms,plain_conv_best_ms\n")
        for name, n, c, hw, k, am, ab, pm, pb in rows:
            f.write(f"{name},{threads},N={n} C=O={c} {hw}x{hw} K={k},{am:.3f},{ab:.3f},{pm:.3f},{pb:.3f}\n")
    os.replace(out + ".tmp", out)
    print(open(out).read())


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "golden":
        golden(sys.argv[2:])
    elif 2 <= len(sys.argv) <= 3 and sys.argv[1] == "bench":
        bench(int(sys.argv[2]) if len(sys.argv) == 3 else 2)
    else:
        print(__doc__)
        sys.exit(2)
