#!/usr/bin/env python3
"""oneDNN's plain conv2d (PyTorch's CPU convolution) on the shapes of bench's standard configurations,
so that the vector path's GFLOP/s can be put beside the best convolution library on the same CPU
(issue 16). Not a build or test dependency; the CSV it writes is committed with the machine named.

    python3 bench/pytorch/onednn_plain_conv.py [THREADS...]     (default: 1 2)

Writes bench/pytorch/onednn-plain-conv.csv: per configuration and thread count, the median and the
best of the timed calls (after warm-up) and GFLOP/s of both (2 x O*C*K^2 multiply-adds per output
pixel, bias not counted). Each thread count runs in its own process, which sets it once before its
first convolution (switching torch.set_num_threads between calls in one process made oneDNN up to 2x
slower in a test on 2026-12-02), and those processes are interleaved in rounds (1 2, 1 2, 1 2), so
that a slow stretch of a shared machine hits every thread count alike, as BenchReport's JMH forks do.
The header names the machine (model name, cpu family: BenchReport compares them with the machine it
reports from) and the load average at start and end.
`acda bench` also runs `--worker THREADS` itself, one process before each round of its JMH forks, and reads the
JSON it prints (every configuration's timed calls in seconds), so that the report's oneDNN ratios divide figures of
the same minutes (bench/src/main/java/org/acdajvm/bench/OnednnRounds.java); this CSV is then the fallback and a
record of a separate run.
Needs numpy and torch (Debian: apt-get install python3-torch).
"""
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import header_lines, load_average  # noqa: E402

# Names and shapes as in bench's BenchConfig: (name, N, C=O, H=W, K).
CONFIGS = [("small", 2, 16, 32, 3),
           ("resnet-k3", 8, 64, 56, 3), ("resnet-k5", 8, 64, 56, 5), ("resnet-k7", 8, 64, 56, 7),
           ("table6-k3", 1, 256, 100, 3), ("table6-k5", 1, 256, 100, 5), ("table6-k7", 1, 256, 100, 7),
           ("k-3", 1, 64, 56, 3), ("k-5", 1, 64, 56, 5), ("k-7", 1, 64, 56, 7)]
ROUNDS = 3
WARMUP = 3


def reps(n, c, hw, k):
    return 3 if n * c * c * hw * hw * k * k > 1e9 else 7


def worker(threads):
    """One process, one thread count: the timed calls of every configuration, as JSON on stdout."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    out = {"torch": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available(), "times": {}}
    with torch.no_grad():
        for name, n, c, hw, k in CONFIGS:
            x = torch.rand(n, c, hw, hw) * 0.2 - 0.1
            w = torch.rand(c, c, k, k) * 0.2 - 0.1
            b = torch.rand(c) * 0.2 - 0.1
            for _ in range(WARMUP):
                F.conv2d(x, w, b, padding=k // 2)
            ts = []
            for _ in range(reps(n, c, hw, k)):
                t0 = time.perf_counter()
                F.conv2d(x, w, b, padding=k // 2)
                ts.append(time.perf_counter() - t0)
            out["times"][name] = ts
    print(json.dumps(out))


def main(threads_list):
    load_start = load_average()
    times = {(name, t): [] for name, *_ in CONFIGS for t in threads_list}
    info = {}
    for r in range(ROUNDS):
        for t in threads_list:
            res = json.loads(subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", str(t)],
                                            check=True, capture_output=True, text=True).stdout)
            info = res
            for name, ts in res["times"].items():
                times[(name, t)].extend(ts)
            print(f"round {r + 1}, {t} thread(s): " + ", ".join(
                f"{name} {statistics.median(ts) * 1e3:.2f} ms" for name, ts in res["times"].items()), flush=True)
    rows = []
    for t in threads_list:
        for name, n, c, hw, k in CONFIGS:
            ts = times[(name, t)]
            med, best = statistics.median(ts), min(ts)
            flop = 2.0 * n * hw * hw * c * c * k * k
            rows.append((name, t, n, c, hw, k, med * 1e3, best * 1e3, flop / med / 1e9, flop / best / 1e9))
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onednn-plain-conv.csv")
    what = (f"oneDNN plain conv2d through PyTorch {info['torch']} (mkldnn {info['mkldnn']}), float32, bias added, "
            f"each thread count of {threads_list} in its own process, the processes interleaved over {ROUNDS} rounds, "
            f"{WARMUP} warm-up calls and 3 or 7 timed calls per configuration and process")
    with open(out + ".tmp", "w") as f:
        for line in header_lines(what, load_start):
            f.write(line + "\n")
        f.write("config,threads,shape,median_ms,best_ms,gflops_median,gflops_best\n")
        for name, t, n, c, hw, k, med, best, gm, gb in rows:
            f.write(f"{name},{t},N={n} C=O={c} {hw}x{hw} K={k},{med:.3f},{best:.3f},{gm:.1f},{gb:.1f}\n")
    os.replace(out + ".tmp", out)
    print(open(out).read())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [1, 2])
