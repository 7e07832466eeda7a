"""fuse_conv: BatchNormalization and zero-Pad folding, Conv + Relu/Relu6 and
Conv + Add(residual) + Relu/Relu6."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.passes import fuse_conv
from passes_util import assert_same, build, const, feeds_for

CIN, COUT = 3, 4


def conv_bn_consts(rng, with_bias: bool = True):
    consts = [
        const("W", rng.standard_normal((COUT, CIN, 3, 3))),
        const("scale", rng.uniform(0.5, 1.5, COUT)),
        const("bn_b", rng.standard_normal(COUT)),
        const("mean", rng.standard_normal(COUT)),
        const("var", rng.uniform(0.5, 2.0, COUT)),
    ]
    return consts + [const("cb", rng.standard_normal(COUT))] if with_bias else consts


def conv_bn_relu(with_bias: bool = True, relu: bool = True) -> list:
    conv_in = ["x", "W", "cb"] if with_bias else ["x", "W"]
    nodes = [
        helper.make_node("Conv", conv_in, ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node(
            "BatchNormalization", ["c", "scale", "bn_b", "mean", "var"], ["n"], epsilon=1e-3
        ),
    ]
    if relu:
        nodes.append(helper.make_node("Relu", ["n"], ["y"]))
    return nodes


def test_conv_bn_relu(rng):
    g = build(conv_bn_relu(), {"x": [2, CIN, 6, 6]}, ["y"], conv_bn_consts(rng))
    before = g.copy()
    assert fuse_conv(g) == 2
    (node,) = g.nodes
    assert (node.op_type, node.domain) == ("FusedConv", FUSED_DOMAIN)
    assert node.attrs["activation"] == "relu" and node.attrs["pads"] == [1, 1, 1, 1]
    # Folding rounds W * scale / sqrt(var + eps) once to float32: about 1 ulp per product.
    assert_same(before, g, feeds_for(g, rng), rtol=1e-5, atol=1e-5)


def test_conv_without_bias_bn(rng):
    g = build(
        conv_bn_relu(with_bias=False, relu=False),
        {"x": [1, CIN, 5, 5]},
        ["n"],
        conv_bn_consts(rng, False),
    )
    before = g.copy()
    assert fuse_conv(g) == 1
    (node,) = g.nodes
    assert node.op_type == "Conv" and len(node.inputs) == 3
    assert_same(before, g, feeds_for(g, rng), rtol=1e-5, atol=1e-5)


def test_bn_non_constant_mean_not_folded(rng):
    consts = [c for c in conv_bn_consts(rng) if c.name != "mean"]
    g = build(conv_bn_relu(relu=False), {"x": [1, CIN, 5, 5], "mean": [COUT]}, ["n"], consts)
    assert fuse_conv(g) == 0


def test_conv_relu_conv_output_is_graph_output_not_fused(rng):
    nodes = [
        helper.make_node("Conv", ["x", "W", "cb"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    g = build(nodes, {"x": [1, CIN, 5, 5]}, ["y", "c"], conv_bn_consts(rng))
    assert fuse_conv(g) == 0


def test_conv_relu_fused(rng):
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], strides=[2, 2], group=1),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    g = build(nodes, {"x": [1, CIN, 7, 7]}, ["y"], conv_bn_consts(rng))
    before = g.copy()
    assert fuse_conv(g) == 1
    assert g.nodes[0].inputs == ["x", "W"]
    assert_same(before, g, feeds_for(g, rng))


def test_conv_bn_add_relu_residual(rng):
    nodes = conv_bn_relu(relu=False) + [
        helper.make_node("Add", ["r", "n"], ["s"]),
        helper.make_node("Relu", ["s"], ["y"]),
    ]
    g = build(nodes, {"x": [2, CIN, 6, 6], "r": [2, COUT, 6, 6]}, ["y"], conv_bn_consts(rng))
    before = g.copy()
    assert fuse_conv(g) == 2  # BN folded, then Conv + Add + Relu
    (node,) = g.nodes
    assert (node.op_type, node.domain) == ("FusedConv", FUSED_DOMAIN)
    assert node.inputs[3] == "r" and node.attrs["activation"] == "relu"
    assert_same(before, g, feeds_for(g, rng), rtol=1e-5, atol=1e-5)


def test_residual_needs_same_shape(rng):
    # r broadcasts over the Conv output: not fused (the kernel adds element by element).
    nodes = conv_bn_relu(relu=False) + [helper.make_node("Add", ["n", "r"], ["y"])]
    g = build(nodes, {"x": [2, CIN, 6, 6], "r": [1, COUT, 1, 1]}, ["y"], conv_bn_consts(rng))
    assert fuse_conv(g) == 1
    assert [n.op_type for n in g.nodes] == ["Conv", "Add"]


def pad_conv(pads, value=None, mode="constant", conv_attrs=None, opset=17):
    """Pad(x) -> Conv, with the Pad's amounts as an input (opset 11+) or an attribute."""
    if opset >= 11:
        pad_in = ["x", "pads"] + (["value"] if value is not None else [])
        pad = helper.make_node("Pad", pad_in, ["p"], mode=mode)
    else:
        pad = helper.make_node("Pad", ["x"], ["p"], mode=mode, pads=pads, value=value or 0.0)
    conv = helper.make_node("Conv", ["p", "W"], ["y"], **(conv_attrs or {}))
    return [pad, conv]


def pad_consts(rng, pads, value=None):
    consts = [const("W", rng.standard_normal((COUT, CIN, 3, 3))), const("pads", np.array(pads))]
    return consts + ([const("value", np.float32(value))] if value is not None else [])


@pytest.mark.parametrize(
    ("pads", "conv_attrs", "want_pads"),
    [
        ([0, 0, 0, 0, 0, 0, 1, 1], {"strides": [2, 2]}, [0, 0, 1, 1]),  # TF "same", stride 2
        ([0, 0, 1, 1, 0, 0, 1, 1], {}, [1, 1, 1, 1]),
        ([0, 0, 1, 2, 0, 0, 0, 1], {"pads": [1, 0, 0, 1]}, [2, 2, 0, 2]),  # added to its own
        ([0, 0, 0, 0, 0, 0, 1, 1], {"auto_pad": "VALID"}, [0, 0, 1, 1]),  # EfficientNet
        ([0, 0, 0, 0, 0, 0, 0, 0], {}, [0, 0, 0, 0]),  # a Pad of nothing
    ],
)
def test_zero_pad_folded_into_conv(rng, pads, conv_attrs, want_pads):
    g = build(pad_conv(pads, conv_attrs=conv_attrs), {"x": [1, CIN, 7, 8]}, ["y"],
              pad_consts(rng, pads))  # fmt: skip
    before = g.copy()
    assert fuse_conv(g) == 1
    (node,) = g.nodes
    assert node.op_type == "Conv" and node.inputs[0] == "x"
    assert node.attrs["pads"] == want_pads and "auto_pad" not in node.attrs
    assert_same(before, g, feeds_for(g, rng))


def test_zero_pad_attribute_form_folded(rng):
    pads = [0, 0, 1, 0, 0, 0, 0, 2]
    nodes = pad_conv(pads, opset=10)
    g = build(nodes, {"x": [1, CIN, 6, 6]}, ["y"], pad_consts(rng, pads)[:1], opset=10)
    before = g.copy()
    assert fuse_conv(g) == 1
    assert g.nodes[0].attrs["pads"] == [1, 0, 0, 2]
    assert_same(before, g, feeds_for(g, rng))


@pytest.mark.parametrize(
    ("pads", "value", "mode", "conv_attrs"),
    [
        ([0, 0, 1, 1, 0, 0, 1, 1], 1.5, "constant", {}),  # not zeros
        ([0, 0, 1, 1, 0, 0, 1, 1], None, "reflect", {}),
        ([0, 1, 0, 0, 0, 0, 0, 0], None, "constant", {}),  # a channel of zeros
        ([0, 0, 2, 2, 0, 0, -1, -1], None, "constant", {}),  # crops
        ([0, 0, 1, 1, 0, 0, 1, 1], None, "constant", {"auto_pad": "SAME_UPPER"}),
    ],
)
def test_pad_not_folded(rng, pads, value, mode, conv_attrs):
    w_in = CIN + 1 if pads[1] else CIN
    consts = pad_consts(rng, pads, value)
    if w_in != CIN:
        consts[0] = const("W", rng.standard_normal((COUT, w_in, 3, 3)))
    g = build(pad_conv(pads, value, mode, conv_attrs), {"x": [1, CIN, 7, 7]}, ["y"], consts)
    assert fuse_conv(g) == 0


def test_pad_with_another_reader_not_folded(rng):
    pads = [0, 0, 1, 1, 0, 0, 1, 1]
    nodes = pad_conv(pads) + [helper.make_node("Relu", ["p"], ["q"])]
    g = build(nodes, {"x": [1, CIN, 6, 6]}, ["y", "q"], pad_consts(rng, pads))
    assert fuse_conv(g) == 0


@pytest.mark.parametrize("opset", [17, 10])
def test_conv_clip_0_6_fused_as_relu6(rng, opset):
    if opset >= 11:
        clip = helper.make_node("Clip", ["c", "lo", "hi"], ["y"])
        consts = [const("lo", np.float32(0.0)), const("hi", np.float32(6.0))]
    else:
        clip = helper.make_node("Clip", ["c"], ["y"], min=0.0, max=6.0)
        consts = []
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]), clip]
    g = build(nodes, {"x": [1, CIN, 6, 6]}, ["y"], conv_bn_consts(rng)[:1] + consts, opset=opset)
    before = g.copy()
    assert fuse_conv(g) == 1
    (node,) = g.nodes
    assert node.op_type == "FusedConv" and node.attrs["activation"] == "relu6"
    feeds = {"x": 3 * rng.standard_normal((1, CIN, 6, 6)).astype(np.float32)}  # past 6
    assert_same(before, g, feeds)


@pytest.mark.parametrize(("lo", "hi"), [(0.0, 5.0), (-1.0, 6.0)])
def test_other_clips_not_fused(rng, lo, hi):
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"]),
        helper.make_node("Clip", ["c", "lo", "hi"], ["y"]),
    ]
    consts = conv_bn_consts(rng)[:1] + [const("lo", np.float32(lo)), const("hi", np.float32(hi))]
    g = build(nodes, {"x": [1, CIN, 6, 6]}, ["y"], consts)
    assert fuse_conv(g) == 0


def test_residual_then_relu6(rng):
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c", "r"], ["s"]),
        helper.make_node("Clip", ["s", "lo", "hi"], ["y"]),
    ]
    consts = conv_bn_consts(rng)[:1] + [const("lo", np.float32(0.0)), const("hi", np.float32(6.0))]
    g = build(nodes, {"x": [1, CIN, 6, 6], "r": [1, COUT, 6, 6]}, ["y"], consts)
    before = g.copy()
    assert fuse_conv(g) == 1
    (node,) = g.nodes
    assert node.attrs["activation"] == "relu6" and node.inputs[3] == "r"
    assert_same(before, g, feeds_for(g, rng))
