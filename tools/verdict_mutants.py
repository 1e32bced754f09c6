#!/usr/bin/env python3
"""Mutated copies of a case folder, to see `acda verify` reject what it should.

    ./acda make-case --weights-format npy --with-grads --out case
    /usr/bin/python3 tools/verdict_mutants.py case mutants
    for m in mutants/*/; do ./acda verify "$m" >/dev/null 2>&1; echo "$? $m"; done

Each sub-folder of OUT is a copy of CASE with one thing changed, as a buggy or reduced-precision
kernel would have produced it: the output recomputed in float32 PyTorch with a precision shortcut
(needs torch; skipped without it), or the output or a gradient changed with NumPy. The untouched
copy `correct-float32-torch` holds PyTorch's own float32 output and must be ACCEPTED (exit 0);
every other one must not (exit 1). Needs numpy (Debian: python3-numpy, python3-torch).
"""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "pytorch"))


def bf16(a):
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return b.astype(np.uint32).view(np.float32)


def tf32(a):
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = (b + 0xFFF + ((b >> 13) & 1)) & 0xFFFFE000
    return b.astype(np.uint32).view(np.float32)


def copy(case, out, name):
    d = os.path.join(out, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(case, d)
    return d


def main(case, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(case, "case.json")) as f:
        desc = json.load(f)
    grads = os.path.join(case, desc["gradients"]) if "gradients" in desc else None
    y = np.load(os.path.join(case, desc["expected"]))
    made = []

    def with_y(name, values):
        d = copy(case, out, name)
        np.save(os.path.join(d, desc["expected"]), values.astype(np.float32))
        made.append(name)

    def with_grad(name, key, fn):
        d = copy(case, out, name)
        path = os.path.join(d, desc["gradients"], key + ".npy")
        np.save(path, fn(np.load(path)).astype(np.float32))
        made.append(name)

    try:
        import torch
        import acda_torch
        _, state64, x64 = acda_torch.load_case(case)
        args = (desc["stride"], desc["dilation"], desc["padding"], desc["atoms"])

        def torch_y(state_fn=lambda s: s, x_fn=lambda x: x, eps=1e-5):
            state = {k: torch.from_numpy(state_fn(k, v.numpy().astype(np.float32))) for k, v in state64.items()}
            x = torch.from_numpy(x_fn(x64.numpy().astype(np.float32)))
            old = acda_torch.bn_tanh
            acda_torch.bn_tanh = lambda v, s, p: torch.tanh(torch.nn.functional.batch_norm(
                v, s[p + "running_mean"], s[p + "running_var"], s[p + "weight"], s[p + "bias"], False, 0.0, eps))
            try:
                with torch.no_grad():
                    return acda_torch.acda_forward(state, x, *args).numpy()
            finally:
                acda_torch.bn_tanh = old

        with_y("correct-float32-torch", torch_y(state_fn=lambda k, v: v))
        with_y("input-bfloat16", torch_y(state_fn=lambda k, v: v, x_fn=bf16))
        with_y("coef-bfloat16", torch_y(state_fn=lambda k, v: bf16(v) if k == "coef" else v))
        with_y("tf32-weights-and-input", torch_y(state_fn=lambda k, v: tf32(v) if "weight" in k or k == "coef" else v,
                                                 x_fn=tf32))
        with_y("batchnorm-eps-1e-3", torch_y(state_fn=lambda k, v: v, eps=1e-3))
    except ImportError as e:
        print(f"note: {e}: the PyTorch mutants are skipped", file=sys.stderr)

    with_y("output-bfloat16", bf16(y))
    bad = y.copy()
    bad.flat[bad.size // 2] += 1e-3 * np.abs(y).max()
    with_y("one-element-off-1e-3", bad)
    if grads:
        with_grad("dx-zero", "x", np.zeros_like)
        with_grad("dx-negated", "x", lambda g: -g)
        with_grad("dx-times-3", "x", lambda g: 3 * g)
        with_grad("dx-shifted-one-pixel", "x", lambda g: np.roll(g, 1, axis=3))
        with_grad("coef-grad-zero", "coef", np.zeros_like)
        with_grad("conv1-weight-grad-zero", "bases_net.0.weight", np.zeros_like)
        d = copy(case, out, "dx-missing")
        os.remove(os.path.join(d, desc["gradients"], "x.npy"))
        made.append("dx-missing")
    print("\n".join(made))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
