"""LayerNorm fusion: the subgraph exporters write for ``nn.LayerNorm`` -> LayerNormalization.

Matched (``torch.onnx.export`` below opset 17, or with the op disabled)::

    mean = ReduceMean(x, axes=[-1]);  d = Sub(x, mean)
    var  = ReduceMean(Pow(d, 2), axes=[-1])
    y    = Div(d, Sqrt(Add(var, eps))) * gamma + beta

``axes`` is an attribute up to opset 17 and a constant input from opset 18.
"""

from __future__ import annotations

import numpy as np

from ..ir.graph import FUSED_DOMAIN, Graph, Node
from ._match import Index, constant, first_match, is_scalar, other_input, rank, replace, scalar


def _last_axis_mean(idx: Index, node: Node | None, x: str) -> bool:
    """True if `node` is ``ReduceMean(x)`` over the last axis only, keeping dims."""
    if node is None or node.inputs[0] != x or not node.attrs.get("keepdims", 1):
        return False
    if len(node.inputs) > 1 and node.inputs[1]:
        axes = constant(idx.graph, node.inputs[1])
        axes = None if axes is None else [int(a) for a in axes.reshape(-1)]
    else:
        axes = node.attrs.get("axes")
    if axes is None or len(axes) != 1:
        return False
    r = rank(idx.graph, x)
    return axes[0] == -1 or (r is not None and axes[0] == r - 1)


def _affine(graph: Graph, name: str, n: int | None, dtype: np.dtype | None) -> np.ndarray | None:
    """The constant `name` as an (N,) vector, if it applies along the last axis only."""
    c = constant(graph, name)
    if c is None or (dtype is not None and c.dtype != dtype):
        return None
    if c.ndim > 1 and any(d != 1 for d in c.shape[:-1]):
        return None
    if n is None:
        return c.reshape(-1) if c.ndim >= 1 else None
    if c.size not in (1, n):
        return None
    return np.broadcast_to(c.reshape(-1), (n,)).copy()


def _match(idx: Index, mean: Node) -> tuple[list[Node], list[str], str, float] | None:
    """The LayerNorm subgraph starting at its first ReduceMean."""
    g = idx.graph
    x = mean.inputs[0]
    if not _last_axis_mean(idx, mean, x):
        return None
    sub = idx.sole_user(mean.outputs[0], "Sub")
    if sub is None or sub.inputs != [x, mean.outputs[0]]:
        return None
    d = sub.outputs[0]
    readers = idx.users.get(d, [])
    if len(readers) != 2 or d in idx.graph_outputs:
        return None
    pow_ = next((n for n in readers if n.op_type == "Pow" and not n.domain), None)
    div = next((n for n in readers if n.op_type == "Div" and not n.domain), None)
    if pow_ is None or div is None or pow_.inputs[0] != d or div.inputs[0] != d:
        return None
    if not is_scalar(g, pow_.inputs[1], 2.0):
        return None
    var = idx.sole_user(pow_.outputs[0], "ReduceMean")
    if not _last_axis_mean(idx, var, pow_.outputs[0]):
        return None
    add = idx.sole_user(var.outputs[0], "Add")
    eps = scalar(g, other_input(add, var.outputs[0]) or "") if add else None
    if eps is None:
        return None
    sqrt = idx.sole_user(add.outputs[0], "Sqrt")
    if (
        sqrt is None
        or div.inputs[1] != sqrt.outputs[0]
        or idx.sole_user(sqrt.outputs[0]) is not div
    ):
        return None
    mul = idx.sole_user(div.outputs[0], "Mul")
    if mul is None:
        return None
    beta_add = idx.sole_user(mul.outputs[0], "Add")
    if beta_add is None:
        return None
    shape = g.value(x).shape
    n = shape[-1] if shape and isinstance(shape[-1], int) else None
    dtype = g.value(x).dtype
    gamma = _affine(g, other_input(mul, div.outputs[0]) or "", n, dtype)
    beta = _affine(g, other_input(beta_add, mul.outputs[0]) or "", n, dtype)
    if gamma is None or beta is None or gamma.shape != beta.shape or gamma.dtype != beta.dtype:
        return None
    nodes = [mean, sub, pow_, var, add, sqrt, div, mul, beta_add]
    names = [g.add_constant("ln_gamma", gamma), g.add_constant("ln_beta", beta)]
    return nodes, [x, *names], beta_add.outputs[0], eps


def fuse_layernorm(graph: Graph) -> int:
    """Replaces the LayerNorm subgraph by ``LayerNormalization(x, gamma, beta)``.

    The node has ``axis=-1`` and the matched ``epsilon``; it is the ONNX op for opset >= 17,
    else fastinfer's op of the same name and meaning (domain ``ai.fastinfer``). Both means
    must be over the last axis with ``keepdims``; gamma and beta must be constants along the
    last axis; intermediates must have no readers outside the subgraph.

    Parameters
    ----------
    graph : Graph
        Rewritten in place.

    Returns
    -------
    int
        The number of subgraphs replaced.
    """
    count = 0
    while True:
        found = first_match(graph, "ReduceMean", _match)
        if found is None:
            return count
        nodes, inputs, out, eps = found
        fused = Node(
            "LayerNormalization",
            inputs,
            [out],
            {"axis": -1, "epsilon": eps},
            name=f"LayerNormalization/{nodes[0].name}",
            domain="" if graph.opset >= 17 else FUSED_DOMAIN,
        )
        replace(graph, nodes, fused)
        count += 1
