"""Builders shared by the pass tests: ONNX graphs written with onnx.helper, as exporters do."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fastinfer.ir.graph import Graph
from fastinfer.ir.onnx_io import from_onnx
from fastinfer.ir.reference import run_reference

F32 = TensorProto.FLOAT


def const(name: str, value) -> onnx.TensorProto:
    """An initializer; python floats become float32, ints int64."""
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    return numpy_helper.from_array(arr, name)


def build(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, list],
    outputs: list[str],
    inits: list[onnx.TensorProto],
    opset: int = 17,
    input_types: dict[str, int] | None = None,
) -> Graph:
    """A checked, shape-inferred model of `nodes`, as IR."""
    types = input_types or {}
    g = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info(n, types.get(n, F32), s) for n, s in inputs.items()],
        [helper.make_empty_tensor_value_info(o) for o in outputs],
        initializer=inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 9
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    # Give the outputs the types that inference found for them.
    inferred = {vi.name: vi for vi in model.graph.value_info}
    for out in model.graph.output:
        out.CopyFrom(inferred[out.name])
    onnx.checker.check_model(model, full_check=True)
    return from_onnx(model)


def feeds_for(graph: Graph, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random float32 inputs of the graph's (static) input shapes."""
    feeds = {}
    for v in graph.inputs:
        if v.dtype == np.int64:
            feeds[v.name] = rng.integers(0, 10, size=v.shape).astype(np.int64)
        else:
            feeds[v.name] = rng.standard_normal(v.shape).astype(v.dtype)
    return feeds


def assert_same(
    before: Graph,
    after: Graph,
    feeds: dict[str, np.ndarray],
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> None:
    want = run_reference(before, feeds)
    got = run_reference(after, feeds)
    assert list(want) == list(got)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=atol, err_msg=name)


def fused_ops(graph: Graph) -> list[str]:
    return [n.op_type for n in graph.nodes]
