"""GEMM speed: fastinfer against onnxruntime and numpy, same shapes, same threads, one run.

    FASTINFER_BENCH_THREADS=1 pytest bench/test_bench_gemm.py --benchmark-group-by=group
    FASTINFER_BENCH_THREADS=2 pytest bench/test_bench_gemm.py --benchmark-group-by=group

Groups: "int8 MxKxN" (fastinfer.linear_int8 vs onnxruntime's quantize_dynamic model, both
fp32 in and out) and "fp32 MxKxN" (fastinfer.linear vs onnxruntime MatMul vs numpy).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import THREADS
from fastinfer import kernels
from onnx_models import dynamic_int8_session, fp32_session

SHAPES = [
    (1, 768, 768),
    (1, 768, 3072),
    (32, 768, 3072),
    (128, 768, 768),
    (256, 1024, 1024),
    (512, 4096, 4096),
]
IDS = [f"{m}x{k}x{n}" for m, k, n in SHAPES]


def data(m: int, k: int, n: int):
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    x = rng.standard_normal((m, k)).astype(np.float32)
    w = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float32)
    return x, w


def rounds(m: int, k: int, n: int) -> dict:
    big = m * k * n >= 1 << 32
    return {"rounds": 5 if big else 50, "iterations": 1 if big else 10, "warmup_rounds": 1}


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("impl", ["fastinfer", "onnxruntime"])
def test_int8_linear(benchmark, shape, impl):
    x, w = data(*shape)
    benchmark.group = f"int8 {'x'.join(map(str, shape))} t{THREADS}"
    if impl == "fastinfer":
        packed = kernels.pack_int8(w)
        out = benchmark.pedantic(kernels.linear_int8, args=(x, packed), **rounds(*shape))
    else:
        sess = dynamic_int8_session(w, THREADS)
        out = benchmark.pedantic(sess.run, args=(None, {"x": x}), **rounds(*shape))[0]
    ref = x @ w
    assert np.abs(out - ref).max() < 0.05 * np.abs(ref).max()


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("impl", ["fastinfer", "onnxruntime", "numpy"])
def test_fp32_linear(benchmark, shape, impl):
    x, w = data(*shape)
    benchmark.group = f"fp32 {'x'.join(map(str, shape))} t{THREADS}"
    if impl == "fastinfer":
        packed = kernels.pack(w)
        out = benchmark.pedantic(kernels.linear, args=(x, packed), **rounds(*shape))
    elif impl == "onnxruntime":
        sess = fp32_session(w, THREADS)
        out = benchmark.pedantic(sess.run, args=(None, {"x": x}), **rounds(*shape))[0]
    else:
        out = benchmark.pedantic(np.matmul, args=(x, w), **rounds(*shape))
    np.testing.assert_allclose(out, x @ w, rtol=1e-3, atol=1e-3)
