#!/usr/bin/env python3
"""oneDNN's plain conv2d (PyTorch's CPU convolution) on the shapes of bench's standard configurations,
so that the vector path's GFLOP/s can be put beside the best convolution library on the same CPU
(issue 16). Not a build or test dependency; the CSV it writes is committed with the machine named.

    python3 bench/pytorch/onednn_plain_conv.py [THREADS...]     (default: 1 2)

Writes bench/pytorch/onednn-plain-conv.csv: per configuration and thread count, the median and the
best of several timed calls (after warm-up) and GFLOP/s of the best (2 x O*C*K^2 multiply-adds per
output pixel, bias not counted). Needs numpy and torch (Debian: apt-get install python3-torch).
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# Names and shapes as in bench's BenchConfig: (name, N, C=O, H=W, K).
CONFIGS = [("resnet-k3", 8, 64, 56, 3), ("resnet-k5", 8, 64, 56, 5), ("resnet-k7", 8, 64, 56, 7),
           ("table6-k3", 1, 256, 100, 3), ("table6-k5", 1, 256, 100, 5), ("table6-k7", 1, 256, 100, 7)]


def main(threads_list):
    torch.manual_seed(1)
    rows = []
    for threads in threads_list:
        torch.set_num_threads(threads)
        for name, n, c, hw, k in CONFIGS:
            x = torch.rand(n, c, hw, hw) * 0.2 - 0.1
            w = torch.rand(c, c, k, k) * 0.2 - 0.1
            b = torch.rand(c) * 0.2 - 0.1
            times = []
            with torch.no_grad():
                for _ in range(3):
                    F.conv2d(x, w, b, padding=k // 2)
                for _ in range(9):
                    t0 = time.perf_counter()
                    F.conv2d(x, w, b, padding=k // 2)
                    times.append(time.perf_counter() - t0)
            best = min(times)
            gflops = 2.0 * n * hw * hw * c * c * k * k / best / 1e9
            rows.append((name, threads, n, c, hw, k, statistics.median(times) * 1e3, best * 1e3, gflops))
            print(rows[-1], flush=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onednn-plain-conv.csv")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
    with open(out + ".tmp", "w") as f:
        f.write(f"# oneDNN plain conv2d through PyTorch {torch.__version__} (mkldnn {torch.backends.mkldnn.is_available()}), "
                f"float32, 9 timed calls after 3 warm-up calls, on {cpu} (cpu family {fam}), {os.cpu_count()} cores, "
                f"a VM shared with other builds, {time.strftime('%Y-%m-%d')}\n")
        f.write("config,threads,shape,median_ms,best_ms,gflops_best\n")
        for name, t, n, c, hw, k, med, best, g in rows:
            f.write(f"{name},{t},N={n} C=O={c} {hw}x{hw} K={k},{med:.3f},{best:.3f},{g:.1f}\n")
    os.replace(out + ".tmp", out)
    print(open(out).read())


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2])
