"""The fused-op schemas (fastinfer.fused): for each op, its standard ONNX expansion computes
what its numpy reference defines, its shape rule gives the reference's output shape, its
FLOPs follow the matrix-product formula, and the standard ones mean what ONNX means."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator

from fastinfer.compile.lower import CONSTANT_INPUTS, native_ops
from fastinfer.compile.shape_engine import analyze
from fastinfer.compile.symbolic import concrete
from fastinfer.fused import FUSED_ONLY_OPS, FUSED_SCHEMAS
from fastinfer.ir.graph import FUSED_DOMAIN, Graph, Node, Value
from fastinfer.ir.reference import run_reference
from fastinfer.passes.unfuse import unfuse
from fastinfer.summary import node_flops

RNG = np.random.default_rng(0)


def _rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _one_node(op: str, inputs: dict[str, np.ndarray], **attrs) -> Graph:
    """A graph of one fused node over fed inputs (opset 13: before LayerNormalization and
    Gelu were standard)."""
    node = Node(op, list(inputs), ["y"], attrs, f"{op.lower()}0", FUSED_DOMAIN)
    values = [Value(k, v.dtype, v.shape) for k, v in inputs.items()]
    graph = Graph([node], values, [Value("y", np.dtype(np.float32))], opset=13)
    graph.values = {v.name: v for v in values}
    return graph


CASES = {
    "FusedLinear": ({"x": _rand(2, 3, 8), "W": _rand(8, 5), "b": _rand(5)}, {}),
    "FusedLinear relu": (
        {"x": _rand(2, 3, 8), "W": _rand(8, 5), "b": _rand(5)},
        {"activation": "relu"},
    ),
    "FusedLinear gelu, no bias": ({"x": _rand(4, 8), "W": _rand(8, 5)}, {"activation": "gelu"}),
    "FusedLinear gelu_tanh": (
        {"x": _rand(4, 8), "W": _rand(8, 5), "b": _rand(5)},
        {"activation": "gelu_tanh"},
    ),
    "FusedConv": (
        {"X": _rand(1, 2, 6, 6), "W": _rand(4, 2, 3, 3), "B": _rand(4)},
        {"pads": [1, 1, 1, 1], "kernel_shape": [3, 3]},
    ),
    "FusedConv residual relu": (
        {"X": _rand(1, 2, 6, 6), "W": _rand(4, 2, 3, 3), "B": _rand(4), "R": _rand(1, 4, 3, 3)},
        {"strides": [2, 2], "pads": [1, 1, 1, 1], "activation": "relu"},
    ),
    "Attention": (
        {"q": _rand(1, 2, 4, 8), "k_t": _rand(1, 2, 8, 5), "v": _rand(1, 2, 5, 8)},
        {"scale": 0.35},
    ),
    "Attention masked": (
        {
            "q": _rand(1, 2, 4, 8),
            "k_t": _rand(1, 2, 8, 5),
            "v": _rand(1, 2, 5, 8),
            "m": _rand(1, 1, 4, 5),
        },
        {"scale": 0.35},
    ),
    "Attention causal": (
        {"q": _rand(1, 2, 6, 8), "k_t": _rand(1, 2, 8, 6), "v": _rand(1, 2, 6, 8)},
        {"scale": 0.35, "causal": 1},
    ),
    "Attention masked rows to zero": (
        {
            "q": _rand(1, 2, 4, 8),
            "k_t": _rand(1, 2, 8, 5),
            "v": _rand(1, 2, 5, 8),
            "m": np.where(np.arange(4)[:, None] == 2, -np.inf, 0).astype(np.float32)
            * np.ones((1, 1, 4, 5), np.float32),
        },
        {"scale": 0.35, "nan_probs_to_zero": 1},
    ),
    "LayerNormalization": ({"x": _rand(2, 3, 8), "g": _rand(8), "b": _rand(8)}, {"epsilon": 1e-3}),
    "LayerNormalization axis 1, no bias": ({"x": _rand(2, 3, 8), "g": _rand(3, 8)}, {"axis": 1}),
    "Gelu": ({"x": _rand(3, 7)}, {}),
    "Gelu tanh": ({"x": _rand(3, 7)}, {"approximate": "tanh"}),
    "Silu": ({"x": _rand(3, 7) * 10}, {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_expansion_and_shape_rule_match_the_reference(case: str) -> None:
    inputs, attrs = CASES[case]
    graph = _one_node(case.split()[0], inputs, **attrs)
    want = run_reference(graph, inputs)["y"]
    expanded = unfuse(graph.copy())
    assert {n.domain for n in expanded.nodes} == {""}
    # A fully masked row makes ONNX's reference Softmax compute -inf - -inf (on purpose).
    with np.errstate(invalid="ignore"):
        got = run_reference(expanded, inputs)["y"]
    # Expansions compute in float32 (the reference in float64): tolerance of float32 sums.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    info = analyze(graph, {k: v.shape for k, v in inputs.items()}).info("y")
    assert (info.dtype, tuple(concrete(d) for d in info.shape)) == (want.dtype, want.shape)


def test_matrix_ops_count_their_multiply_adds() -> None:
    expected = {"FusedLinear": (2 * 3 * 5) * 8, "FusedConv residual relu": (4 * 3 * 3) * 2 * 9}
    expected["Attention"] = 2 * (2 * 4 * 5 * 8)  # q @ k_t and p @ v
    for case, multiply_adds in expected.items():
        inputs, attrs = CASES[case]
        graph = _one_node(case.split()[0], inputs, **attrs)
        graph.values["y"] = Value("y", np.float32, run_reference(graph, inputs)["y"].shape)
        assert node_flops(graph, graph.nodes[0], None) == 2 * multiply_adds, case
    gelu = _one_node("Gelu", CASES["Gelu"][0])
    assert node_flops(gelu, gelu.nodes[0], None) == 0


@pytest.mark.parametrize(
    ("case", "opset"), [("LayerNormalization", 17), ("Gelu", 20), ("Gelu tanh", 20)]
)
def test_standard_schemas_mean_the_onnx_op(case: str, opset: int) -> None:
    """LayerNormalization and Gelu are fastinfer ops only before their ONNX opset: the
    reference must agree with ONNX's own reference at that opset."""
    inputs, attrs = CASES[case]
    op = case.split()[0]
    assert FUSED_SCHEMAS[op].standard
    node = helper.make_node(op, list(inputs), ["y"], **attrs)
    onnx_graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info(k, 1, v.shape) for k, v in inputs.items()],
        [helper.make_tensor_value_info("y", 1, None)],
    )
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", opset)])
    (want,) = ReferenceEvaluator(model).run(None, inputs)
    got = run_reference(_one_node(op, inputs, **attrs), inputs)["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_registry_is_what_lowering_reads() -> None:
    assert set(FUSED_SCHEMAS) == {
        "FusedLinear",
        "FusedConv",
        "Attention",
        "LayerNormalization",
        "Gelu",
        "Silu",
    }
    assert FUSED_ONLY_OPS == {"FusedLinear", "FusedConv", "Attention", "Silu"}
    # fastinfer-only names are never claimed as ONNX ops; the standard ones are.
    assert not FUSED_ONLY_OPS & native_ops()
    assert {"LayerNormalization", "Gelu"} <= native_ops()
    assert CONSTANT_INPUTS["FusedConv"] == FUSED_SCHEMAS["FusedConv"].constant_inputs == (1, 2)


def test_unfuse_names_a_fused_op_without_schema() -> None:
    graph = _one_node("FusedSoftmax", {"x": _rand(2, 3)})
    with pytest.raises(
        ValueError, match=r"no standard expansion for fused op FusedSoftmax \('fusedsoftmax0'\)"
    ):
        unfuse(graph)
