"""Whole models: fastinfer native vs onnxruntime (ORT_ENABLE_ALL, same intra-op threads) on
the same ONNX bytes, in the same run, one pytest-benchmark group per model and batch.

    FASTINFER_BENCH_THREADS=2 PYTHONPATH=python pytest bench/test_bench_models.py

The models are the torch exports of tests/models.py (random weights, fixed seed); the
encoder is BERT-base sized (hidden 768, 12 heads, FFN 3072) with 4 layers, sequence 128.
A model the native backend cannot run fails its fastinfer benchmark with the
UnsupportedOpError naming the missing ops (nothing is skipped).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np
import pytest

from conftest import THREADS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "tests"))

import fastinfer  # noqa: E402
from models import (  # noqa: E402
    assert_close,
    bert_base_onnx,
    bert_inputs,
    cnn_inputs,
    cnn_onnx,
    mlp_inputs,
    mlp_onnx,
    ort_session,
)

# A native benchmark that fails at load (missing op) never calls the fixture; the
# resulting teardown warning, an error under filterwarnings=error, would only repeat it.
pytestmark = pytest.mark.filterwarnings("ignore:Benchmark fixture was not used")

CNN_BENCH_SIZE = 64
BERT_SEQ = 128

# name -> (ONNX bytes builder, feeds for a batch size)
BENCH_MODELS: dict[str, tuple[Callable[[], bytes], Callable[[int], dict[str, np.ndarray]]]] = {
    "mlp": (mlp_onnx, mlp_inputs),
    "cnn64": (
        lambda: cnn_onnx(0, CNN_BENCH_SIZE),
        lambda b: cnn_inputs(b, size=CNN_BENCH_SIZE),
    ),
    "bert_base_4l_s128": (bert_base_onnx, lambda b: bert_inputs(b, BERT_SEQ)),
}
CASES = [(name, batch) for name in BENCH_MODELS for batch in (1, 8)]


def _rounds(fn: Callable[[], object]) -> int:
    """Enough rounds for a stable median without letting BERT batch 8 take minutes."""
    import time

    start = time.perf_counter()
    fn()
    t = time.perf_counter() - start
    return int(min(200, max(5, 2.0 / max(t, 1e-6))))


@pytest.mark.parametrize("name,batch", CASES, ids=[f"{n}-b{b}" for n, b in CASES])
def test_fastinfer_native(benchmark, name: str, batch: int) -> None:
    build, inputs = BENCH_MODELS[name]
    data, feeds = build(), inputs(batch)
    model = fastinfer.load(data, backend="native", num_threads=THREADS)
    # Correctness first: a fast wrong answer is not a result.
    assert_close(model.run(feeds)["output"], ort_session(data, THREADS).run(None, feeds)[0])
    benchmark.group = f"{name} batch {batch} t{THREADS}"
    benchmark.extra_info.update(library="fastinfer", threads=THREADS)
    benchmark.pedantic(
        model.run, args=(feeds,), rounds=_rounds(lambda: model.run(feeds)), warmup_rounds=2
    )


@pytest.mark.parametrize("name,batch", CASES, ids=[f"{n}-b{b}" for n, b in CASES])
def test_onnxruntime(benchmark, name: str, batch: int) -> None:
    build, inputs = BENCH_MODELS[name]
    data, feeds = build(), inputs(batch)
    sess = ort_session(data, THREADS)
    benchmark.group = f"{name} batch {batch} t{THREADS}"
    benchmark.extra_info.update(library="onnxruntime", threads=THREADS)
    benchmark.pedantic(
        sess.run,
        args=(None, feeds),
        rounds=_rounds(lambda: sess.run(None, feeds)),
        warmup_rounds=2,
    )
