"""constant_folding and dead_code."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper

from fastinfer.passes import constant_folding, dead_code
from fastinfer.passes.constant_folding import MAX_FOLDED_BYTES
from passes_util import assert_same, build, const, feeds_for


def _shape_chain_graph():
    # Constant -> Add -> Reshape shape: the kind of arithmetic exporters emit for shapes.
    shape_const = helper.make_tensor("s", TensorProto.INT64, [2], [1, 4])
    nodes = [
        helper.make_node("Constant", [], ["shape0"], value=shape_const),
        helper.make_node("Mul", ["shape0", "one"], ["shape"]),
        helper.make_node("Transpose", ["w"], ["wt"], perm=[1, 0]),
        helper.make_node("MatMul", ["x", "wt"], ["h"]),
        helper.make_node("Reshape", ["h", "shape"], ["y"]),
    ]
    inits = [const("one", np.array([1, 1], np.int64)), const("w", np.arange(6.0).reshape(2, 3))]
    return build(nodes, {"x": [2, 3]}, ["y"], inits)


def test_folding_folds_constant_chain(rng):
    g = _shape_chain_graph()
    before = g.copy()
    assert constant_folding(g) == 3  # Constant, Mul, Transpose
    assert [n.op_type for n in g.nodes] == ["MatMul", "Reshape"]
    np.testing.assert_array_equal(g.constants["shape"], [1, 4])
    np.testing.assert_array_equal(g.constants["wt"], np.arange(6.0).reshape(2, 3).T)
    assert_same(before, g, feeds_for(g, rng))  # folding is exact here
    assert constant_folding(g) == 0


def test_folding_skips_random_and_nonconstant(rng):
    nodes = [
        helper.make_node("RandomNormal", [], ["r"], shape=[2, 2], seed=1.0),
        helper.make_node("Add", ["x", "c"], ["y"]),
        helper.make_node("Identity", ["r"], ["z"]),
    ]
    g = build(nodes, {"x": [2, 2]}, ["y", "z"], [const("c", np.ones((2, 2)))])
    assert constant_folding(g) == 0
    assert [n.op_type for n in g.nodes] == ["RandomNormal", "Add", "Identity"]


def test_folding_keeps_huge_expand():
    n = MAX_FOLDED_BYTES // 4 + 1  # float32 elements just over the limit
    nodes = [
        helper.make_node("Expand", ["c", "shape"], ["big"]),
        helper.make_node("Add", ["x", "big"], ["y"]),
    ]
    inits = [const("c", np.ones(1)), const("shape", np.array([n], np.int64))]
    g = build(nodes, {"x": [n]}, ["y"], inits)
    assert constant_folding(g) == 0
    assert "big" not in g.constants


def test_folding_keeps_graph_output_nodes():
    nodes = [helper.make_node("Add", ["a", "b"], ["y"]), helper.make_node("Relu", ["x"], ["z"])]
    g = build(nodes, {"x": [2]}, ["y", "z"], [const("a", np.ones(2)), const("b", np.ones(2))])
    assert constant_folding(g) == 0


def test_dead_code_removes_unused_chain_and_constants(rng):
    nodes = [
        helper.make_node("Add", ["x", "c"], ["y"]),
        helper.make_node("Mul", ["x", "d"], ["dead1"]),
        helper.make_node("Relu", ["dead1"], ["dead2"]),
    ]
    inits = [const("c", np.ones(2)), const("d", np.ones(2)), const("unused", np.ones(3))]
    g = build(nodes, {"x": [2]}, ["y"], inits)
    before = g.copy()
    assert dead_code(g) == 4  # Mul, Relu, d, unused
    assert [n.op_type for n in g.nodes] == ["Add"]
    assert set(g.constants) == {"c"}
    assert "dead2" not in g.values
    assert_same(before, g, feeds_for(g, rng))
    assert dead_code(g) == 0


def test_dead_code_keeps_everything_used(rng):
    nodes = [helper.make_node("Add", ["x", "c"], ["h"]), helper.make_node("Relu", ["h"], ["y"])]
    g = build(nodes, {"x": [2]}, ["y", "h"], [const("c", np.ones(2))])
    assert dead_code(g) == 0
    assert len(g.nodes) == 2
