"""MaxPool and AveragePool layers of real CNNs on each kernel path, against onnxruntime.

    PYTHONPATH=python python bench/pool_isa.py [threads]

One-node models: ResNet's stem (3x3 stride 2 pad 1 on 64 x 112 x 112), a 2x2 stride 2
downsampling pool, and the 3x3 stride 1 pad 1 AveragePool of Inception blocks, at batch 1
and 8. Per path (forced in-process): fastinfer's time, onnxruntime's (its own best path),
and fastinfer / onnxruntime (< 1: fastinfer is faster), medians of interleaved blocks.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

import fastinfer
from fastinfer import _core

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_models import interleaved_medians  # noqa: E402

LAYERS = [
    ("MaxPool", (64, 112, 112), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1] * 4}),
    ("MaxPool", (64, 56, 56), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ("AveragePool", (192, 28, 28), {"kernel_shape": [3, 3], "pads": [1] * 4}),
]


def pool_model(op: str, chw: tuple, attrs: dict) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", *chw])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", "c", "h", "w"])
    graph = helper.make_graph([helper.make_node(op, ["x"], ["y"], **attrs)], "pool", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main() -> None:
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    fastinfer.set_num_threads(threads)
    rng = np.random.default_rng(0)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    print(f"CPU paths {_core.supported_isas()}, {threads} thread(s); onnxruntime "
          f"{ort.__version__} on its own best path.\n")  # fmt: skip
    print("| path | layer | batch | fastinfer ms | onnxruntime ms | fastinfer / onnxruntime |")
    print("|---|---|---|---|---|---|")
    original = _core.active_isa()
    try:
        for isa in _core.supported_isas():
            _core._force_isa(isa)
            for op, chw, attrs in LAYERS:
                model = pool_model(op, chw, attrs)
                sess = ort.InferenceSession(model.SerializeToString(), opts,
                                            providers=["CPUExecutionProvider"])  # fmt: skip
                fi = fastinfer.load(model, backend="native")
                k, s = attrs["kernel_shape"][0], attrs.get("strides", [1])[0]
                label = f"{op} {k}x{k}/{s} {'x'.join(map(str, chw))}"
                for batch in (1, 8):
                    feeds = {"x": rng.standard_normal((batch, *chw)).astype(np.float32)}
                    want = sess.run(None, feeds)[0]
                    np.testing.assert_allclose(fi.run(feeds)["y"], want, rtol=1e-6, atol=1e-6)
                    t = interleaved_medians({
                        "fastinfer": fi.run,
                        "onnxruntime": lambda f, s=sess: s.run(None, f),
                    }, feeds, threads)  # fmt: skip
                    print(f"| {isa} | {label} | {batch} | {t['fastinfer'] * 1e3:.3f} | "
                          f"{t['onnxruntime'] * 1e3:.3f} | "
                          f"{t['fastinfer'] / t['onnxruntime']:.2f} |")  # fmt: skip
    finally:
        _core._force_isa(original)


if __name__ == "__main__":
    main()
