"""Expand fastinfer's fused ops back into standard ONNX ops (for Model.export_onnx), so any
ONNX runtime can run an optimized model. Folded constants and removed nodes stay as they
are: the export keeps the passes' gains that are expressible in standard ONNX."""

from __future__ import annotations

from ..fused import FUSED_SCHEMAS
from ..fused.builder import Builder
from ..ir.graph import FUSED_DOMAIN, Graph, Node


def _expand(g: Graph, n: Node) -> list[Node]:
    schema = FUSED_SCHEMAS.get(n.op_type)
    if schema is None:
        raise ValueError(f"no standard expansion for fused op {n.op_type} ('{n.name}')")
    b = Builder(g, n)
    schema.expand(b, n)
    return b.nodes


def unfuse(graph: Graph) -> Graph:
    """Replaces every node of the ``ai.fastinfer`` domain by standard ONNX nodes, in place."""
    nodes: list[Node] = []
    for n in graph.nodes:
        # By domain only: ONNX has an "Attention" op of its own (opset 23), which is left
        # as it is (onnxruntime runs it).
        nodes.extend(_expand(graph, n) if n.domain == FUSED_DOMAIN else [n])
    graph.nodes = nodes
    return graph
