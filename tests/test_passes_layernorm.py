"""fuse_layernorm."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.passes import fuse_layernorm
from passes_util import assert_same, build, const, feeds_for

C = 16


def layernorm_nodes(x: str, y: str, opset: int, prefix: str = "ln", axis: int = -1) -> list:
    """The subgraph torch.onnx.export writes for nn.LayerNorm without LayerNormalization."""
    p = prefix

    def mean(i, o):
        if opset >= 18:  # axes became an input
            return helper.make_node("ReduceMean", [i, f"{p}_axes"], [o])
        return helper.make_node("ReduceMean", [i], [o], axes=[axis])

    return [
        mean(x, f"{p}_mean"),
        helper.make_node("Sub", [x, f"{p}_mean"], [f"{p}_d"]),
        helper.make_node("Pow", [f"{p}_d", f"{p}_two"], [f"{p}_p"]),
        mean(f"{p}_p", f"{p}_var"),
        helper.make_node("Add", [f"{p}_var", f"{p}_eps"], [f"{p}_ve"]),
        helper.make_node("Sqrt", [f"{p}_ve"], [f"{p}_std"]),
        helper.make_node("Div", [f"{p}_d", f"{p}_std"], [f"{p}_n"]),
        helper.make_node("Mul", [f"{p}_n", f"{p}_gamma"], [f"{p}_m"]),
        helper.make_node("Add", [f"{p}_m", f"{p}_beta"], [y]),
    ]


def layernorm_consts(rng, prefix: str = "ln", axis: int = -1, two: float = 2.0, c: int = C):
    p = prefix
    return [
        const(f"{p}_axes", np.array([axis], np.int64)),
        const(f"{p}_two", np.float32(two)),
        const(f"{p}_eps", np.float32(1e-12)),
        const(f"{p}_gamma", rng.standard_normal(c)),
        const(f"{p}_beta", rng.standard_normal(c)),
    ]


@pytest.mark.parametrize("opset", [13, 17, 18])
def test_layernorm_fused(rng, opset):
    g = build(
        layernorm_nodes("x", "y", opset), {"x": [2, 5, C]}, ["y"], layernorm_consts(rng), opset
    )
    before = g.copy()
    assert fuse_layernorm(g) == 1
    (node,) = g.nodes
    assert node.op_type == "LayerNormalization"
    assert node.domain == ("" if opset >= 17 else FUSED_DOMAIN)
    assert node.attrs["axis"] == -1
    assert node.attrs["epsilon"] == pytest.approx(1e-12)
    assert_same(before, g, feeds_for(g, rng))


def test_layernorm_axis_as_rank_minus_one(rng):
    g = build(
        layernorm_nodes("x", "y", 13, axis=2), {"x": [2, 5, C]}, ["y"], layernorm_consts(rng), 13
    )
    assert fuse_layernorm(g) == 1


def test_layernorm_other_axis_not_fused(rng):
    # Mean over axis 1 is a different normalisation.
    consts = layernorm_consts(rng, axis=1, c=5)
    nodes = layernorm_nodes("x", "y", 18, axis=1)
    g = build(nodes, {"x": [2, 5, 5]}, ["y"], consts, 18)
    assert fuse_layernorm(g) == 0


def test_layernorm_pow_3_not_fused(rng):
    g = build(layernorm_nodes("x", "y", 17), {"x": [2, C]}, ["y"], layernorm_consts(rng, two=3.0))
    assert fuse_layernorm(g) == 0


def test_layernorm_intermediate_read_elsewhere_not_fused(rng):
    nodes = layernorm_nodes("x", "y", 17) + [helper.make_node("Neg", ["ln_std"], ["z"])]
    g = build(nodes, {"x": [2, C]}, ["y", "z"], layernorm_consts(rng))
    assert fuse_layernorm(g) == 0


def test_layernorm_non_constant_gamma_not_fused(rng):
    consts = [c for c in layernorm_consts(rng) if c.name != "ln_gamma"]
    g = build(layernorm_nodes("x", "y", 17), {"x": [2, C], "ln_gamma": [C]}, ["y"], consts)
    assert fuse_layernorm(g) == 0
