"""fuse_conv: BatchNormalization folding and Conv + Relu."""

from __future__ import annotations

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
