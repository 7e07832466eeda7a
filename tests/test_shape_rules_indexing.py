"""The shape rules of shape_rules/indexing.py. On the ONNX node cases of their ops, with
every graph-input dim symbolic, each rule must give the dtype and the shape (its
expressions evaluated on the case's dims) of the expected outputs; the cases are those of
tests/conformance_cases.py, shape inputs (k, pads, depth, ...) as initializers. A model
with a dynamic batch then runs through one shape class."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import conformance_cases as cc
import fastinfer
from fastinfer.compile.shape_engine import analyze
from fastinfer.compile.symbolic import hint
from fastinfer.ir.onnx_io import from_onnx

OPS = {
    "ArgMax", "ArgMin", "Hardmax", "CumSum", "CumProd", "GatherElements", "GatherND",
    "ScatterElements", "ScatterND", "OneHot", "TopK", "Trilu", "Pad", "CenterCropPad",
    "DepthToSpace", "SpaceToDepth", "ReverseSequence", "EyeLike", "HannWindow",
    "HammingWindow", "BlackmanWindow", "InstanceNormalization", "GroupNormalization",
    "LpNormalization", "MeanVarianceNormalization", "LRN", "RMSNormalization",
}  # fmt: skip

CASES = [
    c
    for c in cc.collect().cases
    if c.op in OPS and not c.filtered and not c.name.endswith("_expanded")
]


def test_every_op_has_cases():
    assert {c.op for c in CASES} == OPS


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule_matches_case(case):
    model, feeds, expected = cc.prepare(case)
    graph = from_onnx(model)
    for v in graph.inputs:
        v.shape = None  # every dim a symbol
    analysis = analyze(graph, {k: v.shape for k, v in feeds.items()})
    for name, want in expected.items():
        info = analysis.info(name)
        assert info.dtype == want.dtype, name
        assert tuple(hint(d) for d in info.shape) == want.shape, name


def test_one_shape_class_serves_every_batch():
    """A dynamic batch through TopK (k = the batch, a value computed from the shape),
    CumSum, Pad, ArgMax, GatherElements and ReduceL2: one compiled shape class, equal to
    onnxruntime at every batch size."""
    const = {
        "zero": 0, "zero1": [0], "one": 1, "one1": [1], "pads": [0, 2, 1, 3],
    }  # fmt: skip
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "zero1"], ["k"]),
        helper.make_node("TopK", ["x", "k"], ["values", "indices"], axis=0),
        helper.make_node("CumSum", ["values", "one"], ["sums"]),
        helper.make_node("Pad", ["sums", "pads"], ["padded"], mode="reflect"),
        helper.make_node("ArgMax", ["padded"], ["best"], axis=1),
        helper.make_node("GatherElements", ["padded", "best"], ["picked"], axis=1),
        helper.make_node("ReduceL2", ["picked", "one1"], ["out"], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["b", 6])],
        [
            helper.make_tensor_value_info("out", TensorProto.FLOAT, ["b"]),
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["b", 6]),
        ],
        initializer=[numpy_helper.from_array(np.array(v, np.int64), k) for k, v in const.items()],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model = fastinfer.load(proto, backend="native")
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for batch in [3, 5, 2, 8, 5]:  # onnxruntime refuses reflect padding of a 1-long axis
        x = rng.standard_normal((batch, 6)).astype(np.float32)
        got, want = model.run({"x": x}), sess.run(None, {"x": x})
        np.testing.assert_allclose(got["out"], want[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(got["indices"], want[1])
    memory = model.memory()
    assert len(memory["shape_classes"]) == 1 and not memory["per_shape_plans"]
