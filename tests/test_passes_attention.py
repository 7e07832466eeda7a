"""fuse_attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import TensorProto, helper

from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.ir.reference import run_reference
from fastinfer.passes import fuse_attention
from passes_util import assert_same, build, const, feeds_for

B, H, S, D = 2, 3, 5, 4
SHAPES = {"q": [B, H, S, D], "k": [B, H, S, D], "v": [B, H, S, D]}


def attention_nodes(scale_op: str | None, mask: bool, axis: int = -1) -> list:
    nodes = [
        helper.make_node("Transpose", ["k"], ["k_t"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "k_t"], ["s0"]),
    ]
    s = "s0"
    if scale_op == "Div":
        nodes.append(helper.make_node("Div", [s, "sqrt_d"], ["s1"]))
        s = "s1"
    elif scale_op == "Mul":
        nodes.append(helper.make_node("Mul", ["inv_sqrt_d", s], ["s1"]))
        s = "s1"
    if mask:
        nodes.append(helper.make_node("Add", [s, "mask"], ["s2"]))
        s = "s2"
    nodes += [
        helper.make_node("Softmax", [s], ["p"], axis=axis),
        helper.make_node("MatMul", ["p", "v"], ["o"]),
    ]
    return nodes


CONSTS = [
    const("sqrt_d", np.float32(math.sqrt(D))),
    const("inv_sqrt_d", np.float32(1 / math.sqrt(D))),
]


@pytest.mark.parametrize("scale_op", [None, "Div", "Mul"])
@pytest.mark.parametrize("mask", [False, True])
def test_attention_fused(rng, scale_op, mask):
    shapes = {**SHAPES, "mask": [B, 1, 1, S]} if mask else SHAPES
    g = build(attention_nodes(scale_op, mask), shapes, ["o"], CONSTS)
    before = g.copy()
    assert fuse_attention(g) == 1
    assert [n.op_type for n in g.nodes] == ["Transpose", "Attention"]
    node = g.nodes[1]
    assert node.domain == FUSED_DOMAIN
    assert node.inputs == ["q", "k_t", "v", "mask" if mask else ""]
    assert node.attrs["scale"] == pytest.approx(1.0 if scale_op is None else 1 / math.sqrt(D))
    assert_same(before, g, feeds_for(g, rng))


def test_softmax_other_axis_not_fused(rng):
    g = build(attention_nodes("Div", False, axis=2), SHAPES, ["o"], CONSTS)
    assert fuse_attention(g) == 0


def test_scores_read_elsewhere_not_fused(rng):
    nodes = attention_nodes("Div", False) + [helper.make_node("Neg", ["s1"], ["z"])]
    g = build(nodes, SHAPES, ["o", "z"], CONSTS)
    assert fuse_attention(g) == 0


def test_non_constant_scale_not_fused(rng):
    nodes = attention_nodes("Div", False)
    g = build(nodes, {**SHAPES, "sqrt_d": []}, ["o"], CONSTS[1:])
    assert fuse_attention(g) == 0


def sdpa_nodes(guard_value: float = 0.0) -> list:
    """torch's exported scaled_dot_product_attention (torch 2.x, both exporters): the scale
    split as sqrt(scale) on Q and on K^T, a boolean mask turned into 0 / -inf by Where, and
    NaN probabilities (rows masked out entirely) replaced by zeros."""
    return [
        helper.make_node("Transpose", ["k"], ["k_t0"], perm=[0, 1, 3, 2]),
        helper.make_node("Mul", ["q", "root_scale"], ["q1"]),
        helper.make_node("Mul", ["root_scale", "k_t0"], ["k_t"]),
        helper.make_node("MatMul", ["q1", "k_t"], ["s0"]),
        helper.make_node("Where", ["keep", "zero", "minus_inf"], ["bias"]),
        helper.make_node("Add", ["s0", "bias"], ["s1"]),
        helper.make_node("Softmax", ["s1"], ["p0"], axis=-1),
        helper.make_node("IsNaN", ["p0"], ["nan"]),
        helper.make_node("Where", ["nan", "guard", "p0"], ["p"]),
        helper.make_node("MatMul", ["p", "v"], ["o"]),
    ]


SDPA_CONSTS = [
    const("root_scale", np.float32(D**-0.25)),
    const("zero", np.float32(0.0)),
    const("minus_inf", np.float32(-np.inf)),
]


def sdpa_feeds(rng) -> dict[str, np.ndarray]:
    feeds = {n: rng.standard_normal(SHAPES[n]).astype(np.float32) for n in SHAPES}
    keep = np.tril(np.ones((S, S), dtype=bool))[None, None].repeat(B, axis=0)
    keep[1, :, 2, :] = False  # one query row sees no key at all: its softmax is NaN
    return {**feeds, "keep": keep}


def test_torch_sdpa_pattern_fused(rng):
    nodes = sdpa_nodes()
    shapes = {**SHAPES, "keep": [B, 1, S, S]}
    consts = SDPA_CONSTS + [const("guard", np.float32(0.0))]
    g = build(nodes, shapes, ["o"], consts, input_types={"keep": TensorProto.BOOL})
    before = g.copy()
    assert fuse_attention(g) == 1
    fused = next(n for n in g.nodes if n.op_type == "Attention")
    assert fused.inputs == ["q", "k_t0", "v", "bias"]
    assert fused.attrs["scale"] == pytest.approx(D**-0.5)
    assert fused.attrs["nan_to_zero"] == 1
    assert [n.op_type for n in g.nodes] == ["Transpose", "Where", "Attention"]
    feeds = sdpa_feeds(rng)
    with np.errstate(invalid="ignore"):  # the unfused Softmax of the masked row: NaN
        assert_same(before, g, feeds)
        out = run_reference(g, feeds)["o"]
    assert np.all(out[1, :, 2] == 0) and np.isfinite(out).all()


def test_nan_guard_with_other_fill_not_absorbed(rng):
    consts = SDPA_CONSTS + [const("guard", np.float32(0.5))]
    g = build(sdpa_nodes(), {**SHAPES, "keep": [B, 1, S, S]}, ["o"], consts,
              input_types={"keep": TensorProto.BOOL})  # fmt: skip
    assert fuse_attention(g) == 0
