#!/usr/bin/env python3
"""oneDNN's plain conv2d (PyTorch's CPU convolution) on the shapes of bench's standard configurations,
so that the vector path's GFLOP/s can be put beside the best convolution library on the same CPU
(issue 16). Not a build or test dependency; the CSV it writes is committed with the machine named.

    python3 bench/pytorch/onednn_plain_conv.py [THREADS...]     (default: 1 2)

Writes bench/pytorch/onednn-plain-conv.csv: per configuration and thread count, the median and the
best of the timed calls (after warm-up) and GFLOP/s of both (2 x O*C*K^2 multiply-adds per output
pixel, bias not counted). The thread counts are interleaved call by call (each timed call follows an
untimed one at the same thread count, so that switching costs nothing), so that a slow stretch of a
shared machine hits every thread count alike. The header names the machine (model name, cpu family:
BenchReport compares them with the machine it reports from) and the load average at start and end.
Needs numpy and torch (Debian: apt-get install python3-torch).
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import header_lines, load_average  # noqa: E402

# Names and shapes as in bench's BenchConfig: (name, N, C=O, H=W, K).
CONFIGS = [("small", 2, 16, 32, 3),
           ("resnet-k3", 8, 64, 56, 3), ("resnet-k5", 8, 64, 56, 5), ("resnet-k7", 8, 64, 56, 7),
           ("table6-k3", 1, 256, 100, 3), ("table6-k5", 1, 256, 100, 5), ("table6-k7", 1, 256, 100, 7),
           ("k-3", 1, 64, 56, 3), ("k-5", 1, 64, 56, 5), ("k-7", 1, 64, 56, 7)]
WARMUP = 3


def reps(n, c, hw, k):
    return 9 if n * c * c * hw * hw * k * k > 1e9 else 21


def main(threads_list):
    load_start = load_average()
    torch.manual_seed(1)
    rows = []
    with torch.no_grad():
        for name, n, c, hw, k in CONFIGS:
            x = torch.rand(n, c, hw, hw) * 0.2 - 0.1
            w = torch.rand(c, c, k, k) * 0.2 - 0.1
            b = torch.rand(c) * 0.2 - 0.1
            times = {t: [] for t in threads_list}
            for t in threads_list:
                torch.set_num_threads(t)
                for _ in range(WARMUP):
                    F.conv2d(x, w, b, padding=k // 2)
            for _ in range(reps(n, c, hw, k)):
                for t in threads_list:
                    torch.set_num_threads(t)
                    F.conv2d(x, w, b, padding=k // 2)          # untimed: absorbs the switch
                    t0 = time.perf_counter()
                    F.conv2d(x, w, b, padding=k // 2)
                    times[t].append(time.perf_counter() - t0)
            flop = 2.0 * n * hw * hw * c * c * k * k
            for t in threads_list:
                med, best = statistics.median(times[t]), min(times[t])
                rows.append((name, t, n, c, hw, k, med * 1e3, best * 1e3, flop / med / 1e9, flop / best / 1e9))
                print(rows[-1], flush=True)
    rows.sort(key=lambda r: r[1])
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onednn-plain-conv.csv")
    what = (f"oneDNN plain conv2d through PyTorch {torch.__version__} (mkldnn {torch.backends.mkldnn.is_available()}), "
            f"float32, bias added, thread counts {threads_list} interleaved call by call, {WARMUP} warm-up calls, "
            f"9 or 21 timed calls per thread count")
    with open(out + ".tmp", "w") as f:
        for line in header_lines(what, load_start):
            f.write(line + "\n")
        f.write("config,threads,shape,median_ms,best_ms,gflops_median,gflops_best\n")
        for name, t, n, c, hw, k, med, best, gm, gb in rows:
            f.write(f"{name},{t},N={n} C=O={c} {hw}x{hw} K={k},{med:.3f},{best:.3f},{gm:.1f},{gb:.1f}\n")
    os.replace(out + ".tmp", out)
    print(open(out).read())


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2])
