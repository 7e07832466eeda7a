"""fuse_linear (MatMul/Gemm + bias + activation) and fuse_gelu."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from fastinfer.ir.graph import FUSED_DOMAIN
from fastinfer.passes import fuse_gelu, fuse_linear
from passes_util import assert_same, build, const, feeds_for

K, N = 8, 6


def _wb(rng, bias_shape=(N,)):
    return [
        const("W", rng.standard_normal((K, N))),
        const("b", rng.standard_normal(bias_shape)),
    ]


def _gelu_erf(x: str, y: str, variant: str) -> list:
    """GELU as torch.onnx.export writes nn.GELU(), and the variants other exporters write."""
    if variant == "mul":  # x * 0.7071 instead of x / 1.4142
        pre = helper.make_node("Mul", [x, "inv_sqrt2"], ["g_s"])
    else:
        pre = helper.make_node("Div", [x, "sqrt2"], ["g_s"])
    nodes = [
        pre,
        helper.make_node("Erf", ["g_s"], ["g_e"]),
        helper.make_node("Add", ["g_e", "one"], ["g_a"]),
    ]
    if variant == "half_first":  # (x * 0.5) * (1 + erf)
        nodes += [
            helper.make_node("Mul", [x, "half"], ["g_h"]),
            helper.make_node("Mul", ["g_h", "g_a"], [y]),
        ]
    else:  # (x * (1 + erf)) * 0.5, torch's order
        nodes += [
            helper.make_node("Mul", [x, "g_a"], ["g_m"]),
            helper.make_node("Mul", ["g_m", "half"], [y]),
        ]
    return nodes


def _gelu_tanh(x: str, y: str, cube: str) -> list:
    if cube == "pow":
        nodes = [helper.make_node("Pow", [x, "three"], ["t_c"])]
    else:  # torch: x * (x * x)
        nodes = [
            helper.make_node("Mul", [x, x], ["t_sq"]),
            helper.make_node("Mul", [x, "t_sq"], ["t_c"]),
        ]
    return nodes + [
        helper.make_node("Mul", ["kappa", "t_c"], ["t_k"]),
        helper.make_node("Add", [x, "t_k"], ["t_s"]),
        helper.make_node("Mul", ["beta", "t_s"], ["t_i"]),
        helper.make_node("Tanh", ["t_i"], ["t_t"]),
        helper.make_node("Add", ["one", "t_t"], ["t_a"]),
        helper.make_node("Mul", [x, "t_a"], ["t_m"]),
        helper.make_node("Mul", ["half", "t_m"], [y]),
    ]


GELU_CONSTS = [
    const("sqrt2", np.float32(1.4142135)),
    const("inv_sqrt2", np.float32(0.70710677)),
    const("one", np.float32(1.0)),
    const("half", np.float32(0.5)),
    const("three", np.float32(3.0)),
    const("kappa", np.float32(0.044715)),
    const("beta", np.float32(0.7978846)),
]


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("bias_shape", [(N,), (1, N), (1, 1, N)])
def test_matmul_add(rng, swap, bias_shape):
    add = helper.make_node("Add", ["b", "h"] if swap else ["h", "b"], ["y"])
    g = build(
        [helper.make_node("MatMul", ["x", "W"], ["h"]), add],
        {"x": [2, 3, K]},
        ["y"],
        _wb(rng, bias_shape),
    )
    before = g.copy()
    assert fuse_linear(g) == 1
    (node,) = g.nodes
    assert (node.op_type, node.domain, node.attrs) == (
        "FusedLinear",
        FUSED_DOMAIN,
        {"activation": ""},
    )
    assert g.constants[node.inputs[2]].shape == (N,)
    assert_same(before, g, feeds_for(g, rng))


def test_matmul_alone_and_relu(rng):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])]
    g = build(nodes, {"x": [4, K]}, ["y"], _wb(rng)[:1])
    before = g.copy()
    assert fuse_linear(g) == 2
    (node,) = g.nodes
    assert node.inputs == ["x", "W", ""] and node.attrs["activation"] == "relu"
    assert_same(before, g, feeds_for(g, rng))


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm(rng, trans_b):
    w = rng.standard_normal((N, K) if trans_b else (K, N))
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["y"], transB=trans_b)]
    g = build(nodes, {"x": [4, K]}, ["y"], [const("W", w), const("b", rng.standard_normal(N))])
    before = g.copy()
    assert fuse_linear(g) == 1
    assert [n.op_type for n in g.nodes] == ["FusedLinear"]
    assert_same(before, g, feeds_for(g, rng))


def test_gemm_alpha_not_fused(rng):
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["y"], alpha=2.0)]
    g = build(nodes, {"x": [4, K]}, ["y"], _wb(rng))
    assert fuse_linear(g) == 0


@pytest.mark.parametrize("variant", ["div", "mul", "half_first"])
def test_linear_gelu_erf(rng, variant):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["a"]),
    ]
    nodes += _gelu_erf("a", "y", variant)
    g = build(nodes, {"x": [2, 5, K]}, ["y"], _wb(rng) + GELU_CONSTS)
    before = g.copy()
    assert fuse_linear(g) == 2
    (node,) = g.nodes
    assert node.attrs["activation"] == "gelu"
    assert_same(before, g, feeds_for(g, rng))


@pytest.mark.parametrize("cube", ["pow", "mul"])
def test_linear_gelu_tanh(rng, cube):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["a"])] + _gelu_tanh("a", "y", cube)
    g = build(nodes, {"x": [3, K]}, ["y"], _wb(rng)[:1] + GELU_CONSTS)
    before = g.copy()
    assert fuse_linear(g) == 2
    (node,) = g.nodes
    assert node.attrs["activation"] == "gelu_tanh"
    assert_same(before, g, feeds_for(g, rng))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_linear_gelu_op(rng, approximate):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["a"]),
        helper.make_node("Gelu", ["a"], ["y"], approximate=approximate),
    ]
    g = build(nodes, {"x": [3, K]}, ["y"], _wb(rng)[:1], opset=20)
    before = g.copy()
    assert fuse_linear(g) == 2
    assert g.nodes[0].attrs["activation"] == {"none": "gelu", "tanh": "gelu_tanh"}[approximate]
    assert_same(before, g, feeds_for(g, rng))


def test_matmul_non_constant_weight_not_fused(rng):
    nodes = [
        helper.make_node("MatMul", ["x", "w_in"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["y"]),
    ]
    g = build(nodes, {"x": [4, K], "w_in": [K, N]}, ["y"], _wb(rng)[1:])
    assert fuse_linear(g) == 0


@pytest.mark.parametrize("bias_shape", [(N, N), (N, 1), (1, 1, 1, N)])
def test_bias_of_wrong_shape_not_fused(rng, bias_shape):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["y"]),
    ]
    g = build(nodes, {"x": [N, K]}, ["y"], _wb(rng, bias_shape))
    before = g.copy()
    assert fuse_linear(g) == 1  # the MatMul alone
    assert [n.op_type for n in g.nodes] == ["FusedLinear", "Add"]
    assert g.nodes[0].inputs[2] == ""
    assert_same(before, g, feeds_for(g, rng))


def test_two_consumers_not_fused(rng):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["a"]),
        helper.make_node("Relu", ["a"], ["y"]),
        helper.make_node("Neg", ["a"], ["z"]),
    ]
    g = build(nodes, {"x": [4, K]}, ["y", "z"], _wb(rng))
    before = g.copy()
    assert fuse_linear(g) == 1  # MatMul + Add; the Relu's input has two readers
    assert [n.op_type for n in g.nodes] == ["FusedLinear", "Relu", "Neg"]
    assert_same(before, g, feeds_for(g, rng))


def test_matmul_output_is_graph_output_not_fused_with_add(rng):
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["y"]),
    ]
    g = build(nodes, {"x": [4, K]}, ["y", "h"], _wb(rng))
    assert fuse_linear(g) == 1
    assert [n.op_type for n in g.nodes] == ["FusedLinear", "Add"]


@pytest.mark.parametrize("variant", ["div", "mul", "half_first"])
def test_standalone_gelu_erf(rng, variant):
    g = build(_gelu_erf("x", "y", variant), {"x": [2, 7]}, ["y"], GELU_CONSTS)
    before = g.copy()
    assert fuse_gelu(g) == 1
    (node,) = g.nodes
    assert (node.op_type, node.domain, node.attrs) == (
        "Gelu",
        FUSED_DOMAIN,
        {"approximate": "none"},
    )
    assert_same(before, g, feeds_for(g, rng))


@pytest.mark.parametrize("opset", [17, 20])
def test_standalone_gelu_tanh(rng, opset):
    g = build(_gelu_tanh("x", "y", "pow"), {"x": [2, 7]}, ["y"], GELU_CONSTS, opset=opset)
    before = g.copy()
    assert fuse_gelu(g) == 1
    (node,) = g.nodes
    assert node.attrs == {"approximate": "tanh"}
    assert node.domain == ("" if opset >= 20 else FUSED_DOMAIN)
    assert_same(before, g, feeds_for(g, rng))


def test_gelu_pow_3_wrong_constant_not_fused(rng):
    nodes = _gelu_tanh("x", "y", "pow")
    nodes[0] = helper.make_node("Pow", ["x", "two"], ["t_c"])  # x^2, not x^3
    g = build(nodes, {"x": [2, 7]}, ["y"], GELU_CONSTS + [const("two", np.float32(2.0))])
    assert fuse_gelu(g) == 0


def test_gelu_intermediate_with_two_readers_not_fused(rng):
    nodes = _gelu_erf("x", "y", "div") + [helper.make_node("Neg", ["g_e"], ["z"])]
    g = build(nodes, {"x": [2, 7]}, ["y", "z"], GELU_CONSTS)
    assert fuse_gelu(g) == 0


def test_linear_gelu_input_read_elsewhere_not_fused(rng):
    nodes = [helper.make_node("MatMul", ["x", "W"], ["a"]), *_gelu_erf("a", "y", "div")]
    nodes.append(helper.make_node("Neg", ["a"], ["z"]))
    g = build(nodes, {"x": [3, K]}, ["y", "z"], _wb(rng)[:1] + GELU_CONSTS)
    before = g.copy()
    assert fuse_linear(g) == 1  # the MatMul only: its output is also read by Neg
    assert g.nodes[0].attrs["activation"] == ""
    assert fuse_gelu(g) == 1  # the GELU still fuses on its own
    assert_same(before, g, feeds_for(g, rng))
