"""A small transformer-like graph built only from the elementwise, movement, reduction,
Softmax and LayerNorm kernels, run natively end to end and compared with onnxruntime."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fastinfer

ort = pytest.importorskip("onnxruntime")


def build_model(rng):
    b, s, h, heads = 2, 8, 16, 4
    d = h // heads
    inits = {
        "gamma": rng.standard_normal(h).astype(np.float32),
        "beta": rng.standard_normal(h).astype(np.float32),
        "heads_shape": np.array([b, s, heads, d], np.int64),
        "back_shape": np.array([b, s, h], np.int64),
        "sqrt2": np.array(np.sqrt(2.0), np.float32),
        "one": np.array(1.0, np.float32),
        "half": np.array(0.5, np.float32),
        "neg_big": np.array(-1e4, np.float32),
        "starts": np.array([1], np.int64),
        "ends": np.array([7], np.int64),
        "axes1": np.array([1], np.int64),
        "axes2": np.array([2], np.int64),
        "axes3": np.array([3], np.int64),
        "axes_last": np.array([-1], np.int64),
        "table": rng.standard_normal((10, h)).astype(np.float32),
        "split": np.array([6, 10], np.int64),
    }
    n = helper.make_node
    nodes = [
        n("Gather", ["table", "ids"], ["emb"], axis=0),
        n("Add", ["x", "emb"], ["x1"]),
        n("LayerNormalization", ["x1", "gamma", "beta"], ["ln"], axis=-1, epsilon=1e-5),
        n("Reshape", ["ln", "heads_shape"], ["q4"]),
        n("Transpose", ["q4"], ["q"], perm=[0, 2, 1, 3]),
        n("Transpose", ["q"], ["qt"], perm=[0, 1, 3, 2]),
        n("Transpose", ["qt"], ["k"], perm=[0, 1, 3, 2]),
        n("Unsqueeze", ["q", "axes3"], ["q5"]),
        n("Unsqueeze", ["k", "axes2"], ["k5"]),
        n("Mul", ["q5", "k5"], ["qk"]),  # [b, heads, s, s, d]
        n("ReduceSum", ["qk", "axes_last"], ["scores0"], keepdims=0),  # q . k^T
        n("Cast", ["mask"], ["maskb"], to=TensorProto.BOOL),
        n("Unsqueeze", ["maskb", "axes1"], ["mask3"]),
        n("Unsqueeze", ["mask3", "axes1"], ["mask4"]),
        n("Where", ["mask4", "scores0", "neg_big"], ["scores"]),
        n("Softmax", ["scores"], ["probs"], axis=-1),
        n("Unsqueeze", ["probs", "axes_last"], ["p5"]),
        n("Mul", ["p5", "k5"], ["pv"]),
        n("ReduceSum", ["pv", "axes3"], ["attn"], keepdims=0),  # probs @ v
        n("Transpose", ["attn"], ["pt"], perm=[0, 2, 1, 3]),
        n("Reshape", ["pt", "back_shape"], ["ctx"]),
        n("Div", ["ctx", "sqrt2"], ["g0"]),  # Gelu via Erf, as exported by PyTorch
        n("Erf", ["g0"], ["g1"]),
        n("Add", ["g1", "one"], ["g2"]),
        n("Mul", ["ctx", "g2"], ["g3"]),
        n("Mul", ["g3", "half"], ["gelu"]),
        n("Slice", ["gelu", "starts", "ends", "axes1"], ["sl"]),
        n("Split", ["sl", "split"], ["sa", "sb"], axis=-1),
        n("Concat", ["sb", "sa"], ["cat"], axis=-1),
        n("ReduceMean", ["cat"], ["mean"], axes=[-1], keepdims=1),
        n("Sub", ["cat", "mean"], ["centered"]),
        n("Greater", ["centered", "half"], ["gt"]),
        n("Not", ["gt"], ["ngt"]),
        n("Cast", ["ngt"], ["ngtf"], to=TensorProto.FLOAT),
        n("Max", ["centered", "ngtf"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "block",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [b, s, h]),
            helper.make_tensor_value_info("ids", TensorProto.INT64, [b, s]),
            helper.make_tensor_value_info("mask", TensorProto.INT64, [b, s]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [b, 6, h])],
        [numpy_helper.from_array(v, k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    feeds = {
        "x": rng.standard_normal((b, s, h)).astype(np.float32),
        "ids": rng.integers(0, 10, (b, s)).astype(np.int64),
        "mask": (rng.random((b, s)) < 0.8).astype(np.int64),
    }
    return model, feeds


def test_block_matches_onnxruntime(rng):
    model, feeds = build_model(rng)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    want = sess.run(None, feeds)[0]
    m = fastinfer.load(model, backend="native", optimize=False)
    got = m.run(feeds)["out"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_block_concurrent_runs_match(rng):
    """Kernels are const at run time: concurrent runs of one plan give serial results."""
    from concurrent.futures import ThreadPoolExecutor

    model, _ = build_model(rng)
    m = fastinfer.load(model, backend="native", optimize=False)
    feeds = []
    for _ in range(16):
        _, f = build_model(rng)  # fresh random inputs of the same shapes
        feeds.append(f)
    want = [m.run(f)["out"] for f in feeds]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(lambda f: m.run(f)["out"], feeds))
            for g, w in zip(got, want):
                np.testing.assert_array_equal(g, w)
