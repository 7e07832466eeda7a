"""fuse_attention."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import helper

from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.ir.reference import run_reference
from fastinfer.passes import fuse_attention
from passes_util import assert_same, build, const, feeds_for

B, H, S, D = 2, 3, 5, 4
SHAPES = {"q": [B, H, S, D], "k": [B, H, S, D], "v": [B, H, S, D]}


def attention_nodes(
    scale_op: str | None, mask: bool, axis: int = -1, nan_guard: float | None = None
) -> list:
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
    nodes.append(helper.make_node("Softmax", [s], ["p"], axis=axis))
    p = "p"
    if nan_guard is not None:  # torch's exporter: Where(IsNaN(p), 0, p)
        nodes += [
            helper.make_node("IsNaN", ["p"], ["p_nan"]),
            helper.make_node("Where", ["p_nan", f"fill_{nan_guard:g}", "p"], ["p_safe"]),
        ]
        p = "p_safe"
    nodes.append(helper.make_node("MatMul", [p, "v"], ["o"]))
    return nodes


CONSTS = [
    const("sqrt_d", np.float32(math.sqrt(D))),
    const("inv_sqrt_d", np.float32(1 / math.sqrt(D))),
    const("fill_0", np.float32(0.0)),
    const("fill_1", np.float32(1.0)),
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


def test_nan_guard_after_softmax_fused(rng):
    """torch's exporter writes Where(IsNaN(p), 0, p) between Softmax and the p @ v MatMul
    (GPT-2 and every model exported with SDPA): it becomes nan_probs_to_zero=1."""
    g = build(
        attention_nodes("Div", True, nan_guard=0.0), {**SHAPES, "mask": [B, 1, S, S]}, ["o"], CONSTS
    )
    before = g.copy()
    assert fuse_attention(g) == 1
    assert [n.op_type for n in g.nodes] == ["Transpose", "Attention"]
    assert g.nodes[1].attrs["nan_probs_to_zero"] == 1
    feeds = feeds_for(g, rng)
    feeds["mask"][:, :, 2, :] = -np.inf  # a fully masked row: NaN probabilities become 0
    with np.errstate(invalid="ignore"):  # ONNX's reference Softmax: -inf - -inf
        assert_same(before, g, feeds)
    assert (run_reference(g, feeds)["o"][:, :, 2] == 0).all()


def test_other_nan_fill_not_fused(rng):
    g = build(attention_nodes("Div", False, nan_guard=1.0), SHAPES, ["o"], CONSTS)
    assert fuse_attention(g) == 0
