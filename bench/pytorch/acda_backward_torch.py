#!/usr/bin/env python3
"""Autograd backward of the ACDA layer in PyTorch (acda_torch.acda_forward: the reference layer's
operations), timed on this CPU with 2 threads, float32, on the configurations of bench's
AcdaBackwardBenchmark, so that the JVM backward can be put beside it. Nothing in the build depends
on this script; it writes bench/pytorch/pytorch-backward-times.csv and prints it.

For each configuration it times, median and best of several calls, interleaved (forward, backward, forward,
backward, ...) so that a noisy machine slows both alike:
  forward    the forward without autograd (torch.no_grad)
  backward   y.backward(dy) alone, after a forward that recorded the graph
  fwd+bwd    both, as one training step needs them

Usage: python3 acda_backward_torch.py [config ...]      (default: small k-3 k-7)
Needs only numpy and torch (Debian: apt-get install python3-torch).
"""
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from acda_torch import acda_forward  # noqa: E402
from machine import header_lines, load_average  # noqa: E402

CONFIGS = {"small": (2, 16, 32, 3), "k-3": (1, 64, 56, 3), "k-5": (1, 64, 56, 5), "k-7": (1, 64, 56, 7),
           "resnet-k3": (8, 64, 56, 3)}
LEARNED = ("bases_net.0.weight", "bases_net.0.bias", "bases_net.1.weight", "bases_net.1.bias",
           "bases_net.3.weight", "bases_net.3.bias", "bases_net.4.weight", "bases_net.4.bias", "coef", "bias")


def layer(n, c, hw, k, rng):
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
    for key in LEARNED:
        state[key].requires_grad_(True)
    x = f32(n, c, hw, hw).requires_grad_(True)
    return state, x


def main(names):
    load_start = load_average()
    torch.set_num_threads(2)
    rng = np.random.default_rng(1)
    rows = []
    for name in names:
        n, c, hw, k = CONFIGS[name]
        state, x = layer(n, c, hw, k, rng)
        dy = torch.from_numpy(rng.uniform(-1, 1, (n, c, hw, hw)).astype(np.float32))
        reps = 5 if n > 1 else 15
        tf, tb, tfb = [], [], []
        for i in range(reps + 3):
            t0 = time.perf_counter()
            with torch.no_grad():
                acda_forward(state, x)
            t1 = time.perf_counter()
            for v in list(state.values()) + [x]:
                v.grad = None
            t2 = time.perf_counter()
            y = acda_forward(state, x)
            t3 = time.perf_counter()
            y.backward(dy)
            t4 = time.perf_counter()
            if i >= 3:                      # the first calls warm up oneDNN and the allocator
                tf.append(t1 - t0)
                tb.append(t4 - t3)
                tfb.append(t4 - t2)
        rows.append((name, n, c, hw, k) + tuple(f(ts) * 1e3 for ts in (tf, tb, tfb) for f in (statistics.median, min)))
        print(rows[-1], flush=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch-backward-times.csv")
    what = (f"PyTorch {torch.__version__} autograd through the reference ACDA layer, {torch.get_num_threads()} threads, "
            f"float32, forward and backward interleaved call by call, 3 warm-up rounds, 5 or 15 timed rounds")
    with open(out + ".tmp", "w") as f:
        for line in header_lines(what, load_start):
            f.write(line + "\n")
        f.write("config,shape,forward_median_ms,forward_best_ms,backward_median_ms,backward_best_ms,"
                "forward_backward_median_ms,forward_backward_best_ms\n")
        for name, n, c, hw, k, *t in rows:
            f.write(f"{name},N={n} C=O={c} {hw}x{hw} K={k}," + ",".join(f"{v:.3f}" for v in t) + "\n")
    os.replace(out + ".tmp", out)
    print(open(out).read())


if __name__ == "__main__":
    args = sys.argv[1:] or ["small", "k-3", "k-7"]
    unknown = [a for a in args if a not in CONFIGS]
    if unknown:
        print(__doc__)
        print("unknown configuration(s):", unknown, "expected some of", list(CONFIGS))
        sys.exit(2)
    main(args)
