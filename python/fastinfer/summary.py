"""Model.summary(): ops by type, parameters, bytes and FLOPs of a graph."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .fused import FUSED_SCHEMAS
from .fused.conv import conv_flops
from .fused.linear import matmul_flops
from .ir import Graph

# Standard ops whose FLOPs follow the formula of the fused op that generalizes them.
STANDARD_FLOPS = {
    "MatMul": matmul_flops,
    "Gemm": matmul_flops,
    "MatMulInteger": matmul_flops,
    "Conv": conv_flops,
}


def _shape(static: Graph | None, graph: Graph, name: str):
    for g in (static, graph):
        if isinstance(g, Graph):
            v = g.value(name)
            if v.is_static:
                return v.shape
    return None


def node_flops(graph: Graph, node, values: Graph | None) -> int:
    """Multiply-adds x 2 of the matrix ops (the ones that dominate), 0 for the rest."""
    schema = FUSED_SCHEMAS.get(node.op_type)
    flops = STANDARD_FLOPS.get(node.op_type) or (schema.flops if schema else None)
    if flops is None:
        return 0
    return flops(lambda name: _shape(values, graph, name), node)


def graph_summary(
    graph: Graph, values: Mapping[str, np.ndarray] | None, pass_counts: Mapping[str, int]
) -> str:
    values = values or {}
    params = sum(int(c.size) for c in graph.constants.values() if c.dtype.kind == "f")
    nbytes = sum(int(c.nbytes) for c in graph.constants.values())
    lines = [repr(graph), f"parameters: {params:,} ({nbytes / 2**20:.2f} MiB of constants)"]
    flops_by_op: dict[str, int] = {}
    for n in graph.nodes:
        flops_by_op[n.op_type] = flops_by_op.get(n.op_type, 0) + node_flops(graph, n, values)
    lines.append("ops:")
    for op, count in graph.op_counts().items():
        f = flops_by_op.get(op, 0)
        lines.append(f"  {op:<24} x{count:<4}" + (f" {f / 1e9:.3f} GFLOP" if f else ""))
    if values is not None:
        lines.append(f"total: {sum(flops_by_op.values()) / 1e9:.3f} GFLOP for these input shapes")
    applied = {k: v for k, v in pass_counts.items() if v}
    if applied:
        lines.append("passes: " + ", ".join(f"{k} x{v}" for k, v in applied.items()))
    return "\n".join(lines)
