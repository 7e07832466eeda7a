"""SiLU fusion (passes/fuse_silu.py): Mul(x, Sigmoid(x)) in either order becomes one Silu;
a Sigmoid read elsewhere, or a Mul of something else, stays. The fused op gives the bits of
the unfused pair on every kernel path, and onnxruntime's values."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper

import fastinfer
from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.ir.onnx_io import to_onnx
from fastinfer.passes import fuse_silu
from passes_util import assert_same, build, feeds_for


def _silu(x: str, y: str, sigmoid_first: bool) -> list:
    s = helper.make_node("Sigmoid", [x], [f"{y}_s"])
    operands = [f"{y}_s", x] if sigmoid_first else [x, f"{y}_s"]
    return [s, helper.make_node("Mul", operands, [y])]


@pytest.mark.parametrize("sigmoid_first", [False, True])
def test_mul_of_sigmoid_fuses(rng, sigmoid_first):
    nodes = [helper.make_node("Neg", ["a"], ["x"])] + _silu("x", "y", sigmoid_first)
    g = build(nodes, {"a": [3, 5]}, ["y"], [])
    before = g.copy()
    assert fuse_silu(g) == 1
    assert [(n.op_type, n.domain) for n in g.nodes] == [("Neg", ""), ("Silu", FUSED_DOMAIN)]
    assert g.nodes[1].inputs == ["x"] and g.nodes[1].outputs == ["y"]
    assert_same(before, g, feeds_for(g, rng))


def test_sigmoid_read_elsewhere_is_not_fused():
    nodes = _silu("x", "y", False) + [helper.make_node("Neg", ["y_s"], ["z"])]
    g = build(nodes, {"x": [3, 5]}, ["y", "z"], [])
    assert fuse_silu(g) == 0


def test_mul_of_another_value_is_not_fused():
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"]),
        helper.make_node("Mul", ["w", "s"], ["y"]),  # w * sigmoid(x): a gate, not SiLU
    ]
    g = build(nodes, {"x": [3, 5], "w": [3, 5]}, ["y"], [])
    assert fuse_silu(g) == 0


def _model(sigmoid_first: bool) -> onnx.ModelProto:
    graph = helper.make_graph(
        _silu("x", "y", sigmoid_first),
        "silu",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["n", 37])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["n", 37])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("sigmoid_first", [False, True])
def test_fused_equals_unfused_and_onnxruntime(isa, rng, sigmoid_first):
    model = _model(sigmoid_first)
    x = (rng.standard_normal((6, 37)) * 30).astype(np.float32)  # reaches both tails
    x[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    fused = fastinfer.load(model, backend="native")
    unfused = fastinfer.load(model, backend="native", optimize=False)
    assert [n.op_type for n in fused.graph.nodes] == ["Silu"]
    got, plain = fused.run({"x": x})["y"], unfused.run({"x": x})["y"]
    # Bit for bit, but NaN's sign, which follows the operand order of the Mul.
    nan = np.isnan(plain)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.int32), plain[~nan].view(np.int32))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    want = sess.run(None, {"x": x[1:]})[0]  # onnxruntime's NaN and inf rules are its own
    # onnxruntime's Sigmoid is an approximation (1e-4 relative in the tails, 0 below about
    # -17); fastinfer's is within a few ulp of float64 (tests/test_vecmath.py).
    np.testing.assert_allclose(got[1:], want, rtol=1e-4, atol=1e-6)


def test_exported_model_expands_silu_to_standard_onnx():
    fused = fastinfer.load(_model(False), backend="native")
    exported = to_onnx(fused.graph)
    assert {n.domain for n in exported.graph.node} <= {"", FUSED_DOMAIN}
