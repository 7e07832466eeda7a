"""refresh_shapes: shapes that ONNX inference lost behind exporter shape arithmetic come
back once folding has made that arithmetic constant, and the fusions that compare shapes
then match."""

from __future__ import annotations

import numpy as np
from onnx import helper

from fastinfer.passes import optimize, refresh_shapes
from passes_util import assert_same, build, const

C, HW = 4, 6


def _same_pad_conv_residual() -> list:
    """TF-style "same" padding as Hugging Face's MobileNetV2 exports it: the pads go through
    Reshape -> Transpose -> Reshape, which ONNX's data propagation does not follow, so the
    Pad's output (and everything after it) has unknown dims until the pads are folded."""
    return [
        helper.make_node("Reshape", ["pads_raw", "shape_4x2"], ["pads_4x2"]),
        helper.make_node("Transpose", ["pads_4x2"], ["pads_2x4"], perm=[1, 0]),
        helper.make_node("Reshape", ["pads_2x4", "shape_8"], ["pads"]),
        helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
        helper.make_node("Conv", ["p", "W", "b"], ["c"]),
        helper.make_node("Add", ["c", "x"], ["y"]),
    ]


def _consts(rng) -> list:
    # Per axis (begin, end) pairs, as TF lists them: H and W padded by 1 on each side.
    return [
        const("pads_raw", np.array([0, 0, 0, 0, 1, 1, 1, 1])),
        const("shape_4x2", np.array([4, 2])),
        const("shape_8", np.array([8])),
        const("W", rng.standard_normal((C, C, 3, 3)) * 0.3),
        const("b", rng.standard_normal(C)),
    ]


def _model(rng, batch):
    return build(_same_pad_conv_residual(), {"x": [batch, C, HW, HW]}, ["y"], _consts(rng))


def test_loader_shapes_are_unknown_after_the_pad(rng):
    # The premise: without the refresh, the conv output's dims are made-up symbols.
    g = _model(rng, "batch")
    shape = g.value("c").shape
    assert shape is not None and len(shape) == 4
    assert shape[1] == C  # from the weights
    assert all(str(d).startswith("unk__") for d in (shape[0], shape[2], shape[3])), shape


def test_residual_fuses_once_shapes_are_refreshed(rng):
    g = _model(rng, "batch")
    before = g.copy()
    totals = optimize(g)
    assert totals["refresh_shapes"] >= 1
    ops = [n.op_type for n in g.nodes]
    assert ops == ["FusedConv"], ops
    (node,) = g.nodes
    assert node.inputs[3] == "x"  # the residual
    assert g.value("y").shape == ("batch", C, HW, HW)
    feeds = {"x": rng.standard_normal((3, C, HW, HW)).astype(np.float32)}
    assert_same(before, g, feeds, rtol=1e-5, atol=1e-5)


def test_without_refresh_the_residual_stays_an_add(rng):
    # The basic level has no refresh: the Add's operands cannot be proven equal in shape.
    g = _model(rng, "batch")
    optimize(g, "basic")
    assert "Add" in [n.op_type for n in g.nodes]


def test_known_shapes_skip_inference(rng):
    g = _model(rng, 2)
    optimize(g, "basic")  # folds the pads; the shapes are still unknown after the Pad
    g2 = g.copy()
    assert refresh_shapes(g2) >= 1
    assert g2.value("c").shape == (2, C, HW, HW)
    assert refresh_shapes(g2) == 0  # every shape is known now: nothing to do


def test_fresh_unknown_symbols_never_equal_earlier_ones(rng):
    # NonZero's count is data-dependent: inference names it unk__N on every call. Two
    # unrelated values must not share a symbol, or a shape comparison would call them equal.
    nodes = [
        helper.make_node("NonZero", ["x"], ["nz"]),
        helper.make_node("Transpose", ["nz"], ["nzt"], perm=[1, 0]),
    ]
    g = build(nodes, {"x": [3, 5]}, ["nzt"], [])
    loader_dim = g.value("nzt").shape[0]
    del g.values["nzt"]  # forgotten: the refresh infers it again
    g.values["nzt"] = type(g.value("nz"))("nzt", np.dtype(np.int64), None)
    assert refresh_shapes(g) == 1
    first = g.value("nzt").shape
    assert first[1] == 2 and isinstance(first[0], str) and first[0] != loader_dim
    g.values["nzt"] = type(g.value("nz"))("nzt", np.dtype(np.int64), None)
    assert refresh_shapes(g) == 1
    second = g.value("nzt").shape
    assert second[0] != first[0]
