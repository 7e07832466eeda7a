"""The kernel half of the demo: pack weights, run the int8 and fp32 kernels against numpy
and print speed and error."""

from __future__ import annotations

import numpy as np

from .. import kernels
from .timing import best_time, relative_error

SHAPES = [(1, 768, 768), (32, 768, 3072), (256, 1024, 1024)]


def run_kernels_demo() -> None:
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
