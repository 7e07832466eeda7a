"""The README's first command (``python -m fastinfer``): pack weights, run the int8 and
fp32 kernels against numpy and print speed and error; then train a small MLP, export it to
ONNX, load it with fastinfer and compare it with onnxruntime (demo_model.py)."""

from __future__ import annotations

import argparse
import time
from typing import Callable

import numpy as np

from . import kernels, runtime

SHAPES = [(1, 768, 768), (32, 768, 3072), (256, 1024, 1024)]


def best_time(fn: Callable[[], object], min_seconds: float = 0.2) -> float:
    """Best per-call time over several batches of calls (noise only adds time)."""
    fn()
    reps, elapsed = 1, 0.0
    while elapsed < 0.02:
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        elapsed = time.perf_counter() - start
        reps *= 2
    best, spent = elapsed / (reps // 2), 0.0
    while spent < min_seconds:
        start = time.perf_counter()
        for _ in range(reps):
            fn()
        run = time.perf_counter() - start
        spent += run
        best = min(best, run / reps)
    return best


def relative_error(y: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(y - ref).max() / (np.abs(ref).max() + 1e-12))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinfer", description=__doc__)
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    args = parser.parse_args(argv)
    if args.threads is not None:
        runtime.set_num_threads(args.threads)
    info = runtime.cpu_info()
    print(
        f"fastinfer on {info['brand'] or info['vendor']}: isa={info['isa']}, "
        f"threads={info['num_threads']}"
    )
    rng = np.random.default_rng(0)
    header = (
        f"{'M x K x N':>18} | {'numpy fp32':>10} | {'fi fp32':>14} | {'fi int8':>14} | int8 err"
    )
    print(header)
    print("-" * len(header))
    for m, k, n in SHAPES:
        x = rng.standard_normal((m, k)).astype(np.float32)
        w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
        bias = rng.standard_normal(n).astype(np.float32)
        packed_fp32, packed_int8 = kernels.pack(w), kernels.pack_int8(w)
        ref = x @ w + bias
        fp32_err = relative_error(kernels.linear(x, packed_fp32, bias), ref)
        int8_err = relative_error(kernels.linear_int8(x, packed_int8, bias), ref)
        if fp32_err > 1e-4:
            raise SystemExit(f"fp32 path disagrees with numpy: relative error {fp32_err:.2e}")
        t_np = best_time(lambda x=x, w=w, b=bias: x @ w + b)
        t_fp32 = best_time(lambda x=x, p=packed_fp32, b=bias: kernels.linear(x, p, b))
        t_int8 = best_time(lambda x=x, p=packed_int8, b=bias: kernels.linear_int8(x, p, b))
        print(
            f"{f'{m} x {k} x {n}':>18} | {t_np * 1e6:8.1f}us | "
            f"{t_fp32 * 1e6:8.1f}us {t_np / t_fp32:4.1f}x | "
            f"{t_int8 * 1e6:8.1f}us {t_np / t_int8:4.1f}x | {int8_err:.1e}"
        )
    print("(speedups against numpy in the same run; int8 err: max |y - y_fp32| / max |y_fp32|)")
    from .demo_model import run_model_demo

    run_model_demo()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
